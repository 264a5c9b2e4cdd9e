"""Three runs of the real pipeline whose stage results are scripted, for the history and the page.

The pipeline, the history store, the map and report.html are the real ones; only the stages'
results are given, so the figures are known (checkout-payments' load p99 goes 120 -> 130 -> 480ms
and fails in the third run) and the marks the page must show can be asserted exactly. The stages'
own figures are checked against real services in tests/app/test_gate.py.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from interlock.app import pipeline
from interlock.app.run_options import RunOptions
from interlock.core.console import Output
from interlock.core.manifest import Integration, Manifest
from interlock.core.verdict import CheckResult, Finding, StageResult, Status
from interlock.stages.base import StageContext

#: checkout-payments' load p(99) per run (ms); above 300 fails the SLO.
P99 = (120.0, 130.0, 480.0)

MANIFEST = """\
version: 1
services:
  checkout: {base_url: "http://127.0.0.1:9"}
  payments: {base_url: "http://127.0.0.1:9"}
  inventory: {base_url: "http://127.0.0.1:9"}
  ledger: {base_url: "http://127.0.0.1:9"}
integrations:
  - {name: checkout-payments, consumer: checkout, provider: payments}
  - {name: checkout-inventory, consumer: checkout, provider: inventory}
  - {name: payments-ledger, consumer: payments, provider: ledger}
  - {name: ledger-alone, provider: ledger}
"""


@dataclass
class ScriptedStage:
    """Answers with the results of run number ``run`` (set before each run); starts nothing."""

    name: str
    run_index: int = 0

    def preflight(self, manifest: Manifest, integration: Integration) -> None:
        return None

    def services_needed(self, manifest: Manifest, integration: Integration) -> list[str]:
        return []

    def needs_fault_proxy(self, manifest: Manifest, integration: Integration) -> bool:
        return False

    def run(self, ctx: StageContext, integration: Integration) -> StageResult:
        result = StageResult(stage=self.name, integration=integration.name, duration_s=0.1)
        if self.name == "contracts":
            result.checks = [CheckResult(name="GET /health", status=Status.PASSED)]
        elif self.name == "fuzz":
            result.checks = [CheckResult(name="GET /things", status=Status.PASSED)]
            result.figures = {"fuzz_coverage": (0.8, 0.9, 0.9)[self.run_index]}
        elif self.name == "chaos":
            if integration.consumer is None:
                result.skipped_reason = "provider-only: no consumer to inject faults under"
            else:
                result.checks = [
                    CheckResult(
                        name="experiment: latency",
                        status=Status.PASSED,
                        figures={"amplification": 1.0 + self.run_index / 2, "recovery_s": 0.4},
                    )
                ]
        else:
            p99 = P99[self.run_index] if integration.name == "checkout-payments" else 100.0
            failed = p99 > 300
            result.checks = [
                CheckResult(
                    name="SLO run: p(99) < 300ms",
                    status=Status.FAILED if failed else Status.PASSED,
                    message=f"run: p(99) = {p99:.0f}ms, expected < 300ms",
                    figures={"p(95)": p99 * 0.8, "p(99)": p99, "error_rate": 0.002},
                    findings=[Finding(stage="load", integration=integration.name, title="SLO failed")]
                    if failed
                    else [],
                ),
                CheckResult(
                    name="SLO run: error_rate < 1%",
                    status=Status.PASSED,
                    figures={"p(95)": p99 * 0.8, "p(99)": p99, "error_rate": 0.002},
                ),
            ]
        return result


def three_runs(tmp_path: Path) -> list[pipeline.RunOutcome]:
    """Run the scripted gate three times with one history store; the outcomes, oldest first."""
    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(MANIFEST)
    stages = {name: ScriptedStage(name) for name in ("contracts", "fuzz", "chaos", "load")}
    outcomes = []
    for index in range(len(P99)):
        for stage in stages.values():
            stage.run_index = index
        options = RunOptions(manifest, ["all"], report_dir=tmp_path / "reports", stage_overrides=stages)
        outcomes.append(pipeline.run(options, Output(io.StringIO(), plain=True)))
    return outcomes
