"""``--sandbox`` and ``sandbox: true`` end to end: the real CLI, real services, a private network."""

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
from tests.helpers import REPO, interlock, processes_of_run, read_until, require_sandbox

pytestmark = pytest.mark.slow

REACH_OUT = REPO / "tests" / "fixtures" / "reach_out.py"


def reaching_manifest(tmp_path: Path, out: Path, *, sandbox_setting: bool) -> Path:
    """payments, whose start first tries 192.0.2.1:80 and writes down what happened to ``out``."""
    path = payments_manifest(tmp_path)
    text = path.read_text().replace(
        "run: python -m uvicorn", f"run: python {REACH_OUT} {out} python -m uvicorn"
    )
    if sandbox_setting:
        text = text.replace("version: 1\n", "version: 1\nsandbox: true\n")
    path.write_text(text)
    return path


@pytest.mark.parametrize("asked_by", ["--sandbox", "sandbox: true"])
def test_a_service_cannot_reach_another_host_and_the_run_passes(tmp_path: Path, asked_by: str) -> None:
    require_sandbox()
    out = tmp_path / "reach-out.json"
    manifest = reaching_manifest(tmp_path, out, sandbox_setting=asked_by == "sandbox: true")
    flags = ["--sandbox"] if asked_by == "--sandbox" else []
    proc = interlock(
        "contracts", *flags, "--manifest", str(manifest), "--report-dir", str(tmp_path / "r"), "--plain"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sandbox: this run has a private network with only loopback" in proc.stdout
    reached = json.loads(out.read_text())
    assert reached["sandboxed"] is True, reached
    assert reached["outcome"] == "ENETUNREACH" and reached["elapsed_s"] < 0.1, reached
    verdict = json.loads((tmp_path / "r" / "latest" / "verdict.json").read_text())
    assert verdict["status"] == "passed" and verdict["exit_code"] == 0


def test_an_already_running_service_is_refused_in_one_line(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, base_url="http://127.0.0.1:9")
    proc = interlock(
        "contracts", "--sandbox", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == (
        f"interlock: {manifest}:4: --sandbox: service 'payments' is already running at"
        " http://127.0.0.1:9, outside the sandbox's private network; give it 'run:' so interlock"
        " starts it inside, or run without the sandbox\n"
    )
    assert not (tmp_path / "r").exists()


def test_ctrl_c_in_a_sandboxed_run_still_writes_the_report(tmp_path: Path) -> None:
    require_sandbox()
    manifest = payments_manifest(tmp_path, "tests.fixtures.providers:slow_states")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interlock",
            "contracts",
            "--sandbox",
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
        time.sleep(0.5)  # inside the verification: a state call takes 2 s
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(seen) + rest
    assert "sandbox: this run has a private network" in output
    assert proc.returncode == 130, output
    verdict = json.loads((tmp_path / "reports" / run_id / "verdict.json").read_text())
    assert verdict["interrupted"] is True and verdict["exit_code"] == 130
    assert processes_of_run(run_id) == []
