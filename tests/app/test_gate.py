"""End to end: the real CLI, real providers on loopback, real pacts verified by the Pact core."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import REPO, established, interlock, processes_of_run

pytestmark = pytest.mark.slow

PACTS = REPO / "contracts" / "pacts"


def payments_manifest(
    tmp_path: Path,
    app: str = "examples.shop.payments:app",
    *,
    openapi: Path | str | None = None,
    pacts: Path = PACTS / "checkout-payments.json",
    base_url: str | None = None,
) -> Path:
    """A manifest that runs the example payments provider (or a variant of it) from the repo.

    With ``base_url``, payments is a service that is already running there instead.
    """
    path = tmp_path / "interlock.yaml"
    spec = f"\n    openapi: {openapi}" if openapi is not None else ""
    payments = (
        f"base_url: {base_url}"
        if base_url
        else f"""\
run: python -m uvicorn {app} --host 127.0.0.1 --port {{port}}
    states: /_pact/states"""
    )
    env = "" if base_url else f"""\n    env: {{SHOP_PROVIDER_STATES: "1", PYTHONPATH: "{REPO}"}}"""
    path.write_text(f"""\
version: 1
services:
  payments:
    {payments}{spec}{env}
  checkout:
    base_url: http://127.0.0.1:9
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
    pacts: {pacts}
