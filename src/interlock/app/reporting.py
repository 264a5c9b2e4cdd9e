"""The verdict of a command run, from its first line to its reports: one loop for every command.

``interlock verify`` (and each stage's command) and ``interlock contracts check-spec`` all build a
:class:`RunVerdict` the same way, fill it one integration at a time, write the same report files,
point ``reports/latest`` at them, and show the summary (on GitHub Actions, on the run page too).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from interlock import __version__
from interlock.core.console import Output
from interlock.core.errors import Interrupted
from interlock.core.manifest import Integration
from interlock.core.redact import DEFAULT, RedactionPolicy
from interlock.core.report_extras import ReportExtras
from interlock.core.reports import SUMMARY_FILE, point_latest, write_reports
from interlock.core.verdict import IntegrationVerdict, RunVerdict, StageResult


def new_verdict(run_id: str, manifest: Path, profile: str, stages: Sequence[str]) -> RunVerdict:
    """An empty verdict for a run starting now."""
    return RunVerdict(
        run_id=run_id,
        tool_version=__version__,
        manifest=str(manifest),
        profile=profile,
        stages=list(stages),
        started_at=datetime.now(UTC),
    )


def judge_integration(
    verdict: RunVerdict,
    integration: Integration,
    stages: Sequence[Callable[[Integration], StageResult]],
    output: Output,
) -> IntegrationVerdict:
    """Run ``stages`` for ``integration`` in order, each result shown as it comes and kept in ``verdict``.

    The integration's verdict is added before its first stage runs, so an interrupted run still
    reports the stages that finished; the stage that was running (or about to run) when the signal
    came is recorded as interrupted, with what it had measured when it can say, so an
    interrupted integration is never "passed".
    """
    judged = IntegrationVerdict(
        integration=integration.name, consumer=integration.consumer, provider=integration.provider
    )
    verdict.integrations.append(judged)
    try:
        for stage in stages:
            judged.stages.append(stage(integration))
            output.stage_finished(judged.stages[-1])
    except Interrupted as exc:
        done = len(judged.stages)  # the stages before this one finished; this one did not
        if done < len(stages):
            name = verdict.stages[done] if done < len(verdict.stages) else f"stage {done + 1}"
            partial = exc.partial if isinstance(exc.partial, StageResult) else None
            result = partial or StageResult(stage=name, integration=integration.name)
            if result.interrupted_by is None:
                result = interrupted_result(result, exc.signum, result.duration_s)
            judged.stages.append(result)
            output.stage_finished(result)
        raise
    return judged


def interrupted_result(result: StageResult, signum: int, duration_s: float) -> StageResult:
    """``result`` (what a stage had when a signal stopped it) marked interrupted by ``signum``."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = str(signum)
    return result.model_copy(
        update={
            "interrupted_by": signum,
            "duration_s": duration_s or result.duration_s,
            "error": f"interrupted by signal {signum} ({name}) before it finished",
        }
    )


def write_run_reports(
    verdict: RunVerdict, run_dir: Path, policy: RedactionPolicy = DEFAULT, extras: ReportExtras | None = None
) -> None:
    """Close the verdict (unless the caller did), write every report file into ``run_dir`` (with
    report.html's ``extras``: map, history) and make it ``latest``."""
    if verdict.finished_at is None:
        verdict.finished_at = datetime.now(UTC)
    write_reports(verdict, run_dir, policy, extras)
    point_latest(run_dir)


def show_verdict(verdict: RunVerdict, run_dir: Path, output: Output) -> None:
    """The verdict on the terminal, and the summary on the GitHub Actions run page when there."""
    output.verdict(verdict, str(run_dir / SUMMARY_FILE))
    append_step_summary(run_dir / SUMMARY_FILE)


def append_step_summary(summary: Path) -> None:
    """On GitHub Actions (``$GITHUB_STEP_SUMMARY`` set), append a Markdown file to the run's summary."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target and summary.is_file():
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(summary.read_text(encoding="utf-8"))
