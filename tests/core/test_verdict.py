"""The verdict folds statuses in one place; exit codes follow DESIGN.md."""

from __future__ import annotations

from datetime import UTC, datetime

from interlock.core.verdict import (
    CheckResult,
    Finding,
    IntegrationVerdict,
    RunVerdict,
    Severity,
    StageResult,
    Status,
)


def run_with(*stages: StageResult) -> RunVerdict:
    return RunVerdict(
        run_id="r",
        tool_version="0",
        manifest="m",
        profile="ci",
        stages=["contracts"],
        started_at=datetime.now(UTC),
        integrations=[IntegrationVerdict(integration="a-b", consumer="a", provider="b", stages=list(stages))],
    )


def stage(*statuses: Status, error: str | None = None) -> StageResult:
    return StageResult(
        stage="contracts",
        integration="a-b",
        error=error,
        checks=[CheckResult(name=f"c{i}", status=s) for i, s in enumerate(statuses)],
    )


def test_all_passed_exits_0() -> None:
    verdict = run_with(stage(Status.PASSED, Status.PASSED))
    assert (verdict.status, verdict.exit_code) == ("passed", 0)


def test_one_failed_check_fails_the_gate() -> None:
    verdict = run_with(stage(Status.PASSED, Status.FAILED))
    assert (verdict.status, verdict.exit_code) == ("failed", 1)


def test_a_crashed_stage_means_incomplete_even_with_failures() -> None:
    verdict = run_with(stage(Status.FAILED), stage(error="boom"))
    assert (verdict.status, verdict.exit_code) == ("error", 3)


def test_run_error_and_interrupt_take_precedence() -> None:
    verdict = run_with(stage(Status.PASSED))
    verdict.error = "payments did not start"
    assert verdict.exit_code == 3
    verdict.interrupted_by = 15
    assert (verdict.status, verdict.exit_code, verdict.interrupted) == ("interrupted", 143, True)


def test_warning_findings_do_not_change_a_passed_check() -> None:
    finding = Finding(stage="contracts", integration="a-b", severity=Severity.WARNING, title="pending")
    result = StageResult(
        stage="contracts",
        integration="a-b",
        checks=[CheckResult(name="c", status=Status.PASSED, findings=[finding])],
    )
    assert run_with(result).exit_code == 0
    assert result.findings == [finding]


def test_skipped_stage_without_checks() -> None:
    result = StageResult(stage="contracts", integration="a-b", skipped_reason="no pacts declared")
    assert result.status == Status.SKIPPED
    assert run_with(result).exit_code == 0


def test_a_finding_has_a_short_stable_id_and_old_verdicts_still_load() -> None:
    from interlock.core.verdict import Finding, RecordedRequest, RecordedResponse

    def make(**extra: object) -> Finding:
        return Finding(
            stage="fuzz",
            integration="checkout-payments",
            title="POST /payments: Server error",
            operation="POST /payments",
            check="not_a_server_error",
            **{"cause": "500", **extra},  # type: ignore[arg-type]
        )

    first, again = make(), make(detail="another run, other words", seed=2)
    assert len(first.id) == 8 and first.id == again.id
    assert make(cause="502").id != first.id
    full = make(
        code="ST100",
        request=RecordedRequest(method="POST", url="http://127.0.0.1:1/payments", path="/payments"),
        response=RecordedResponse(status=500, body_excerpt="boom"),
        seed=1,
    )
    assert Finding.model_validate(full.model_dump(mode="json")) == full
    # a verdict.json written before these fields existed
    old = Finding.model_validate({"stage": "contracts", "integration": "a-b", "title": "t", "detail": "d"})
    assert old.request is None and old.chain == [] and len(old.id) == 8
