"""Chaos metrics: from a phase's probe calls and provider observations to numbers.

Calls are sequential, so each provider request is attributed to the consumer call that was the
latest to start before it (a consumer that keeps retrying after the probe gave up is charged to
the call that caused it, until the next call starts). Each metric is measured by one registered
function (:mod:`.registry`): consumer-side ones in :mod:`.consumer`, provider-side ones in
:mod:`.provider`; ``recovery_s`` is measured by the runner. Their definitions, in the units the
thresholds language uses (durations in ms), are in docs/chaos.md; durations, rates and the
request counts are computed by :mod:`interlock.core.metrics`, as in the load and fuzz stages.

A metric with no data (no retries, so no retry gaps) is ``None``; gates on it then fail unless
the runner waives them (see :data:`WAIVED_WITHOUT_DATA`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from interlock.core.thresholds import Threshold
from interlock.faults.observation import Observation
from interlock.stages.chaos.journal import CallRecord
from interlock.stages.chaos.metrics import (  # noqa: F401 (they register the metrics)
    consumer,
    protocol,
    provider,
)
from interlock.stages.chaos.metrics.consumer import JOURNAL_PERCENTILES
from interlock.stages.chaos.metrics.provider import duplicate_writes, fail_fast_after, retry_gaps
from interlock.stages.chaos.metrics.registry import (
    CHAOS_METRICS,
    ChaosMetric,
    PhaseData,
    chaos_metric,
    chaos_metrics,
    declare,
)

declare("recovery_s", after_fault=True)  # measured by the runner after the fault's rollback

#: Metrics that only exist when the consumer retried: no retries is not a failure of their gates.
WAIVED_WITHOUT_DATA = frozenset(name for name, m in CHAOS_METRICS.items() if m.waived_without_data)

__all__ = [
    "CHAOS_METRICS",
    "JOURNAL_PERCENTILES",
    "WAIVED_WITHOUT_DATA",
    "ChaosMetric",
    "PhaseData",
    "attribute",
    "chaos_metric",
    "chaos_metrics",
    "duplicate_writes",
    "fail_fast_after",
    "measure",
    "retry_gaps",
]


def attribute(calls: Sequence[CallRecord], observations: Iterable[Observation]) -> list[list[Observation]]:
    """Provider requests per call: each goes to the latest call that started before it."""
    per_call: list[list[Observation]] = [[] for _ in calls]
    starts = [c.started for c in calls]
    for obs in sorted(observations, key=lambda o: o.started):
        index = _latest_before(starts, obs.started)
        if index is not None:
            per_call[index].append(obs)
    return per_call


def _latest_before(starts: Sequence[float], at: float) -> int | None:
    found = None
    for i, started in enumerate(starts):
        if started <= at:
            found = i
        else:
            break
    return found


def measure(
    calls: Sequence[CallRecord],
    observations: Iterable[Observation],
    *,
    writes: Iterable[str] = ("POST", "PUT", "PATCH"),
    gates: Iterable[Threshold] = (),
    earlier_ids: Iterable[str] = (),
) -> dict[str, float | None]:
    """Every chaos metric of one phase (percentiles: those ``gates`` ask for plus the journal's).

    A phase without calls has only ``calls`` (0): nothing else is defined. ``earlier_ids`` are
    the trace and request ids the experiment's earlier calls sent (see ``trace_propagation``).
    """
    if not calls:
        return {"calls": 0.0}
    phase = PhaseData(
        calls=calls,
        per_call=attribute(calls, observations),
        writes=frozenset(m.upper() for m in writes),
        quantiles=tuple(q for g in gates if (q := g.quantile) is not None),
        earlier_ids=frozenset(earlier_ids),
    )
    values: dict[str, float | None] = {}
    measured = {id(m.measure): m.measure for m in CHAOS_METRICS.values() if m.measure is not None}
    for function in measured.values():  # a function declaring several metrics runs once
        values |= function(phase)
    return values
