"""Every metric interlock measures: its name, its kind and what it means, in one table.

The thresholds parser reads the kinds (which units a gate accepts), the chaos, load and fuzz
stages key their measurements by these names, chaos checks its experiment files against them,
and findings quote the meanings. A stage that measures a new metric adds one line here; a name
measured in more than one stage means the same thing in each (see ``tests/core/test_metrics.py``).

Per-stage definitions in full (attribution of provider requests to calls, windows, ...) are in
``docs/chaos.md`` and ``docs/load.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from interlock.core.metrics.names import PERCENTILE_FAMILY, quantile_of

__all__ = ["REGISTRY", "Metric", "MetricKind", "is_timing", "kinds", "lookup"]


class MetricKind(Enum):
    """What a metric measures, which decides the units its threshold accepts."""

    DURATION = "duration"  #: normalised to milliseconds
    RATIO = "ratio"  #: normalised to a fraction in [0, 1]
    COUNT = "count"  #: how many of something; no unit
    NUMBER = "number"  #: any other quantity (rates, factors, seconds); no unit


@dataclass(frozen=True)
class Metric:
    name: str  #: as written in a gate; ``p`` stands for every percentile ``p(N)``
    kind: MetricKind
    meaning: str  #: one line, quoted in findings
    #: The value depends on how fast the machine is at the moment (a duration, a rate per second,
    #: a clock-decided count): a gate on it that fails is confirmed by a re-run before it fails
    #: the gate (see ``interlock.core.confirmation``). Counts of what the system did are not.
    timing: bool = False


_D, _R, _C, _N = MetricKind.DURATION, MetricKind.RATIO, MetricKind.COUNT, MetricKind.NUMBER

REGISTRY: Mapping[str, Metric] = MappingProxyType(
    {
        m.name: m
        for m in (
            # -- durations: of consumer calls (chaos), requests (load), responses (fuzz)
            Metric(
                PERCENTILE_FAMILY,
                _D,
                "N-th percentile of the durations, interpolated linearly between the closest ranks",
                timing=True,
            ),
            Metric("avg", _D, "mean duration", timing=True),
            Metric("min", _D, "shortest duration", timing=True),
            Metric("max", _D, "longest duration", timing=True),
            Metric("med", _D, "median duration (= p(50))", timing=True),
            # -- outcomes of the calls (chaos) or requests (load)
            Metric("calls", _C, "consumer calls in the phase"),
            Metric("requests", _C, "requests the load sent", timing=True),
            Metric("failures", _C, "requests the load saw fail"),
            Metric("success_rate", _R, "share of consumer calls answered with an expected status"),
            Metric("error_rate", _R, "share of consumer calls not answered with an expected status"),
            Metric("rps", _N, "requests the load sent per second", timing=True),
            # -- the provider's side, as the fault proxy saw it
            Metric(
                "proxy_requests",
                _C,
                "requests the consumer sent towards the provider that the proxy saw, including those"
                " the proxy answered itself (http_error)",
            ),
            Metric("provider_requests", _C, "requests that reached the provider"),
            Metric("provider_rps", _N, "requests that reached the provider per second", timing=True),
            Metric(
                "amplification",
                _N,
                "proxy_requests per consumer call or load request (a bounded retry policy keeps it"
                " <= attempts)",
            ),
            Metric(
                "duplicate_writes",
                _C,
                "writes that reached the provider again within one consumer call without"
                " repeating an Idempotency-Key",
            ),
            Metric("retries", _C, "provider requests that repeated an earlier one of the same consumer call"),
            Metric("retry_gap_min", _D, "shortest wait between a failed attempt and its retry", timing=True),
            Metric(
                "retry_gap_avg",
                _D,
                "mean wait between a failed attempt and its retry (about 0 = no backoff)",
                timing=True,
            ),
            Metric(
                "backoff_growth",
                _N,
                "mean wait before later retries / mean wait before the first retry",
                timing=True,
            ),
            Metric(
                "fail_fast_after",
                _C,
                "consumer calls that still reached the failing provider before the first that did"
                " not (calls + 1 = it never stopped: no circuit breaker)",
                timing=True,
            ),
            Metric(
                "retry_after_violations",
                _C,
                "retries that reached the provider sooner than the Retry-After of the answer before them",
            ),
            Metric(
                "stale_credential_retries",
                _C,
                "requests that repeated a request answered 401 with the same credential",
            ),
            Metric(
                "trace_propagation",
                _R,
                "share of the requests the proxy saw that carry the trace id (or request id) of the"
                " probe call that caused them",
            ),
            Metric(
                "fuzz_coverage",
                _R,
                "share of the provider's operations that every enabled fuzz phase finished for,"
                " with nothing in the spec keeping them from being tested",
            ),
            Metric(
                "recovery_s",
                _N,
                "seconds from rollback until the consumer answered consecutive probes successfully again",
                timing=True,
            ),
        )
    }
)


def lookup(name: str) -> Metric | None:
    """The registered metric ``name`` stands for (every ``p(N)`` is the ``p`` family); None if unknown."""
    if quantile_of(name) is not None:
        return REGISTRY[PERCENTILE_FAMILY]
    return REGISTRY.get(name)


def kinds() -> Mapping[str, MetricKind]:
    """Name -> kind of every registered metric except the percentile family (always durations)."""
    return MappingProxyType({name: m.kind for name, m in REGISTRY.items() if name != PERCENTILE_FAMILY})


def is_timing(name: str) -> bool:
    """Whether a gate on ``name`` measures the machine's speed as much as the system (see Metric.timing)."""
    metric = lookup(name)
    return metric is not None and metric.timing
