"""Plain data for report.html's sections beyond the run itself: the history strip and trends.

core renders them but must not read the history store (the layer rule: history sits above core),
so the app layer reads the store, builds these, and hands them to :func:`render_html`. They hold
only strings and numbers, already redacted by whoever built them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from interlock.core.integration_map import IntegrationMap


@dataclass(frozen=True)
class RunCell:
    """One earlier (or this) run, as one column of an integration's history strip."""

    run_id: str
    started_at: str
    #: The integration's status in that run.
    status: str
    #: Stage name -> its status in that run (a stage it did not run is absent).
    stages: Mapping[str, str]
    current: bool = False


@dataclass(frozen=True)
class Trend:
    """One figure over the strip's runs: ``values`` has one entry per run, oldest first."""

    stage: str
    subject: str  #: the SLO scope or chaos fault it belongs to ("" for the stage as a whole)
    metric: str
    values: tuple[float | None, ...]

    @property
    def latest(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def last_known(self) -> tuple[int, float] | None:
        """(index, value) of the newest run that measured it."""
        for index in range(len(self.values) - 1, -1, -1):
            value = self.values[index]
            if value is not None:
                return index, value
        return None

    @property
    def span(self) -> tuple[float, float] | None:
        """The lowest and highest value over the runs (the sparkline's vertical range)."""
        known = [v for v in self.values if v is not None]
        return (min(known), max(known)) if known else None

    @property
    def label(self) -> str:
        return " · ".join(part for part in (self.stage, self.subject, self.metric) if part)


@dataclass(frozen=True)
class IntegrationHistory:
    integration: str
    #: The stages the strip shows, in run order.
    stages: tuple[str, ...]
    #: Oldest first; the last one is this run.
    runs: tuple[RunCell, ...]
    trends: tuple[Trend, ...] = ()
    #: What changed since the last green run, one sentence each ("failing since run X", ...).
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportExtras:
    """Everything report.html shows besides the verdict; every part optional."""

    integration_map: IntegrationMap | None = None
    history: tuple[IntegrationHistory, ...] = ()
    #: Why there is no history to show (the store could not be read), shown instead of it.
    history_note: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)


def format_figure(metric: str, value: float | None) -> str:
    """A figure as a person reads it: ``412ms``, ``1.5%``, ``2.3x``, ``0.84s``."""
    if value is None or not math.isfinite(value):
        return "-"
    if metric.startswith("p(") or metric in ("avg", "min", "max", "med", "retry_gap_min", "retry_gap_avg"):
        return f"{value:.0f}ms" if value >= 10 else f"{value:.1f}ms"
    if metric in ("error_rate", "success_rate", "fuzz_coverage"):
        return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"
    if metric == "amplification":
        return f"{value:.2g}x"
    if metric.endswith("_s"):
        return f"{value:.2f}s"
    return f"{value:.3g}"
