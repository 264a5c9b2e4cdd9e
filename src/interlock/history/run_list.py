"""``interlock history``: the recent runs as a table (one line per run and integration) or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, TextIO

from interlock.history.runs import RunRecord

#: How a stage status shows in the table: short, and readable without colour.
_SHOWN = {
    "passed": "ok",
    "failed": "FAILED",
    "error": "ERROR",
    "interrupted": "INTERRUPTED",
    "skipped": "skip",
}


def stage_columns(runs: Sequence[RunRecord]) -> list[str]:
    """Every stage any of ``runs`` ran, in the order the runs list them."""
    columns: list[str] = []
    for run in runs:
        for integration in run.integrations:
            for stage in integration.stages:
                if stage.stage not in columns:
                    columns.append(stage.stage)
    return columns


def render_runs(runs: Sequence[RunRecord], out: TextIO) -> None:
    """Newest first: run id, start time, the run's verdict, then per integration its stages."""
    columns = stage_columns(runs)
    header = ["run", "started (UTC)", "verdict", "integration", *columns]
    rows: list[list[str]] = []
    for run in runs:
        started = run.started_at.replace("T", " ")[:19]
        lead = [run.run_id, started, run.status]
        for index, integration in enumerate(run.integrations or ()):
            cells = []
            for name in columns:
                stage = integration.stage(name)
                if stage is None:
                    cells.append("-")
                else:
                    shown = _SHOWN.get(stage.status, stage.status)
                    cells.append(f"{shown} ({stage.findings})" if stage.findings else shown)
            rows.append([*(lead if index == 0 else ["", "", ""]), integration.integration, *cells])
        if not run.integrations:
            rows.append([*lead, "(none)", *("-" for _ in columns)])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
        )
    out.write("stage cells: status (findings, when there were any)\n")


def runs_as_json(runs: Sequence[RunRecord]) -> list[dict[str, Any]]:
    return [asdict(run) for run in runs]
