"""The SLO gate: thresholds for the whole run, per endpoint and per phase, and when they broke.

A failed SLO says which threshold, by how much (``p(95) = 412ms, expected < 300ms: 37% over``)
and when (the stretches of the run where a sliding window of the metric breached it), so a
reader can line it up with the plot. :func:`sustained_breach` is what ``abort_on_fail`` asks
every second while the run is going.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from interlock.core.thresholds import MetricKind, Threshold, ThresholdResult
from interlock.stages.load.metrics import Timeline
from interlock.stages.load.profile import Slo
from interlock.stages.load.schedule import Phase

#: Seconds in the sliding window that locates a breach in time.
BREACH_WINDOW_S = 5
#: Metrics that are totals, not rates: they have no meaning in a sliding window.
_TOTALS = ("requests", "failures")
#: Metrics measured outside the Locust timeline (per fault phase): no sliding window for them.
_NOT_IN_TIMELINE = ("amplification",)


@dataclass(frozen=True)
class SloOutcome:
    """One threshold checked over one scope of the run."""

    scope: str  #: "run", "endpoint GET /orders", "phase spike"
    result: ThresholdResult
    #: Run-relative [from, to) stretches where a sliding window breached the threshold.
    breaches: tuple[tuple[float, float], ...] = ()
    #: The scope's key figures (p(95), p(99), error_rate and the threshold's own metric), for trends.
    figures: Mapping[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.result.passed

    def describe(self) -> str:
        """``run: p(95) = 412ms, expected < 300ms (37% over), breached 12-25s``."""
        text = f"{self.scope}: {self.result.message}"
        excess = excess_of(self.result)
        if excess:
            text += f" ({excess})"
        if not self.passed:
            text += f", {when(self.breaches)}"
        return text


def excess_of(result: ThresholdResult) -> str | None:
    """How far a failed threshold is off its limit, in words."""
    limit, actual = result.threshold.value, result.actual
    if result.passed or actual is None:
        return None
    op = result.threshold.op
    if op in ("<", "<="):
        if limit == 0:
            unitless = result.threshold.kind in (MetricKind.NUMBER, MetricKind.COUNT)
            return f"{actual:g} above 0" if unitless else "above 0"
        return f"{(actual - limit) / limit:.0%} over"
    if op in (">", ">="):
        return f"{(limit - actual) / limit:.0%} under" if limit else None
    return None


def when(breaches: Sequence[tuple[float, float]]) -> str:
    if not breaches:
        return "over the scope as a whole (no 5 s window breached it on its own)"
    spans = [f"{start:.0f}-{end:.0f}s" for start, end in breaches[:4]]
    more = f" and {len(breaches) - 4} more" if len(breaches) > 4 else ""
    return f"breached at {', '.join(spans)}{more} (first at {breaches[0][0]:.0f}s)"


def evaluate(
    slo: Slo,
    timeline: Timeline,
    phases: Sequence[Phase],
    extra: Mapping[str, Mapping[str, float]] | None = None,
) -> list[SloOutcome]:
    """Every SLO of the profile against what was measured.

    ``extra`` adds metrics the timeline cannot compute to a phase (the provider-side
    ``amplification`` of the fault phases).
    """
    duration = timeline.duration
    outcomes = [_check("run", t, timeline, 0.0, duration, None) for t in slo.run]
    for endpoint, thresholds in slo.endpoints.items():
        outcomes += [_check(f"endpoint {endpoint}", t, timeline, 0.0, duration, endpoint) for t in thresholds]
    by_name = {p.name: p for p in phases}
    for name, thresholds in slo.phases.items():
        phase = by_name.get(name)
        for t in thresholds:
            if phase is None or phase.start >= duration:
                outcomes.append(
                    SloOutcome(
                        f"phase {name}",
                        ThresholdResult(
                            t, None, False, f"{t.metric}: no data (the run ended before phase {name})"
                        ),
                    )
                )
            else:
                outcomes.append(
                    _check(
                        f"phase {name}",
                        t,
                        timeline,
                        phase.start,
                        min(phase.end, duration),
                        None,
                        (extra or {}).get(name),
                    )
                )
    return outcomes


def _check(
    scope: str,
    threshold: Threshold,
    timeline: Timeline,
    start: float,
    end: float,
    endpoint: str | None,
    extra: Mapping[str, float] | None = None,
) -> SloOutcome:
    values = {**timeline.metrics(start, end, endpoint, _quantiles([threshold])), **(extra or {})}
    result = threshold.evaluate(values)
    breaches = () if result.passed else tuple(breach_intervals(timeline, threshold, start, end, endpoint))
    return SloOutcome(scope, result, breaches, key_figures(values, threshold.metric))


#: What the run history keeps of every SLO's scope, besides the threshold's own metric.
KEY_FIGURES = ("p(95)", "p(99)", "error_rate")


def key_figures(values: Mapping[str, float], metric: str) -> dict[str, float]:
    """The scope's :data:`KEY_FIGURES` and ``metric``, those measured (finite) only."""
    wanted = dict.fromkeys([*KEY_FIGURES, metric])
    return {name: float(values[name]) for name in wanted if name in values and math.isfinite(values[name])}


def breach_intervals(
    timeline: Timeline,
    threshold: Threshold,
    start: float,
    end: float,
    endpoint: str | None = None,
    window: int = BREACH_WINDOW_S,
) -> list[tuple[float, float]]:
    """Stretches of ``[start, end)`` where the trailing ``window`` seconds breach ``threshold``."""
    if threshold.metric in _TOTALS or threshold.metric in _NOT_IN_TIMELINE:
        return []
    quantiles = _quantiles([threshold])
    spans: list[tuple[float, float]] = []
    second = int(start)
    while second < end:
        window_start = max(start, second + 1 - window)
        values = timeline.metrics(window_start, second + 1, endpoint, quantiles)
        result = threshold.evaluate(values)
        if not result.passed and result.actual is not None:
            stop = float(min(second + 1, end))
            if spans and spans[-1][1] >= second:
                spans[-1] = (spans[-1][0], stop)
            else:
                spans.append((float(second), stop))
        second += 1
    return spans


def sustained_breach(
    timeline: Timeline, thresholds: Sequence[Threshold], now: float, window: float, grace: float
) -> tuple[Threshold, ThresholdResult] | None:
    """A run-wide threshold breached in every second of the last ``window`` seconds before ``now``.

    Seconds with no data do not count as breaches (except for ``rps``, where silence is the
    breach), so a pause in reporting cannot abort a healthy run.
    """
    first = now - window
    if first < grace:
        return None
    for threshold in thresholds:
        if threshold.metric in _TOTALS:
            continue
        last: ThresholdResult | None = None
        second = int(first)
        while second < int(now):
            values = timeline.metrics(second, second + 1, None, _quantiles([threshold]))
            last = threshold.evaluate(values)
            no_data = last.actual is None
            if last.passed or (no_data and threshold.metric != "rps"):
                break
            second += 1
        else:
            if last is not None:
                whole = threshold.evaluate(timeline.metrics(first, now, None, _quantiles([threshold])))
                return threshold, whole
    return None


def _quantiles(thresholds: Sequence[Threshold]) -> list[float]:
    return [q for t in thresholds if (q := t.quantile) is not None]
