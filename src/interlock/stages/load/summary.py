"""The load stage's own summary of a run: figures per scope, SLO outcomes, fault windows, baseline.

Written next to Locust's CSV and HTML as ``load-summary.md`` (for people) and
``load-summary.json`` (for tools and the next run's baseline), from the same data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.stages.load.metrics import Timeline
from interlock.stages.load.schedule import Phase
from interlock.stages.load.slo import SloOutcome

COLUMNS = (
    ("requests", "requests", "{:.0f}"),
    ("rps", "rps", "{:.1f}"),
    ("p(50)", "p50", "{:.0f} ms"),
    ("p(90)", "p90", "{:.0f} ms"),
    ("p(95)", "p95", "{:.0f} ms"),
    ("p(99)", "p99", "{:.0f} ms"),
    ("error_rate", "errors", "{:.2%}"),
)
#: Around a fault, what reached the provider too.
FAULT_COLUMNS = (
    *COLUMNS,
    ("provider_rps", "provider req/s", "{:.1f}"),
    ("amplification", "amplification", "{:.2f}x"),
)


@dataclass
class RunSummary:
    """Everything the summary files show."""

    title: str
    scopes: list[tuple[str, dict[str, float]]]  #: (label, metrics) rows of the figures table
    outcomes: list[SloOutcome]
    notes: list[str] = field(default_factory=list)
    fault_rows: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    fault_note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def scopes_of(timeline: Timeline, phases: Sequence[Phase]) -> list[tuple[str, dict[str, float]]]:
    """Figures for the whole run, each phase that ran and each endpoint."""
    duration = timeline.duration
    rows = [("whole run", timeline.metrics())]
    rows += [
        (f"phase {p.name} ({p.start:.3g}-{min(p.end, duration):.3g}s)", timeline.metrics(p.start, p.end))
        for p in phases
        if p.start < duration
    ]
    rows += [(f"endpoint {e}", timeline.metrics(endpoint=e)) for e in timeline.endpoints]
    return rows


def table(
    rows: Sequence[tuple[str, dict[str, float]]], columns: Sequence[tuple[str, str, str]] = COLUMNS
) -> str:
    header = "| scope | " + " | ".join(label for _, label, _ in columns) + " |"
    lines = [header, "|---|" + "---:|" * len(columns)]
    for name, values in rows:
        cells = [_cell(values.get(key), fmt) for key, _, fmt in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | None, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"  # noqa: RUF001 - an en dash is the table cell for "no value"
    return fmt.format(value)


def render_markdown(summary: RunSummary, images: Sequence[str]) -> str:
    failed = [o for o in summary.outcomes if not o.passed]
    lines = [f"# {summary.title}", ""]
    if summary.outcomes:
        verdict = "all SLOs held" if not failed else f"{len(failed)} of {len(summary.outcomes)} SLOs failed"
        lines += [f"**{verdict}**", ""]
    if summary.notes:
        lines += [f"- {note}" for note in summary.notes] + [""]
    if summary.outcomes:
        lines += ["## SLOs", "", "| | SLO | measured |", "|---|---|---|"]
        for outcome in summary.outcomes:
            mark = "✅" if outcome.passed else "❌"
            lines.append(f"| {mark} | {outcome.scope}: `{outcome.result.threshold}` | {outcome.describe()} |")
        lines.append("")
    lines += ["## Figures", "", table(summary.scopes), ""]
    if summary.fault_rows:
        lines += ["## Before, during and after the fault", ""]
        if summary.fault_note:
            lines += [summary.fault_note, ""]
        lines += [
            table(summary.fault_rows, FAULT_COLUMNS),
            "",
            (
                "*amplification*: requests the consumer sent towards the provider (every one the fault proxy"
                " saw, answered by a fault or not) per request the load sent."
            ),
            "",
        ]
    for image in images:
        lines += [f"![load over time]({image})", ""]
    return "\n".join(lines)


def write(summary: RunSummary, out_dir: Path, images: Sequence[str]) -> list[Path]:
    markdown = out_dir / "load-summary.md"
    markdown.write_text(render_markdown(summary, images), encoding="utf-8")
    data = {
        "title": summary.title,
        "scopes": [{"scope": name, **_finite(values)} for name, values in summary.scopes],
        "slo": [
            {
                "scope": o.scope,
                "threshold": str(o.result.threshold),
                "passed": o.passed,
                "actual": o.result.actual,
                "message": o.describe(),
                "breaches": o.breaches,
            }
            for o in summary.outcomes
        ],
        "under_fault": [{"scope": name, **_finite(values)} for name, values in summary.fault_rows],
        "notes": summary.notes,
        **summary.extra,
    }
    path = out_dir / "load-summary.json"
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return [markdown, path]


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}
