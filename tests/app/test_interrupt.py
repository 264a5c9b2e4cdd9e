"""Ctrl-C or SIGTERM mid-run: the report is still written, marked interrupted, and nothing is left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.test_gate import payments_manifest
from tests.helpers import REPO, processes_of_run, read_until

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_contracts_stage_leaves_nothing_and_reports_interrupted(
    tmp_path: Path, sig: int
) -> None:
    manifest = payments_manifest(tmp_path, "tests.fixtures.providers:slow_states")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interlock",
            "verify",
            "--manifest",
            str(manifest),
            "--report-dir",
            str(tmp_path / "reports"),
            "--plain",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true"},
    )
    seen: list[str] = []
    try:
        seen, run_id = read_until(proc, "contracts checkout-payments: verifying")
        assert run_id, "".join(seen)
        time.sleep(0.5)  # inside the verification: a state call takes 2 s
        assert len(processes_of_run(run_id)) >= 2  # the provider and the verifier child
        proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(seen) + rest
    assert proc.returncode == 128 + sig, output
    assert "interrupted by signal" in output
    verdict = json.loads((tmp_path / "reports" / run_id / "verdict.json").read_text())
    assert verdict["interrupted"] is True and verdict["status"] == "interrupted"
    assert verdict["exit_code"] == 128 + sig
    assert "Interrupted" in (tmp_path / "reports" / "latest" / "summary.md").read_text()
    assert processes_of_run(run_id) == []
