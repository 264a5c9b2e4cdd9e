"""The chaos metrics: which exist, how each is measured, and what an experiment may gate on where.

Every metric a chaos gate can name is declared here once, by the function that measures it::

    @chaos_metric("retries", provider_side=True)
    def retries(phase: PhaseData) -> float | None:
        return float(sum(len(retry_gaps(observations)) for observations in phase.per_call))

(or :func:`chaos_metrics` for one function that measures several, such as the duration summary).
The name must be in :data:`interlock.core.metrics.REGISTRY`, which gives its kind (the units its
gates accept) and its meaning (quoted in findings). Experiment validation
(:mod:`interlock.stages.chaos.experiment`) and the runner read these declarations: which metrics
exist, which need requests to reach the proxy (refused on a ``down`` fault), which are measured
only after a fault (refused in ``steady_state``), and which may have no data without failing.
So a new chaos metric is one decorated function plus its line in the core registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import chain

from interlock.core.metrics import PERCENTILE_FAMILY, REGISTRY, Distribution, quantile_of
from interlock.faults.observation import Observation
from interlock.stages.chaos.journal import CallRecord

Values = Mapping[str, float | None]


@dataclass(frozen=True)
class PhaseData:
    """What one phase measured: the probe calls and the provider requests charged to each."""

    calls: Sequence[CallRecord]
    #: Provider requests per call (see :func:`interlock.stages.chaos.metrics.attribute`).
    per_call: Sequence[Sequence[Observation]]
    #: Upper-case request methods that count as writes.
    writes: frozenset[str]
    #: Percentiles to report besides the journal's (those the gates ask for).
    quantiles: tuple[float, ...] = ()
    #: Ids the experiment's probe calls sent before this phase (traces, request ids): a late
    #: request of an earlier call still carries its own call's id.
    earlier_ids: frozenset[str] = frozenset()

    @cached_property
    def durations(self) -> Distribution:
        """Consumer call durations in ms."""
        return Distribution.of(c.duration_ms for c in self.calls)

    @cached_property
    def observations(self) -> list[Observation]:
        return list(chain.from_iterable(self.per_call))


@dataclass(frozen=True)
class ChaosMetric:
    """How one chaos metric is measured and where a gate on it makes sense."""

    name: str
    #: Measures the phase; None for a metric measured elsewhere (``recovery_s``: by the runner).
    measure: Callable[[PhaseData], Values] | None
    #: Needs requests to reach the proxy: refused under a ``down`` fault (connections refused).
    provider_side: bool = False
    #: Only defined once a fault was applied: refused in ``steady_state``.
    after_fault: bool = False
    #: May have no data in a healthy phase (no retries, no retry gaps): its gate then warns.
    waived_without_data: bool = False
    #: Why such a metric has no data, for the warning.
    no_data: str = "the consumer made no retries during this phase"


#: Name -> declaration, in declaration order (``p`` stands for every percentile).
CHAOS_METRICS: dict[str, ChaosMetric] = {}


def declare(
    *names: str,
    measure: Callable[[PhaseData], Values] | None = None,
    provider_side: bool = False,
    after_fault: bool = False,
    waived_without_data: bool = False,
    no_data: str | None = None,
) -> None:
    """Declare chaos metrics; each name must be in the core registry and declared once."""
    for name in names:
        if name not in REGISTRY:
            raise ValueError(f"chaos metric {name!r} is not in interlock.core.metrics.REGISTRY")
        if name in CHAOS_METRICS:
            raise ValueError(f"chaos metric {name!r} is declared twice")
        metric = ChaosMetric(name, measure, provider_side, after_fault, waived_without_data)
        CHAOS_METRICS[name] = metric if no_data is None else replace(metric, no_data=no_data)


def chaos_metrics(
    *names: str, provider_side: bool = False, after_fault: bool = False, waived_without_data: bool = False
) -> Callable[[Callable[[PhaseData], Values]], Callable[[PhaseData], Values]]:
    """Register a function measuring several metrics; it returns ``{name: value}`` (``p(N)`` for ``p``)."""

    def register(function: Callable[[PhaseData], Values]) -> Callable[[PhaseData], Values]:
        declare(
            *names,
            measure=_only(names, function),
            provider_side=provider_side,
            after_fault=after_fault,
            waived_without_data=waived_without_data,
        )
        return function

    return register


def chaos_metric(
    name: str,
    *,
    provider_side: bool = False,
    after_fault: bool = False,
    waived_without_data: bool = False,
    no_data: str | None = None,
) -> Callable[[Callable[[PhaseData], float | None]], Callable[[PhaseData], float | None]]:
    """Register the function measuring metric ``name``; it returns the value, None for no data."""

    def register(function: Callable[[PhaseData], float | None]) -> Callable[[PhaseData], float | None]:
        declare(
            name,
            measure=lambda phase: {name: function(phase)},
            provider_side=provider_side,
            after_fault=after_fault,
            waived_without_data=waived_without_data,
            no_data=no_data,
        )
        return function

    return register


def _only(names: Sequence[str], function: Callable[[PhaseData], Values]) -> Callable[[PhaseData], Values]:
    """Guard against a measure returning a metric it did not declare (it would bypass validation)."""

    def measure(phase: PhaseData) -> Values:
        values = function(phase)
        for key in values:
            declared = PERCENTILE_FAMILY if quantile_of(key) is not None else key
            if declared not in names:
                raise ValueError(f"{function.__name__} measured {key!r}, which it did not declare")
        return values

    return measure
