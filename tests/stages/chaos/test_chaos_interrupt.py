"""Ctrl-C or SIGTERM while a fault is in force: no toxic, disabled proxy or process is left behind.

The fault proxy is a separate server process here (standing in for a real Toxiproxy at
TOXIPROXY_URL), so what interlock leaves on it can be inspected after interlock has exited. The
run's own processes (services and the embedded recorder) are found by INTERLOCK_RUN_ID.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.helpers import REPO, processes_of_run, read_until
from tests.stages.chaos.manifests import example_manifest
from tests.stages.chaos.servers import separate_proxy_server

pytestmark = pytest.mark.slow

LONG_FAULTS = """\
integration: checkout-payments
probe: {method: POST, path: /orders, json: {sku: SKU-1, qty: 1}, timeout: 5s}
calls: 3
faults:
  - name: long-fault
    %s
    calls: 1000
"""
SLOW = "toxics: [{type: latency, attributes: {latency: 200}}]"
DOWN = "down: true"


def run_and_interrupt(
    tmp_path: Path, fault: str, sig: int, env: dict[str, str], while_applied: Callable[[], None]
) -> tuple[str, str, int]:
    """Start a chaos run, call ``while_applied`` once the fault is in force, then signal it."""
    experiment = tmp_path / "long.yaml"
    experiment.write_text(LONG_FAULTS % fault)
    manifest = example_manifest(tmp_path, chaos={"checkout-payments": experiment})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interlock",
            "chaos",
            "--manifest",
            str(manifest),
            "--only",
            "checkout-payments",
            "--report-dir",
            str(tmp_path / "reports"),
            "--plain",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )
    try:
        seen, run_id = read_until(proc, "long-fault: 1000 calls")
        time.sleep(0.3)
        while_applied()
        proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return "".join(seen) + rest, run_id, proc.returncode


def check_clean_report(tmp_path: Path, output: str, run_id: str, code: int, sig: int) -> None:
    """Exit code, an interrupted report and journal, and no process of the run (recorder included)."""
    assert code == 128 + sig, output
    run_dir = tmp_path / "reports" / run_id
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["interrupted"] is True
    journal = json.loads((run_dir / "chaos" / "checkout-payments" / "journal-long.json").read_text())
    assert journal["complete"] is False
    assert [e["what"] for e in journal["events"]][:1] == ["applied"]
    assert processes_of_run(run_id) == []


@pytest.mark.parametrize(("fault", "sig"), [(SLOW, signal.SIGTERM), (DOWN, signal.SIGINT)])
def test_interrupt_with_a_real_toxiproxy_leaves_no_toxic_or_disabled_proxy(
    tmp_path: Path, fault: str, sig: int
) -> None:
    with separate_proxy_server(tmp_path / "toxiproxy.log") as server:

        def fault_is_in_force() -> None:
            proxies = httpx.get(f"{server}/proxies").json()
            ours = [p for name, p in proxies.items() if name.endswith("checkout-payments")]
            assert ours, proxies
            if fault == DOWN:
                assert ours[0]["enabled"] is False
            else:
                assert [t["type"] for t in ours[0]["toxics"]] == ["latency"]

        output, run_id, code = run_and_interrupt(
            tmp_path, fault, sig, {"TOXIPROXY_URL": server}, fault_is_in_force
        )
        check_clean_report(tmp_path, output, run_id, code, sig)
        assert httpx.get(f"{server}/proxies").json() == {}, "interlock left proxies on the server"
