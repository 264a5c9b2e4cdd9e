"""End-to-end tests of `interlock load`: real services, real Locust processes, short profiles."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, interlock, processes_of_run, sandbox_args
from tests.stages.chaos.manifests import example_manifest

pytestmark = pytest.mark.slow

FIXTURES = REPO / "tests" / "fixtures"
SLOW = f"python -m uvicorn --app-dir {REPO} tests.fixtures.slow_provider:app --host 127.0.0.1 --port {{port}}"


def project(tmp_path: Path, profile: str, *, env: dict[str, str] | None = None) -> Path:
    """A manifest with the slow provider and one integration whose load profile is ``profile``."""
    (tmp_path / "load").mkdir(exist_ok=True)
    (tmp_path / "load" / "items.yaml").write_text(profile, encoding="utf-8")
    env_lines = "".join(f'      {k}: "{v}"\n' for k, v in (env or {"SLOW_BASE_MS": "5"}).items())
    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(
        f"""version: 1
services:
  items:
    run: {SLOW}
    env:
{env_lines}  client:
    base_url: http://127.0.0.1:9
integrations:
  - name: client-items
    consumer: client
    provider: items
    load: load/items.yaml
""",
        encoding="utf-8",
    )
    return manifest


def items_profile(shape: str, slo: str, extra: str = "") -> str:
    return (
        f"target: items\nlocustfile: {FIXTURES / 'load' / 'items_locustfile.py'}\n"
        f"shape: {shape}\nslo: {slo}\n{extra}"
    )


def run_load(
    manifest: Path, tmp_path: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return interlock(
        "load",
        "--plain",
        "--manifest",
        str(manifest),
        "--report-dir",
        str(tmp_path / "reports"),
        *args,
        timeout=timeout,
        env={"INTERLOCK_LOAD_HISTORY": str(tmp_path / "history")},
    )


def verdict(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "reports" / "latest" / "verdict.json").read_text())


def load_dir(tmp_path: Path, integration: str = "client-items") -> Path:
    return tmp_path / "reports" / "latest" / "load" / integration


def test_example_passes_its_slos_and_writes_the_report(tmp_path: Path) -> None:
    """`interlock load` on the bundled example, at its own profiles.

    Those are a checkout spike and a generated inventory mix.
    """
    result = interlock(
        "load",
        "--plain",
        "--report-dir",
        str(tmp_path / "reports"),
        timeout=150,
        env={"INTERLOCK_LOAD_HISTORY": str(tmp_path / "history")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = verdict(tmp_path)
    for integration in data["integrations"]:
        stage = integration["stages"][0]
        assert stage["status"] == "passed", stage
        assert any(c["name"].startswith("SLO run: p(95)") for c in stage["checks"])
    checkout = load_dir(tmp_path, "checkout-payments")
    for name in (
        "load-over-time.png",
        "load-summary.md",
        "locust-report.html",
        "locust_stats.csv",
        "locust_stats_history.csv",
    ):
        assert (checkout / name).is_file(), name
    assert "interlock: load over time" in (checkout / "locust-report.html").read_text()  # the plot, inlined
    summary = (checkout / "load-summary.md").read_text()
    assert "all SLOs held" in summary and "phase spike" in summary and "endpoint POST /orders" in summary
    generated = load_dir(tmp_path, "checkout-inventory")
    assert (generated / "generated_locustfile.py").is_file()
    assert "generated from 1 pact(s)" in (generated / "load-summary.md").read_text()


def test_provider_that_slows_under_concurrency_fails_the_p95_gate_and_aborts(tmp_path: Path) -> None:
    profile = items_profile(
        "{type: ramp, users: 20, spawn_rate: 40, duration: 20s}",
        '["p(95) < 100ms", "error_rate < 1%"]',
        "abort_on_fail: {window: 3s, grace: 1s}\n",
    )
    manifest = project(tmp_path, profile, env={"SLOW_BASE_MS": "5", "SLOW_PER_INFLIGHT_MS": "15"})
    result = run_load(manifest, tmp_path, "--confirm", "0")  # slow every time: a re-run only costs time
    assert result.returncode == 1, result.stdout + result.stderr
    # The load's own time (Locust's once-a-second user log), not the wall clock: starting the
    # services and Locust takes longer on a busy machine, the run itself must stop early.
    seconds = [
        json.loads(line)["s"] for line in (load_dir(tmp_path) / "users.jsonl").read_text().splitlines()
    ]
    ran = seconds[-1] - seconds[0]
    assert ran < 15, f"abort_on_fail did not stop the 20 s run early (it ran {ran:.1f}s)"
    stage = verdict(tmp_path)["integrations"][0]["stages"][0]
    checks = {c["name"]: c for c in stage["checks"]}
    p95 = checks["SLO run: p(95) < 100ms"]
    assert p95["status"] == "failed"
    title = p95["findings"][0]["title"]
    # Which SLO, by how much, and when.
    assert title.startswith("SLO failed: run: p(95) = ") and "expected < 100ms" in title
    assert "% over)" in title and "breached at" in title and "(first at" in title
    assert checks["SLO run: error_rate < 1%"]["status"] == "passed"
    assert checks["run completed its shape"]["status"] == "failed"
    assert "abort_on_fail" in checks["run completed its shape"]["message"]
    assert "✗ SLO failed: run: p(95)" in result.stdout
    assert "SLO failed: run: p(95)" in (tmp_path / "reports" / "latest" / "summary.md").read_text()


def test_master_and_two_workers_on_loopback(tmp_path: Path) -> None:
    profile = items_profile(
        "{type: ramp, users: 4, spawn_rate: 20, duration: 4s}", '["error_rate < 1%"]', "baseline: false\n"
    )
    manifest = project(tmp_path, profile)
    result = run_load(manifest, tmp_path, "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    out = load_dir(tmp_path)
    users = [json.loads(line) for line in (out / "users.jsonl").read_text().splitlines()]
    assert max(u.get("workers", 0) for u in users) == 2
    assert (out / "locust-worker-0.log").is_file() and (out / "locust-worker-1.log").is_file()
    assert "2 workers connected" in (out / "locust.log").read_text()
    stats = (out / "locust_stats.csv").read_text()
    assert "/items/[id]" in stats
    samples = sum(json.loads(line)["c"] for line in (out / "samples.jsonl").read_text().splitlines())
    assert samples > 20  # the workers' requests reached the master's samples


def test_baseline_flags_a_slower_second_run(tmp_path: Path) -> None:
    profile = items_profile(
        "{type: ramp, users: 2, spawn_rate: 10, duration: 3s}",
        '["error_rate < 1%"]',
        "baseline: {tolerance: 50%, gate: true}\n",
    )
    manifest = project(tmp_path, profile, env={"SLOW_BASE_MS": "5", "SLOW_PER_INFLIGHT_MS": "0"})
    first = run_load(manifest, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    project(tmp_path, profile, env={"SLOW_BASE_MS": "60", "SLOW_PER_INFLIGHT_MS": "0"})
    second = run_load(manifest, tmp_path, "--confirm", "0")  # the regression itself, not its confirmation
    assert second.returncode == 1, second.stdout + second.stderr
    checks = verdict(tmp_path)["integrations"][0]["stages"][0]["checks"]
    baseline = next(c for c in checks if c["name"].startswith("baseline"))
    assert baseline["status"] == "failed"
    assert "p(95)" in baseline["message"] and "rps" in baseline["message"]


def test_interrupted_load_run_writes_its_report_and_leaves_no_process(tmp_path: Path) -> None:
    profile = items_profile("{type: ramp, users: 2, spawn_rate: 10, duration: 60s}", '["error_rate < 1%"]')
    manifest = project(tmp_path, profile)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interlock",
            "load",
            "--plain",
            "--manifest",
            str(manifest),
            "--report-dir",
            str(tmp_path / "reports"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "INTERLOCK_LOAD_HISTORY": str(tmp_path / "history")},
    )
    deadline = time.monotonic() + 60
    samples = None
    while time.monotonic() < deadline:
        found = list((tmp_path / "reports").glob("*/load/client-items/samples.jsonl"))
        if found and found[0].stat().st_size > 0:
            samples = found[0]
            break
        time.sleep(0.2)
    assert samples is not None, "the load run never started"
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 130, output
    data = verdict(tmp_path)
    assert data["interrupted"] is True
    assert processes_of_run(data["run_id"]) == []


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            "shape: {type: ramp, users: 2, duration: 5s}\nslo: ['p95 < 300ms']\n",
            "items.yaml:2: invalid threshold",
        ),
        ("shape: {type: wave, users: 2, duration: 5s}\n", "items.yaml:1: shape.type"),
        (
            "shape: {type: ramp, users: 2, duration: 5s}\nlocustfile: nope.py\n",
            "items.yaml:2: locustfile not found",
        ),
        (
            "shape: {type: ramp, users: 2, duration: 5s}\nslo: {phases: {spike: ['rps > 1']}}\n",
            "items.yaml:2: no phase 'spike' in a ramp shape",
        ),
        (
            "shape: {type: ramp, users: 2, duration: 5s}\nshapes: 1\n",
            "unknown key 'shapes' (did you mean 'shape'?)",
        ),
    ],
)
def test_a_bad_profile_is_one_line_and_exit_2(tmp_path: Path, profile: str, message: str) -> None:
    manifest = project(tmp_path, profile)
    result = run_load(manifest, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


#: checkout tuned into a retry storm: short attempts, many of them, no backoff, a breaker that never opens.
RETRY_STORM = {
    "CHECKOUT_ATTEMPT_TIMEOUT_S": "0.2",
    "CHECKOUT_BUDGET_S": "3",
    "CHECKOUT_MAX_ATTEMPTS": "8",
    "CHECKOUT_BACKOFF_BASE_S": "0.001",
    "CHECKOUT_BACKOFF_CAP_S": "0.001",
    "CHECKOUT_BREAKER_FAIL_MAX": "1000000",
}


def test_load_under_a_latency_fault_shows_the_provider_side_amplification(tmp_path: Path) -> None:
    manifest = example_manifest(tmp_path, env=RETRY_STORM)
    profile = tmp_path / "checkout-under-fault.yaml"
    profile.write_text(f"""\
