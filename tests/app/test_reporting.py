"""The report loop every command shares: verdict, stage results as they come, reports, step summary."""

from __future__ import annotations

import io
import json
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
from interlock.core.manifest import Integration
from interlock.core.reports import SUMMARY_FILE, VERDICT_FILE
from interlock.core.verdict import StageResult

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
