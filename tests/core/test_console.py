"""Progress output: plain timestamped lines off a terminal, and what a stage's line says."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from interlock.core.console import Output, want_plain
from interlock.core.verdict import (
    CheckResult,
    Finding,
    IntegrationVerdict,
    RunVerdict,
    StageResult,
    Status,
)

_STAMP = re.compile(r"^\[\s*\d+\.\ds\] ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def plain_lines(stream: io.StringIO) -> list[str]:
    """The printed lines without their timestamps (each must have one)."""
    lines = stream.getvalue().splitlines()
    assert all(_STAMP.match(line) for line in lines), lines
    return [_STAMP.sub("", line) for line in lines]


def test_plain_is_chosen_off_a_terminal_or_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert want_plain(io.StringIO()) is True
    assert want_plain(_Terminal()) is False
    monkeypatch.setenv("CI", "true")
    assert want_plain(_Terminal()) is True


def test_plain_lines_are_timestamped_and_markup_is_printed_as_is() -> None:
    stream = io.StringIO()
    output = Output(stream)
    assert output.plain
    output.info("starting [bold]payments[/bold]")
    output.warn("slow")
    assert plain_lines(stream) == ["starting [bold]payments[/bold]", "warning: slow"]


def test_rich_mode_escapes_markup_in_messages() -> None:
    stream = io.StringIO()
    Output(stream, plain=False).info("[red]not a style[/red]")
    assert stream.getvalue().strip() == "[red]not a style[/red]"


def test_a_finished_stage_counts_checks_and_lists_failed_findings_and_the_error() -> None:
    finding = Finding(stage="contracts", integration="a-b", title="status 500, expected 201")
    ignored = Finding(stage="contracts", integration="a-b", title="note on a passed check")
    result = StageResult(
        stage="contracts",
        integration="a-b",
        duration_s=1.26,
        error="verifier crashed\ntraceback line",
        checks=[
            CheckResult(name="ok", status=Status.PASSED, findings=[ignored]),
            CheckResult(name="bad", status=Status.FAILED, findings=[finding]),
        ],
    )
    stream = io.StringIO()
    Output(stream).stage_finished(result)
    assert plain_lines(stream) == [
        "! contracts a-b: error (1/2 checks passed, 1.3s)",
        f"    ✗ status 500, expected 201 [{finding.id}]",  # the id names it to `interlock replay`
        "    verifier crashed",
    ]


@pytest.mark.parametrize(
    ("error", "lines"),
    [
        (
            "fuzzing payments failed: cannot load the OpenAPI spec\ntraceback",
            ["! fuzz a-b: error (fuzzing payments failed: cannot load the OpenAPI spec, 1.1s)"],
        ),
        ("", ["! fuzz a-b: error (no error message, 1.1s)"]),
        (
            "x" * 200,
            ["! fuzz a-b: error (" + "x" * 159 + "…, 1.1s)", "    " + "x" * 200],
        ),
    ],
)
def test_a_stage_that_errored_before_any_check_names_its_error_in_its_line(
    error: str, lines: list[str]
) -> None:
    stream = io.StringIO()
    Output(stream).stage_finished(StageResult(stage="fuzz", integration="a-b", duration_s=1.1, error=error))
    assert plain_lines(stream) == lines


def test_a_skipped_stage_says_why() -> None:
    stream = io.StringIO()
    Output(stream).stage_finished(
        StageResult(stage="chaos", integration="a-b", skipped_reason="no chaos file")
    )
    assert plain_lines(stream) == ["- chaos a-b: skipped (no chaos file, 0.0s)"]


def test_waiting_is_one_line_in_plain_mode() -> None:
    stream = io.StringIO()
    with Output(stream).waiting("waiting for payments"):
        pass
    assert plain_lines(stream) == ["waiting for payments"]


def test_the_verdict_names_status_exit_code_integrations_and_report() -> None:
    started = datetime(2024, 1, 1, tzinfo=UTC)
    verdict = RunVerdict(
        run_id="r",
        tool_version="0",
        manifest="m",
        profile="ci",
        stages=["contracts"],
        started_at=started,
        finished_at=started + timedelta(seconds=2.5),
        integrations=[
            IntegrationVerdict(
                integration="a-b",
                consumer="a",
                provider="b",
                stages=[
                    StageResult(
                        stage="contracts",
                        integration="a-b",
                        checks=[CheckResult(name="c", status=Status.FAILED)],
                    )
                ],
            )
        ],
    )
    stream = io.StringIO()
    Output(stream).verdict(verdict, "reports/latest")
    assert plain_lines(stream) == [
        "verdict: failed (exit 1) in 2.5s",
        "  a-b: failed",
        "report: reports/latest",
    ]
