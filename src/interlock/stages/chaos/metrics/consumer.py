"""Chaos metrics measured on the consumer's side: the probe calls and how they went."""

from __future__ import annotations

from interlock.core.metrics import outcome_rates, summarize
from interlock.stages.chaos.metrics.registry import PhaseData, Values, chaos_metric, chaos_metrics

#: Percentiles always recorded in the journal, whatever the gates ask for.
JOURNAL_PERCENTILES = (50.0, 95.0, 99.0)


@chaos_metric("calls")
def calls(phase: PhaseData) -> float:
    return float(len(phase.calls))


@chaos_metrics("success_rate", "error_rate")
def outcomes(phase: PhaseData) -> Values:
    """Calls the consumer answered with an expected status (2xx unless the probe says otherwise)."""
    return outcome_rates(len(phase.calls), sum(not c.ok for c in phase.calls))


@chaos_metrics("p", "avg", "min", "max", "med")
def durations(phase: PhaseData) -> Values:
    """Consumer call duration over every call; percentiles: the journal's and the gates'."""
    return summarize(phase.durations, {*JOURNAL_PERCENTILES, *phase.quantiles})