target: checkout
locustfile: {REPO / "load" / "checkout.py"}
shape: {{type: ramp, users: 4, spawn_rate: 10, duration: 12s}}
states: [{{service: inventory, state: "a SKU has stock", params: {{sku: SKU-1, available: 1000000}}}}]
slo:
  run: ["p(95) < 5s"]
  phases:
    during-fault: ["amplification <= 2"]
under_fault: {{fault: slow-provider, at: 4s, duration: 4s}}
baseline: false
""")
    data = yaml.safe_load(manifest.read_text())
    for integration in data["integrations"]:
        integration.pop("load", None)
        if integration["name"] == "checkout-payments":
            integration["load"] = str(profile)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))

    # Load and a fault against started services: sandboxed where the machine allows it.
    result = run_load(manifest, tmp_path, "--only", "checkout-payments", *sandbox_args())
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fault 'slow-provider' applied at" in result.stdout and "rolled back at" in result.stdout
    out = load_dir(tmp_path, "checkout-payments")
    summary = json.loads((out / "load-summary.json").read_text())
    windows = {row["scope"].split(" ")[0]: row for row in summary["under_fault"]}
    assert set(windows) == {"before-fault", "during-fault", "after-fault"}
    before, during = windows["before-fault"]["amplification"], windows["during-fault"]["amplification"]
    # Healthy: one provider request per load request; the retry storm multiplies it under the fault.
    assert 0.7 <= before <= 1.3, windows
    assert during > 2 * before and during > 2, windows
    assert windows["during-fault"]["p(95)"] > windows["before-fault"]["p(95)"]
    checks = {c["name"]: c for c in verdict(tmp_path)["integrations"][0]["stages"][0]["checks"]}
    amplification = checks["SLO phase during-fault: amplification <= 2"]
    assert amplification["status"] == "failed"
    assert amplification["findings"][0]["title"].startswith(
        "SLO failed: phase during-fault: amplification = "
    )
    assert checks["SLO run: p(95) < 5s"]["status"] == "passed"
    markdown = (out / "load-summary.md").read_text()
    assert (
        "## Before, during and after the fault" in markdown and "Fault 'slow-provider' applied at" in markdown
    )
    assert (out / "load-over-time.png").is_file()
