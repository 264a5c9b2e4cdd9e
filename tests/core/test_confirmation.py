"""Folding a check's attempts: flaky, confirmed failures, and what a re-run may not change."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.confirmation import Attempt, Confirmation, confirm, measurements
from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest
from interlock.core.verdict import CheckResult, Finding, Severity, Status


def check(name: str, status: Status, figure: str = "") -> CheckResult:
    findings = (
        [Finding(stage="chaos", integration="a-b", title=f"{name}: {figure}")]
        if status == Status.FAILED
        else []
    )
    return CheckResult(name=name, status=status, message=figure, duration_s=1.0, findings=findings)


class Attempts:
    """Hands out prepared attempts and counts how many were asked for."""

    def __init__(self, *attempts: Attempt) -> None:
        self.attempts = list(attempts)
        self.asked: list[int] = []

    def __call__(self, number: int) -> Attempt:
        self.asked.append(number)
        return self.attempts[number - 2]


def fold(
    first: list[CheckResult], timing: set[str], rerun: Attempts, reruns: int = 1, **kw: bool
) -> list[CheckResult]:
    return confirm(first, timing, rerun, reruns, stage="chaos", integration="a-b", **kw)


def test_fails_then_passes_is_flaky_with_both_measurements() -> None:
    first = [check("steady", Status.FAILED, "p(99)=900ms"), check("fault", Status.SKIPPED)]
    rerun = Attempts(
        ([check("steady", Status.PASSED, "p(99)=80ms"), check("fault", Status.PASSED, "ok")], set())
    )
    steady, fault = fold(first, {"steady"}, rerun)
    assert steady.status == Status.PASSED and steady.flaky
    assert [(a.attempt, a.status) for a in steady.attempts] == [(1, Status.FAILED), (2, Status.PASSED)]
    assert (
        steady.attempts[0].findings == ["steady: p(99)=900ms"] and steady.attempts[1].message == "p(99)=80ms"
    )
    warning = steady.findings[0]
    assert warning.severity == Severity.WARNING and "flaky" in warning.title
    assert "p(99)=900ms" in warning.detail and "p(99)=80ms" in warning.detail
    assert fault.status == Status.PASSED and not fault.attempts  # skipped at first: the re-run decides
    assert (
        measurements(steady.attempts) == "attempt 1 failed: steady: p(99)=900ms; attempt 2 passed: p(99)=80ms"
    )


def test_strict_flaky_fails() -> None:
    rerun = Attempts(([check("steady", Status.PASSED, "fast")], set()))
    (steady,) = fold([check("steady", Status.FAILED, "slow")], {"steady"}, rerun, strict=True)
    assert steady.status == Status.FAILED and steady.flaky
    assert steady.findings[0].severity == Severity.ERROR


def test_fails_every_attempt_is_failed_with_every_measurement() -> None:
    rerun = Attempts(
        ([check("steady", Status.FAILED, "p(99)=950ms")], {"steady"}),
        ([check("steady", Status.FAILED, "p(99)=990ms")], {"steady"}),
    )
    (steady,) = fold([check("steady", Status.FAILED, "p(99)=900ms")], {"steady"}, rerun, reruns=2)
    assert steady.status == Status.FAILED and not steady.flaky
    assert [a.status for a in steady.attempts] == [Status.FAILED] * 3
    assert steady.findings[0].title == "steady: p(99)=900ms"  # the first failure stays the finding
    assert "failed on all 3 attempts" in steady.message and rerun.asked == [2, 3]


def test_stops_re_running_once_every_timing_failure_is_decided() -> None:
    rerun = Attempts(
        ([check("steady", Status.PASSED)], set()), ([check("steady", Status.FAILED)], {"steady"})
    )
    (steady,) = fold([check("steady", Status.FAILED)], {"steady"}, rerun, reruns=3)
    assert steady.flaky and rerun.asked == [2]


def test_first_results_of_other_checks_stand() -> None:
    """A re-run never turns a deterministic failure green, nor a first pass red."""
    first = [
        check("count", Status.FAILED, "amplification=3"),
        check("ok", Status.PASSED),
        check("slow", Status.FAILED),
    ]
    again = [check("count", Status.PASSED), check("ok", Status.FAILED), check("slow", Status.FAILED)]
    rerun = Attempts((again, {"slow"}))
    count, ok, slow = fold(first, {"slow"}, rerun)
    assert count.status == Status.FAILED and not count.attempts
    assert ok.status == Status.PASSED and not ok.attempts
    assert slow.status == Status.FAILED and len(slow.attempts) == 2


def test_a_re_run_that_fails_on_something_deterministic_decides() -> None:
    rerun = Attempts(
        ([check("steady", Status.FAILED, "amplification=4")], set()),
        ([check("steady", Status.PASSED)], set()),
    )
    (steady,) = fold([check("steady", Status.FAILED, "p(99)=900ms")], {"steady"}, rerun, reruns=2)
    assert steady.status == Status.FAILED and len(steady.attempts) == 2 and rerun.asked == [2]


def test_no_timing_failure_no_re_run() -> None:
    rerun = Attempts()
    (only,) = fold([check("count", Status.FAILED)], set(), rerun, reruns=3)
    assert only.status == Status.FAILED and rerun.asked == []


def test_command_line_wins_over_files_and_files_over_the_manifest() -> None:
    assert Confirmation(reruns=1).reruns_for(None) == 1
    assert Confirmation(reruns=1).reruns_for(0) == 0
    assert Confirmation(reruns=2, from_command_line=True).reruns_for(0) == 2


def test_manifest_confirm_is_bounded_and_strict_flaky_read(tmp_path: Path) -> None:
    base = "version: 1\nservices: {a: {base_url: 'http://127.0.0.1:9'}}\nintegrations: [{name: a, provider: a}]\n"
    path = tmp_path / "interlock.yaml"
    path.write_text(base + "confirm: 2\nstrict_flaky: true\n")
    manifest = load_manifest(path)
    assert (manifest.confirm, manifest.strict_flaky) == (2, True)
    assert load_manifest(_write(path, base)).confirm == 1
    with pytest.raises(ConfigError, match=r"interlock.yaml:4.*confirm"):
        load_manifest(_write(path, base + "confirm: 9\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
