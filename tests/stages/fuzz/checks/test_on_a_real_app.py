"""interlock's own checks against a small real API (tests/fixtures/check_semantics.py) through the
real worker: the false positives seen on real apps stay away, the real defects are found once each,
and each finding carries why and how sure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.stages.fuzz.findings import finding_for
from interlock.stages.fuzz.job import FuzzJob, FuzzOutcome
from tests.helpers import running

REPO = Path(__file__).resolve().parents[4]
TOKEN = "4f2a9c0d1e2b3a4c5d6e7f80"
OWN_CHECKS = ("no_leakage", "idempotency")


@pytest.mark.slow
def test_own_checks_on_a_real_app(tmp_path: Path) -> None:
    with running("tests.fixtures.check_semantics:app") as url:
        job = FuzzJob(
            provider="semantics",
            spec=url + "/openapi.json",
            base_url=url,
            seed=1,
            max_examples=10,
            time_budget_s=120,
            phases=["examples", "coverage", "fuzzing"],
            headers={"Authorization": f"Bearer {TOKEN}"},
            check_settings={"idempotency": {"samples": 5}},
            result=str(tmp_path / "result.json"),
        )
        (tmp_path / "job.json").write_text(job.model_dump_json())
        env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1"}
        subprocess.run(
            [sys.executable, "-m", "interlock.stages.fuzz.worker", str(tmp_path / "job.json")],
            cwd=REPO,
            env=env,
            check=True,
            timeout=300,
            capture_output=True,
        )
    outcome = FuzzOutcome.model_validate_json((tmp_path / "result.json").read_text())
    assert outcome.fatal is None
    own = sorted((f.operation, f.check, f.signature) for f in outcome.failures if f.check in OWN_CHECKS)
    assert own == [
        ("GET /pages/{name}", "no_leakage", "echoed secret"),
        ("GET /reports/{name}", "no_leakage", "stack trace"),
        ("GET /tickets/{ticket}", "idempotency", "repeat differs"),
    ]
    for failure in (f for f in outcome.failures if f.check in OWN_CHECKS):
        assert failure.why and failure.confidence.startswith("high (")
        detail = finding_for(failure, integration="x", seed=1, rerun="interlock fuzz", known=False).detail
        assert f"why: {failure.why}" in detail and "confidence: high (" in detail
    ticket = next(f for f in outcome.failures if f.check == "idempotency")
    assert "RFC 9110" in ticket.why and len(ticket.curls) == 3
