"""Progress output: rich on a terminal, plain timestamped lines in CI and pipes.

Stages report through :class:`Output` only, so the same run reads well in a terminal and in a
CI log. Plain mode is chosen when stdout is not a terminal, when ``CI`` is set, or on request.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from typing import IO

from rich.console import Console
from rich.markup import escape

from interlock.core.confirmation import measurements
from interlock.core.redact import RedactionPolicy
from interlock.core.verdict import RunVerdict, StageResult, Status

#: The longest error shown inside a stage's line; a longer one follows in full on the next line.
SUMMARY_CHARS = 160
_STYLE = {
    Status.PASSED: "green",
    Status.FAILED: "red",
    Status.ERROR: "bold red",
    Status.SKIPPED: "yellow",
    Status.INTERRUPTED: "bold yellow",
}
_MARK = {
    Status.PASSED: "✓",
    Status.FAILED: "✗",
    Status.ERROR: "!",
    Status.SKIPPED: "-",
    Status.INTERRUPTED: "⏹",
}


def want_plain(stream: IO[str]) -> bool:
    return bool(os.environ.get("CI")) or not stream.isatty()


class Output:
    """Where a run tells the user what it is doing."""

    def __init__(self, stream: IO[str] | None = None, *, plain: bool | None = None) -> None:
        stream = stream or sys.stdout
        self.plain = want_plain(stream) if plain is None else plain
        self.console = Console(
            file=stream,
            highlight=False,
            soft_wrap=True,
            no_color=self.plain or None,
            force_terminal=False if self.plain else None,
        )
        self._started = time.monotonic()
        #: The run's secrets: a CI log is an artefact too, so every line is masked like the reports.
        self.redaction: RedactionPolicy | None = None

    def _line(self, text: str, style: str | None = None) -> None:
        if self.redaction is not None:
            text = self.redaction.text(text)
        if self.plain:
            self.console.print(f"[{time.monotonic() - self._started:6.1f}s] {text}", markup=False)
        else:
            self.console.print(escape(text), style=style)

    def info(self, text: str) -> None:
        self._line(text, "dim")

    def warn(self, text: str) -> None:
        self._line(f"warning: {text}", "yellow")

    def stage_finished(self, result: StageResult) -> None:
        """``! fuzz a-b: error (WHAT, 1.1s)``: WHAT is the check count, else the error, else why skipped.

        A stage that errored before any check names its error in the line itself (shortened to
        :data:`SUMMARY_CHARS`; the whole first line of the error follows when it was shortened).
        """
        passed = sum(c.status == Status.PASSED for c in result.checks)
        error = (result.error or "").strip().splitlines()[0] if result.error else None
        if result.error is not None and not error:
            error = "no error message"
        flaky = sum(c.flaky for c in result.checks)
        if result.checks:
            counts = f"{passed}/{len(result.checks)} checks passed" + (f", {flaky} flaky" if flaky else "")
        elif error:
            counts = error if len(error) <= SUMMARY_CHARS else error[: SUMMARY_CHARS - 1] + "…"
        else:
            counts = result.skipped_reason or ""
        status = result.status
        where = f"{counts}, " if counts else ""
        self._line(
            f"{_MARK[status]} {result.stage} {result.integration}: {status.value}"
            f" ({where}{result.duration_s:.1f}s)",
            _STYLE[status],
        )
        for check in result.checks:
            if check.flaky:  # never silently green: each attempt's measurement, as a warning
                self._line(f"    ~ flaky: {check.name} ({measurements(check.attempts)})", "yellow")
            elif check.status in (Status.FAILED, Status.ERROR):
                for finding in check.findings or []:
                    self._line(f"    ✗ {finding.title} [{finding.id}]", "red")
        if error and counts != error:
            self._line(f"    {error}", "red")

    def waiting(self, text: str) -> AbstractContextManager[object]:
        """A spinner on a terminal while something slow happens; a plain line otherwise."""
        if self.plain:
            self._line(text)
            return nullcontext()
        return self.console.status(escape(text))

    def verdict(self, verdict: RunVerdict, report_dir: str) -> None:
        status = verdict.status
        style = "bold green" if status == "passed" else "bold red"
        flaky = f", {verdict.flaky} flaky check(s) (passed on confirmation)" if verdict.flaky else ""
        self._line(f"verdict: {status} (exit {verdict.exit_code}) in {verdict.duration_s:.1f}s{flaky}", style)
        for integration in verdict.integrations:
            self._line(f"  {integration.integration}: {integration.status.value}", _STYLE[integration.status])
        self._line(f"report: {report_dir}", None)
