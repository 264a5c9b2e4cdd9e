"""Confirmation end to end: a timing failure is measured again before it fails the gate.

Real services on loopback (tests/fixtures/first_attempt_slow.py): a provider that is slow only
on the first attempt makes a chaos latency gate and a load SLO fail once and pass on the
confirmation re-run, so both are ``flaky`` in every report format and the gate passes; the same
provider slow every time still fails, with both measurements; a contract failure and a chaos gate
on a count are deterministic and never re-run. Each run is one test that checks it step by step
(a module-scoped fixture would run again on every xdist worker that gets one of its tests).
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.helpers import REPO, interlock

pytestmark = pytest.mark.slow

FIXTURES = REPO / "tests" / "fixtures"
CTRF_SCHEMA = json.loads((FIXTURES / "ctrf" / "ctrf.schema.json").read_text(encoding="utf-8"))
APP = f"python -m uvicorn --app-dir {REPO} tests.fixtures.first_attempt_slow:{{app}} --host 127.0.0.1 --port {{{{port}}}}"

EXPERIMENT = """\
integration: relay-chaosprov
probe: {method: GET, path: /relay, timeout: 6s}
calls: 4
steady_state: ["p(99) < 1000ms"]
recovery: steady_state within 3s
faults:
  - name: small-latency
    toxics: [{type: latency, stream: downstream, attributes: {latency: 5}}]
    calls: 3
    expect: ["amplification <= 1"]
"""
#: A gate on a count that the relay (one provider request per call) always breaks: deterministic.
DETERMINISTIC_EXPERIMENT = """\
integration: relay2-fastprov
probe: {method: GET, path: /relay, timeout: 6s}
calls: 3
steady_state: ["p(99) < 5s"]
recovery: steady_state within 3s
faults:
  - name: no-calls-allowed
    toxics: [{type: latency, stream: downstream, attributes: {latency: 5}}]
    calls: 3
    expect: ["amplification < 1"]
"""
PROFILE = f"""\
target: loadprov
locustfile: {FIXTURES / "load" / "items_locustfile.py"}
shape: {{type: ramp, users: 2, spawn_rate: 10, duration: 3s}}
states: [{{service: loadprov, state: "a fresh attempt"}}]
slo: ["p(95) < 250ms", "error_rate < 1%"]
baseline: false
"""
#: Expects 200 where the provider answers 404: a contract failure, never re-run.
PACT = {
    "consumer": {"name": "relay"},
    "provider": {"name": "chaosprov"},
    "interactions": [
        {
            "description": "a missing thing",
            "request": {"method": "GET", "path": "/missing"},
            "response": {"status": 200},
        }
    ],
    "metadata": {"pactSpecification": {"version": "3.0.0"}},
}


def project(tmp_path: Path, *, slow_always: bool) -> Path:
    """The manifest: a chaos integration, a deterministic one, a load integration, a contract."""
    (tmp_path / "chaos").mkdir()
    (tmp_path / "load").mkdir()
    (tmp_path / "pacts").mkdir()
    (tmp_path / "chaos" / "relay.yaml").write_text(EXPERIMENT, encoding="utf-8")
    (tmp_path / "chaos" / "relay2.yaml").write_text(DETERMINISTIC_EXPERIMENT, encoding="utf-8")
    (tmp_path / "load" / "items.yaml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "pacts" / "relay-chaosprov.json").write_text(json.dumps(PACT), encoding="utf-8")
    many = "1000000"
    provider, consumer = APP.format(app="provider"), APP.format(app="consumer")
    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(
        f"""version: 1
services:
  chaosprov:
    run: {provider}
    env: {{SLOW_MS: "2000", SLOW_REQUESTS: "{many if slow_always else 4}"}}
  relay:
    run: {consumer}
    env: {{PROVIDER_URL: "{{proxy:relay-chaosprov}}"}}
  loadprov:
    run: {provider}
    states: /_states
    env: {{SLOW_MS: "500", FAST_FROM_STATE: "{many if slow_always else 2}"}}
  fastprov:
    run: {provider}
  relay2:
    run: {consumer}
    env: {{PROVIDER_URL: "{{proxy:relay2-fastprov}}"}}
