"""`interlock replay FINDING`: bad input is one line (exit 2); a real fuzz finding replays (exit 0).

The slow test fuzzes a provider interlock starts itself (``run:``) with a planted defect (its
POST /payments answers 201 with the amount as a string), then replays the finding: replay must
start the provider again, send the recorded request and see the recorded status, and leave no
process behind.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlock.core.reports import write_reports
from interlock.core.verdict import (
    CheckResult,
    Finding,
    IntegrationVerdict,
    RecordedRequest,
    RecordedResponse,
    RunVerdict,
    StageResult,
    Status,
)
from tests.helpers import REPO, interlock, processes_of_run, read_until

MANIFEST = """\
version: 1
services:
  payments:
    run: {python} -m uvicorn tests.fixtures.fuzz_providers:violates_schema --host 127.0.0.1 --port {{port}}
    health: /health
    openapi: /openapi.json
  checkout:
    base_url: http://127.0.0.1:9
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
"""


def write_run(tmp_path: Path, *findings: Finding) -> Path:
    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(MANIFEST.format(python=sys.executable))
    verdict = RunVerdict(
        run_id="run-1",
        tool_version="0",
        manifest=str(manifest),
        profile="ci",
        stages=["fuzz"],
        started_at=datetime.now(UTC),
        integrations=[
            IntegrationVerdict(
                integration="checkout-payments",
                consumer="checkout",
                provider="payments",
                stages=[
                    StageResult(
                        stage="fuzz",
                        integration="checkout-payments",
                        checks=[CheckResult(name="x", status=Status.FAILED, findings=list(findings))],
                    )
                ],
            )
        ],
    )
    write_reports(verdict, tmp_path / "reports" / "run-1")
    (tmp_path / "reports" / "latest").symlink_to("run-1")
    return tmp_path / "reports"


def test_an_unknown_id_or_report_or_a_finding_without_a_request_is_one_line_exit_2(tmp_path: Path) -> None:
    contract = Finding(stage="contracts", integration="checkout-payments", title="status 500, expected 201")
    reports = write_run(tmp_path, contract)

    proc = interlock("replay", "nope1234", "--report-dir", str(reports))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "no finding 'nope1234'" in proc.stderr and "[brackets]" in proc.stderr

    proc = interlock("replay", contract.id, "--report-dir", str(reports))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "has no recorded request" in proc.stderr

    proc = interlock("replay", contract.id, "--report", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no such report" in proc.stderr and "Traceback" not in proc.stderr


def test_a_secret_the_request_needs_must_be_exported_or_in_the_suite(tmp_path: Path) -> None:
    finding = Finding(
        stage="fuzz",
        integration="checkout-payments",
        title="GET /payments/1: leak",
        request=RecordedRequest(
            method="GET", url="", path="/payments/1", headers={"Authorization": "$INTERLOCK_AUTHORIZATION"}
        ),
        response=RecordedResponse(status=404),
    )
    reports = write_run(tmp_path, finding)
    proc = interlock("replay", finding.id[:5], "--report-dir", str(reports))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "export INTERLOCK_AUTHORIZATION=" in proc.stderr


@pytest.mark.slow
def test_replay_reproduces_a_real_fuzz_finding_and_stops_the_provider(tmp_path: Path) -> None:
    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(MANIFEST.format(python=sys.executable))
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "payments.yaml").write_text(
        'phases: [examples, coverage, fuzzing]\ninclude: ["POST /payments"]\n'
        'accepted_statuses: {"POST /payments": [402]}\n'
    )
    env = {"PYTHONPATH": str(REPO)}
    reports = tmp_path / "reports"
    common = ["--manifest", str(manifest), "--report-dir", str(reports)]
    proc = interlock("fuzz", *common, "--max-examples", "10", env=env, timeout=240)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdict = json.loads((reports / "latest" / "verdict.json").read_text())
    found = [
        f
        for i in verdict["integrations"]
        for s in i["stages"]
        for c in s["checks"]
        for f in c["findings"]
        if f["check"] == "response_schema_conformance"
    ]
    assert found, proc.stdout
    finding = found[0]
    assert finding["id"] in proc.stdout  # the console names it

    proc = interlock("replay", finding["id"], *common, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"> POST {finding['request']['path']}" in proc.stdout
    assert "< 201 Created" in proc.stdout and '"amount": "' in proc.stdout
    assert "reproduced: POST /payments answered 201 again" in proc.stdout
    run_id = re.search(r"\(run (\S+)\)", proc.stdout)
    assert run_id and processes_of_run(run_id.group(1)) == []

    # had the run recorded another status, the replay would not reproduce it: exit 1
    path = reports / "latest" / "verdict.json"
    path.write_text(path.read_text().replace('"status": 201', '"status": 500'))
    proc = interlock("replay", finding["id"], *common, env=env, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not reproduced: the run recorded 500, the replay got 201" in proc.stdout


def test_ctrl_c_while_the_provider_starts_stops_it_and_exits_130(tmp_path: Path) -> None:
    finding = Finding(
        stage="fuzz",
        integration="checkout-payments",
        title="POST /payments: Server error",
        request=RecordedRequest(method="POST", url="", path="/payments", body="{}"),
        response=RecordedResponse(status=500),
    )
    reports = write_run(tmp_path, finding)
    # a provider that never becomes healthy: replay is waiting for it when Ctrl-C comes
    (tmp_path / "interlock.yaml").write_text(
        MANIFEST.replace(
            "{python} -m uvicorn tests.fixtures.fuzz_providers:violates_schema --host 127.0.0.1 --port {{port}}",
            f"{sys.executable} -c 'import time; time.sleep(60)'",
        )
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "interlock", "replay", finding.id, "--report-dir", str(reports)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen, run_id = read_until(proc, "starting payments")
        assert run_id, "".join(seen)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, "".join(seen) + rest
    assert "interrupted by signal 2" in rest
    assert processes_of_run(run_id) == []
