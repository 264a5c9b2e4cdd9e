"""The report loop every command shares: verdict, stage results as they come, reports, step summary."""

from __future__ import annotations

import io
import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from interlock.app.reporting import (
    append_step_summary,
    judge_integration,
    new_verdict,
    show_verdict,
    write_run_reports,
)
from interlock.core.console import Output
from interlock.core.errors import Interrupted
from interlock.core.manifest import Integration
from interlock.core.reports import SUMMARY_FILE, VERDICT_FILE
from interlock.core.verdict import CheckResult, StageResult, Status

INTEGRATION = Integration(name="checkout-payments", consumer="checkout", provider="payments")


def test_one_integration_runs_its_stages_in_order_and_is_kept(tmp_path: Path) -> None:
    stream = io.StringIO()
    output = Output(stream, plain=True)
    verdict = new_verdict("run-1", Path("interlock.yaml"), "ci", ["contracts", "fuzz"])
    ran: list[str] = []

    def stage(name: str) -> Callable[[Integration], StageResult]:
        def run(integration: Integration) -> StageResult:
            ran.append(name)
            assert verdict.integrations[-1].integration == integration.name  # kept before it runs
            return StageResult(stage=name, integration=integration.name)

        return run

    judged = judge_integration(verdict, INTEGRATION, [stage("contracts"), stage("fuzz")], output)
    assert ran == ["contracts", "fuzz"]
    assert [s.stage for s in judged.stages] == ["contracts", "fuzz"]
    assert verdict.integrations == [judged] and judged.provider == "payments"
    assert "contracts" in stream.getvalue() and "fuzz" in stream.getvalue()

    run_dir = tmp_path / "reports" / "run-1"
    write_run_reports(verdict, run_dir)
    assert verdict.finished_at is not None
    assert json.loads((run_dir / VERDICT_FILE).read_text())["run_id"] == "run-1"
    assert (tmp_path / "reports" / "latest").resolve() == run_dir.resolve()


def test_the_summary_reaches_the_github_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = new_verdict("run-2", Path("interlock.yaml"), "ci", ["contracts"])
    run_dir = tmp_path / "run-2"
    write_run_reports(verdict, run_dir)
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    show_verdict(verdict, run_dir, Output(io.StringIO(), plain=True))
    assert step_summary.read_text() == "earlier step\n" + (run_dir / SUMMARY_FILE).read_text()


def test_no_step_summary_outside_github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    summary = tmp_path / "summary.md"
    summary.write_text("# verdict\n")
    append_step_summary(summary)  # nothing to append to: no error, nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.md"]


def test_a_runs_reports_mask_the_manifests_secret_env_values(tmp_path: Path) -> None:
    from interlock.app.pipeline import redaction_policy
    from interlock.core.manifest import load_manifest

    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(
        "version: 1\nservices:\n"
        "  payments:\n    base_url: http://127.0.0.1:9\n"
        "    env: {PAYMENTS_API_KEY: k-0123456, STRIPE_SECRET: sk_live_abc, LOG_LEVEL: debug}\n"
        "  checkout: {base_url: 'http://127.0.0.1:9'}\n"
        "integrations:\n  - {name: checkout-payments, consumer: checkout, provider: payments}\n"
    )
    policy = redaction_policy(load_manifest(manifest))
    assert sorted(s.value for s in policy.secrets) == ["k-0123456", "sk_live_abc"]
    assert policy.text("key k-0123456 at debug level") == "key [REDACTED] at debug level"


def _interrupting(name: str, partial: StageResult | None = None) -> Callable[[Integration], StageResult]:
    def run(integration: Integration) -> StageResult:
        exc = Interrupted(signal.SIGINT)
        exc.partial = partial
        raise exc

    return run


def test_the_stage_a_signal_stops_is_recorded_interrupted_and_the_integration_never_passes() -> None:
    stream = io.StringIO()
    verdict = new_verdict("run-3", Path("interlock.yaml"), "ci", ["contracts", "fuzz", "chaos"])
    passed = StageResult(stage="contracts", integration=INTEGRATION.name)
    with pytest.raises(Interrupted):
        judge_integration(
            verdict,
            INTEGRATION,
            [lambda i: passed, _interrupting("fuzz"), _interrupting("chaos")],
            Output(stream),
        )
    verdict.interrupted_by = signal.SIGINT
    (judged,) = verdict.integrations
    assert [(s.stage, s.status) for s in judged.stages] == [
        ("contracts", Status.PASSED),
        ("fuzz", Status.INTERRUPTED),
    ]
    assert judged.status == Status.INTERRUPTED
    assert judged.stages[1].error == "interrupted by signal 2 (SIGINT) before it finished"
    assert "⏹ fuzz checkout-payments: interrupted (interrupted by signal 2 (SIGINT)" in stream.getvalue()
    assert verdict.exit_code == 130


def test_what_an_interrupted_stage_had_measured_is_kept() -> None:
    verdict = new_verdict("run-4", Path("interlock.yaml"), "ci", ["contracts"])
    partial = StageResult(
        stage="contracts",
        integration=INTEGRATION.name,
        checks=[CheckResult(name="spec: a request", status=Status.PASSED)],
        duration_s=2.0,
    )
    with pytest.raises(Interrupted):
        judge_integration(verdict, INTEGRATION, [_interrupting("contracts", partial)], Output(io.StringIO()))
    (stage,) = verdict.integrations[0].stages
    assert stage.status == Status.INTERRUPTED and [c.name for c in stage.checks] == ["spec: a request"]