integrations:
  - name: relay-chaosprov
    consumer: relay
    provider: chaosprov
    chaos: chaos/relay.yaml
    pacts: pacts/relay-chaosprov.json
  - name: loadprov
    provider: loadprov
    load: load/items.yaml
  - name: relay2-fastprov
    consumer: relay2
    provider: fastprov
    chaos: chaos/relay2.yaml
""",
        encoding="utf-8",
    )
    return manifest


class Run:
    """One finished CLI run and its reports."""

    def __init__(self, tmp_path: Path, *args: str, slow_always: bool = False) -> None:
        manifest = project(tmp_path, slow_always=slow_always)
        self.reports = tmp_path / "reports"
        self.result: subprocess.CompletedProcess[str] = interlock(
            *args, "--plain", "--manifest", str(manifest), "--report-dir", str(self.reports), timeout=240
        )
        self.latest = self.reports / "latest"
        self.verdict: dict[str, Any] = json.loads((self.latest / "verdict.json").read_text())

    def text(self, name: str) -> str:
        return (self.latest / name).read_text(encoding="utf-8")

    def check(self, integration: str, name: str) -> dict[str, Any]:
        for item in self.verdict["integrations"]:
            if item["integration"] == integration:
                for stage in item["stages"]:
                    for check in stage["checks"]:
                        if check["name"] == name:
                            return check
        raise AssertionError(f"no check {name!r} in {integration}: {self.verdict}")

    def ctrf(self) -> dict[str, Any]:
        document = json.loads(self.text("ctrf.json"))
        jsonschema.validate(document, CTRF_SCHEMA)
        return document


STEADY = "relay: steady state"
FAULT = "relay: small-latency"
P95 = "SLO run: p(95) < 250ms"


def test_slow_only_on_the_first_attempt_is_flaky_in_every_report_and_passes(tmp_path: Path) -> None:
    """One run (each is tens of seconds), checked report by report; xdist cannot split it."""
    run = Run(tmp_path, "verify", "--stages", "chaos,load", "--only", "relay-chaosprov,loadprov")
    flaky_and_passes_the_gate(run)
    flaky_in_console_junit_summary_and_html(run)
    flaky_in_ctrf_which_validates_against_the_schema(run)


def test_slow_every_time_fails_and_deterministic_failures_are_not_rerun(tmp_path: Path) -> None:
    run = Run(tmp_path, "verify", "--stages", "contracts,chaos,load", slow_always=True)
    consistently_slow_still_fails_with_both_measurements(run)
    deterministic_failures_are_not_rerun(run)


def flaky_and_passes_the_gate(first_slow: Run) -> None:
    result, verdict = first_slow.result, first_slow.verdict
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdict["exit_code"] == 0 and verdict["flaky"] == 2
    for integration, name in (("relay-chaosprov", STEADY), ("loadprov", P95)):
        check = first_slow.check(integration, name)
        assert check["status"] == "passed" and check["flaky"] is True
        first, second = check["attempts"]
        assert (first["status"], second["status"]) == ("failed", "passed")
        assert first["findings"] and not second["findings"]  # why it failed once, and the second figure
        assert any(f["severity"] == "warning" and "flaky" in f["title"] for f in check["findings"])
    steady = first_slow.check("relay-chaosprov", STEADY)["attempts"]
    assert "p(99)" in steady[0]["findings"][0] and "p(99)" in steady[1]["message"]
    # The fault the first attempt skipped (steady state failed) ran on the confirmation.
    assert first_slow.check("relay-chaosprov", FAULT)["status"] == "passed"
    # Only the failing check was confirmed: the SLO that passed keeps its first result.
    assert first_slow.check("loadprov", "SLO run: error_rate < 1%")["attempts"] == []
    chaos_dir = first_slow.latest / "chaos" / "relay-chaosprov"
    assert (chaos_dir / "journal-relay.json").is_file() and (
        chaos_dir / "journal-relay-attempt2.json"
    ).is_file()
    assert (first_slow.latest / "load" / "loadprov" / "attempt2" / "locust_stats.csv").is_file()


def flaky_in_console_junit_summary_and_html(first_slow: Run) -> None:
    out = first_slow.result.stdout
    assert f"~ flaky: {STEADY} (attempt 1 failed:" in out and "attempt 2 passed:" in out
    assert f"~ flaky: {P95}" in out
    assert "(exit 0)" in out and "2 flaky check(s) (passed on confirmation)" in out
    assert "✓ chaos relay-chaosprov: passed (2/2 checks passed, 1 flaky" in out

    cases = {c.get("name"): c for c in ET.fromstring(first_slow.text("junit.xml")).iter("testcase")}
    case = cases[STEADY]
    assert case.find("failure") is None  # a passed testcase ...
    assert case.find("properties/property[@name='flaky']").get("value") == "true"  # ... marked flaky
    assert "p(99)" in (case.find("flakyFailure").get("message") or "")
    assert "attempt 1 failed" in (case.find("system-out").text or "")
    assert cases[P95].find("flakyFailure") is not None

    summary = first_slow.text("summary.md")
    assert "🔁 2 flaky" in summary and "## 🔁 Flaky" in summary
    assert f"· {STEADY}" in summary and "attempt 1 ❌ failed" in summary and "attempt 2 ✅ passed" in summary

    html = first_slow.text("report.html")
    assert 'id="flaky"' in html and 'class="badge flaky"' in html and "p(99)" in html


def flaky_in_ctrf_which_validates_against_the_schema(first_slow: Run) -> None:
    document = first_slow.ctrf()
    tests = {t["name"]: t for t in document["results"]["tests"]}
    assert document["results"]["summary"]["flaky"] == 2
    steady = tests[STEADY]
    assert steady["status"] == "passed" and steady["flaky"] is True and steady["retries"] == 1
    assert [a["status"] for a in steady["retryAttempts"]] == ["failed", "passed"]
    assert steady["suite"] == ["relay-chaosprov", "chaos"]
    assert tests[P95]["flaky"] is True


def consistently_slow_still_fails_with_both_measurements(always_slow: Run) -> None:
    result = always_slow.result
    assert result.returncode == 1, result.stdout + result.stderr
    for integration, name in (("relay-chaosprov", STEADY), ("loadprov", P95)):
        check = always_slow.check(integration, name)
        assert check["status"] == "failed" and check["flaky"] is False
        assert [a["status"] for a in check["attempts"]] == ["failed", "failed"]
        assert "failed on all 2 attempts" in check["message"]
    cases = {c.get("name"): c for c in ET.fromstring(always_slow.text("junit.xml")).iter("testcase")}
    assert cases[STEADY].find("failure") is not None and cases[STEADY].find("rerunFailure") is not None
    tests = {t["name"]: t for t in always_slow.ctrf()["results"]["tests"]}
    assert tests[STEADY]["status"] == "failed" and tests[STEADY]["retries"] == 1
    assert tests[STEADY]["flaky"] is False and "message" in tests[STEADY]


def deterministic_failures_are_not_rerun(always_slow: Run) -> None:
    contract = always_slow.check("relay-chaosprov", "pacts/relay-chaosprov.json :: a missing thing")
    assert contract["status"] == "failed" and contract["attempts"] == []
    log = (always_slow.latest / "services" / "chaosprov.log").read_text()
    assert log.count("request GET /missing") == 1  # the contract was verified once

    counted = always_slow.check("relay2-fastprov", "relay2: no-calls-allowed")
    assert counted["status"] == "failed" and counted["attempts"] == []
    chaos_dir = always_slow.latest / "chaos" / "relay2-fastprov"
    assert sorted(p.name for p in chaos_dir.glob("journal-*.json")) == ["journal-relay2.json"]
    lines = always_slow.result.stdout.splitlines()
    assert not [line for line in lines if "confirming" in line and "relay2-fastprov" in line]
    assert [line for line in lines if "confirming" in line and "relay-chaosprov" in line]  # the slow one was


def test_strict_flaky_fails_the_gate(tmp_path: Path) -> None:
    run = Run(tmp_path, "chaos", "--only", "relay-chaosprov", "--strict-flaky")
    assert run.result.returncode == 1, run.result.stdout + run.result.stderr
    check = run.check("relay-chaosprov", STEADY)
    assert check["status"] == "failed" and check["flaky"] is True
    assert any(f["severity"] == "error" and "strict_flaky" in f["title"] for f in check["findings"])


def test_confirm_0_switches_confirmation_off(tmp_path: Path) -> None:
    run = Run(tmp_path, "chaos", "--only", "relay-chaosprov", "--confirm", "0")
    assert run.result.returncode == 1, run.result.stdout + run.result.stderr
    check = run.check("relay-chaosprov", STEADY)
    assert check["status"] == "failed" and check["attempts"] == [] and not check["flaky"]