""")
    return path


def interaction_count(*pacts: Path) -> int:
    return sum(len(json.loads(p.read_text())["interactions"]) for p in pacts)


def test_example_gate_passes_and_writes_every_report(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    home = {"INTERLOCK_HOME": str(tmp_path / "home")}
    started = time.monotonic()
    proc = interlock("verify", "--report-dir", str(reports), env=home)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = (reports / "latest").resolve()
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["status"] == "passed" and verdict["exit_code"] == 0 and not verdict["interrupted"]
    assert [i["integration"] for i in verdict["integrations"]] == ["checkout-payments", "checkout-inventory"]

    suites = ET.parse(run_dir / "junit.xml").getroot().findall("testsuite")
    cases = [c for s in suites for c in s.findall("testcase")]
    # contracts: one testcase per interaction replayed, and one per HTTP interaction checked against the spec
    contract_cases = [c for c in cases if c.get("classname", "").endswith(".contracts")]
    spec_cases = [c for c in contract_cases if c.get("name", "").startswith("spec: ")]
    assert len(contract_cases) - len(spec_cases) == interaction_count(*PACTS.glob("*.json"))
    assert len(spec_cases) == sum(
        "request" in i for p in PACTS.glob("*.json") for i in json.loads(p.read_text())["interactions"]
    )
    assert any(c.get("classname", "").endswith(".chaos") for c in cases)
    assert any(c.get("classname", "").endswith(".load") for c in cases)
    assert all(c.find("failure") is None and c.find("error") is None for c in cases)
    assert "# interlock: ✅ passed" in (run_dir / "summary.md").read_text()
    assert (run_dir / "services" / "payments.log").is_file()
    assert (run_dir / "contracts" / "checkout-payments" / "checkout-payments.verifier.log").is_file()
    assert processes_of_run(verdict["run_id"]) == []
    print(f"example gate took {elapsed:.1f}s")

    # the stages' key figures, kept in the run history and drawn in report.html
    stages = {(i["integration"], s["stage"]): s for i in verdict["integrations"] for s in i["stages"]}
    load = stages["checkout-payments", "load"]["checks"]
    slo = next(c for c in load if c["name"].startswith("SLO run: p(95)"))
    assert 0 < slo["figures"]["p(95)"] <= slo["figures"]["p(99)"] and 0 <= slo["figures"]["error_rate"] < 0.01
    faults = [
        c for c in stages["checkout-payments", "chaos"]["checks"] if not c["name"].endswith("steady state")
    ]
    assert faults and all(c["figures"].get("amplification", 0) >= 0 for c in faults)  # < 1 under a breaker
    assert any("amplification" in c["figures"] for c in faults)
    assert any("recovery_s" in c["figures"] for c in faults)
    assert 0 < stages["checkout-payments", "fuzz"]["figures"]["fuzz_coverage"] <= 1
    listed = interlock("history", "--json", "--limit", "1", env=home)
    assert listed.returncode == 0, listed.stderr
    [run] = json.loads(listed.stdout)
    assert run["run_id"] == verdict["run_id"] and run["status"] == "passed"
    kept = {(f["stage"], f["metric"]) for i in run["integrations"] for f in i["figures"]}
    assert {("load", "p(99)"), ("chaos", "amplification"), ("fuzz", "fuzz_coverage")} <= kept
    page = (run_dir / "report.html").read_text()
    assert 'data-integration="checkout-inventory"' in page and 'class="hist"' in page


def test_a_provider_change_that_breaks_checkout_fails_the_gate(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, "tests.fixtures.providers:renamed_status")
    home = established(tmp_path / "home", PACTS / "checkout-payments.json")  # these interactions gate
    proc = interlock(
        "verify", "--manifest", str(manifest), "--report-dir", str(tmp_path / "reports"), env=home
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = (tmp_path / "reports" / "latest" / "summary.md").read_text()
    assert "# interlock: ❌ failed" in summary
    assert "response body is missing $.status" in summary
    pact = json.loads((PACTS / "checkout-payments.json").read_text())
    reads_status = [
        i["description"]
        for i in pact["interactions"]
        if "status" in json.dumps(i["response"].get("body", {}).get("content", {}))
    ]
    assert reads_status, "the payments pact should pin the status field checkout reads"
    for description in reads_status:
        assert f"{description}: response body is missing $.status" in summary
    assert "response body is missing $.status" in proc.stdout


def test_a_failing_provider_state_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, "tests.fixtures.providers:failing_states")
    home = established(tmp_path / "home", PACTS / "checkout-payments.json")
    started = time.monotonic()
    proc = interlock(
        "contracts", "--manifest", str(manifest), "--report-dir", str(tmp_path / "reports"), env=home
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # The Pact core retries a raising state handler for ~2 minutes per interaction; ours never raises.
    assert elapsed < 30
    verdict = json.loads((tmp_path / "reports" / "latest" / "verdict.json").read_text())
    checks = verdict["integrations"][0]["stages"][0]["checks"]
    assert checks and all(c["status"] == "failed" for c in checks)
    finding = checks[0]["findings"][0]
    assert "could not be set up" in finding["title"]
    assert "answered 500" in finding["detail"] and "database is locked" in finding["detail"]


@pytest.mark.parametrize(
    ("edit", "line", "problem"),
    [
        (
            ("    states: /_pact/states", "    sates: /_pact/states"),
            5,
            "unknown key 'sates' (did you mean 'states'?)",
        ),
        (("    states: /_pact/states", "    start_timeout: soon"), 5, "services.payments.start_timeout"),
        (("checkout-payments.json", "checkout-paymnts.json"), 13, "pact file not found"),
    ],
)
def test_bad_manifest_exits_2_with_one_line(
    tmp_path: Path, edit: tuple[str, str], line: int, problem: str
) -> None:
    manifest = payments_manifest(tmp_path)
    manifest.write_text(manifest.read_text().replace(*edit))
    proc = interlock("verify", "--manifest", str(manifest), "--report-dir", str(tmp_path / "reports"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"interlock: {manifest}:{line}: ")
    assert problem in proc.stderr
    assert not (tmp_path / "reports").exists()  # nothing started, nothing to report


def test_missing_manifest_and_broken_pact_exit_2(tmp_path: Path) -> None:
    proc = interlock("verify", "--manifest", str(tmp_path / "nope.yaml"))
    assert (proc.returncode, proc.stderr) == (2, f"interlock: {tmp_path / 'nope.yaml'}: no such file\n")

    broken = tmp_path / "broken.json"
    broken.write_text('{"consumer": {"name": "checkout"},\n "provider": ')
    manifest = payments_manifest(tmp_path)
    manifest.write_text(manifest.read_text().replace(str(PACTS / "checkout-payments.json"), str(broken)))
    proc = interlock("contracts", "--manifest", str(manifest), "--report-dir", str(tmp_path / "reports"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"interlock: {broken}:2: not valid JSON")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--bogus"], "No such option '--bogus'"),
        (["verify", "--stages", "contracts,fuzzz"], "unknown stage 'fuzzz' (did you mean 'fuzz'?)"),
        (["verify", "--profile", "huge"], "'huge' is not one of 'ci', 'full'"),
        (["verify", "--only", "checkout-paymnts"], "did you mean 'checkout-payments'?"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    proc = interlock(*args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
