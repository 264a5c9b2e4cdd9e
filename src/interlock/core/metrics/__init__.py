"""One metric engine for every stage: names, kinds and meanings, the statistics, the shared metrics.

* :mod:`.registry`: every metric's name, kind and one-line meaning (``REGISTRY``);
* :mod:`.names`: the name a percentile is stored under (``p(99.99999)``), shared with the parser;
* :mod:`.distribution`: the one percentile definition, over samples or histograms alike;
* :mod:`.summary`: the metrics chaos, load and fuzz all compute, computed once.
"""

from interlock.core.metrics.distribution import Distribution, percentile
from interlock.core.metrics.names import PERCENTILE_FAMILY, percentile_name, quantile_of
from interlock.core.metrics.registry import REGISTRY, Metric, MetricKind, is_timing, kinds, lookup
from interlock.core.metrics.summary import ProxyRecord, outcome_rates, provider_traffic, summarize

__all__ = [
    "PERCENTILE_FAMILY",
    "REGISTRY",
    "Distribution",
    "Metric",
    "MetricKind",
    "ProxyRecord",
    "is_timing",
    "kinds",
    "lookup",
    "outcome_rates",
    "percentile",
    "percentile_name",
    "provider_traffic",
    "quantile_of",
    "summarize",
]
