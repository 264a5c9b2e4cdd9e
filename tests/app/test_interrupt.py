"""Ctrl-C or SIGTERM mid-run: the report is still written, marked interrupted, and nothing is left."""

from __future__ import annotations

import json
import os
import re
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


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_stage_running_when_the_signal_came_is_recorded_interrupted_with_its_checks(
    tmp_path: Path, sig: int
) -> None:
    spec = REPO / "examples" / "shop" / "payments" / "openapi.json"
    manifest = payments_manifest(tmp_path, "tests.fixtures.providers:slow_states", openapi=spec)
    proc = subprocess.Popen(
        [sys.executable, "-m", "interlock", "verify", "--manifest", str(manifest), "--stages", "contracts,fuzz",
         "--report-dir", str(tmp_path / "reports"), "--plain"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true"},
    )  # fmt: skip
    try:
        seen, run_id = read_until(proc, "contracts checkout-payments: verifying")
        time.sleep(0.5)  # inside the Pact verification (a state call takes 2 s), after the spec checks
        proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(seen) + rest
    assert proc.returncode == 128 + sig, output
    assert "Traceback" not in output
    assert "⏹ contracts checkout-payments: interrupted" in output
    verdict = json.loads((tmp_path / "reports" / run_id / "verdict.json").read_text())
    (integration,) = verdict["integrations"]
    assert integration["status"] == "interrupted"  # never "passed" (nor the "skipped" of no stages)
    (stage,) = integration["stages"]  # fuzz never started: not reported as anything
    assert stage["stage"] == "contracts" and stage["status"] == "interrupted"
    assert stage["interrupted_by"] == sig
    assert stage["checks"] and all(c["name"].startswith("spec: ") for c in stage["checks"])  # measured so far
    summary = (tmp_path / "reports" / run_id / "summary.md").read_text()
    assert "⏹️ interrupted" in summary and f"interrupted by signal {sig}" in summary
    assert processes_of_run(run_id) == []


@pytest.mark.parametrize(
    ("entry", "delay_s"),
    [("script", 0.3), ("script", 0.6), ("script", 1.0), ("script", 1.5), ("script", 2.5), ("-m", 0.5)],
)
def test_ctrl_c_at_any_moment_of_start_up_is_one_line_and_exit_130(
    tmp_path: Path, entry: str, delay_s: float
) -> None:
    """While the CLI imports (~0.5 s idle, seconds under load), preflight runs, services start.

    Not the first ~0.1 s: CPython's own start-up, before any interlock code can run.
    """
    manifest = payments_manifest(tmp_path)
    # The provider takes 3 s to start, so the later signals land while services start, however
    # quick the rest of the run is (it verifies one pact and skips the other stages in ~1 s).
    text = manifest.read_text()
    manifest.write_text(re.sub(r"run: (.*)", r"run: sh -c 'sleep 3 && exec \1'", text, count=1))
    script = Path(sys.executable).parent / "interlock"
    command = [str(script)] if entry == "script" else [sys.executable, "-m", "interlock"]
    proc = subprocess.Popen(
        [*command, "verify", "--manifest", str(manifest), "--report-dir", str(tmp_path / "reports"), "--plain"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true"},
        # interlock obeys a parent that ignores SIGINT (nohup, `&` in a script): this test is about
        # a terminal's Ctrl-C, so the child starts with the default disposition whatever ran pytest
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        time.sleep(delay_s)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
    assert len(err.splitlines()) <= 1, err
    started = re.search(r"run (\d{8}-\d{6}-\w+),", out)
    if started:  # the run had begun: the services it started are gone
        assert processes_of_run(started.group(1)) == []


def test_a_signal_while_services_start_stops_the_prestarted_fuzz_worker(tmp_path: Path) -> None:
    """The fuzz worker starts before the providers (it imports meanwhile): a run interrupted
    before the stage used it stops it and keeps no log of a worker that never worked.

    (Its process would die with interlock anyway, by PR_SET_PDEATHSIG: the log shows the stage cooled down.)"""
    manifest = payments_manifest(tmp_path, openapi=REPO / "examples" / "shop" / "payments" / "openapi.json")
    text = manifest.read_text()
    manifest.write_text(re.sub(r"run: (.*)", r"run: sh -c 'sleep 5 && exec \1'", text, count=1))
    proc = subprocess.Popen(
        [sys.executable, "-m", "interlock", "fuzz", "--manifest", str(manifest),
         "--report-dir", str(tmp_path / "reports"), "--plain"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _, run_id = read_until(proc, "starting payments")
        deadline = time.monotonic() + 20
        prestarted: list[int] = []
        while not prestarted and time.monotonic() < deadline:
            prestarted = [
                pid
                for pid in processes_of_run(run_id)
                if b"--job-on-stdin" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ]
            time.sleep(0.05)
        assert prestarted, "no fuzz worker was started beside the services"
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert processes_of_run(run_id) == []
    assert list((tmp_path / "reports").glob("*/fuzz/providers/*/worker.log")) == []
