"""End to end: the real `interlock fuzz` against the example and against broken providers.

Each broken provider (tests/fixtures/fuzz_providers.py) is started by the test and given to
interlock as an already-running service (`base_url:`), so it is still up when the test replays
the finding's curl reproduction with the real curl and sees the failure again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import REPO, interlock, processes_of_run, read_until, running

pytestmark = pytest.mark.slow


def fuzz(
    tmp_path: Path,
    url: str,
    suite: str = "",
    *args: str,
    openapi: str = "/openapi.json",
) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run `interlock fuzz` on a manifest whose two integrations share the provider at ``url``."""
    (tmp_path / "suites").mkdir(exist_ok=True)
    (tmp_path / "suites" / "payments.yaml").write_text(suite)
    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(f"""\
version: 1
services:
  payments:
    base_url: {url}
    openapi: {openapi}
  checkout:
    base_url: http://127.0.0.1:9
  billing:
    base_url: http://127.0.0.1:9
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
  - name: billing-payments
    consumer: billing
    provider: payments
""")
    proc = interlock(
        "fuzz",
        "--manifest",
        str(manifest),
        "--report-dir",
        str(tmp_path / "reports"),
        "--suites",
        str(tmp_path / "suites"),
        *args,
        timeout=180,
    )
    verdict = json.loads((tmp_path / "reports" / "latest" / "verdict.json").read_text())
    return proc, verdict


def findings(verdict: dict, check: str | None = None) -> list[dict]:
    found = [
        f for i in verdict["integrations"] for s in i["stages"] for c in s["checks"] for f in c["findings"]
    ]
    return [f for f in found if check is None or f"check:     {check} " in f["detail"] + " "]


def replay(reproduce: str, url: str, secrets: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """Run every curl line of a reproduction, unchanged, with the real curl: (status, body) of each.

    First export what its ``# export`` note names: the service's URL (``$PAYMENTS_URL``) and any
    secret (``$INTERLOCK_AUTHORIZATION``), exactly as a user would.
    """
    env = dict(os.environ)
    for line in reproduce.splitlines():
        if line.startswith("# export "):
            for name in re.findall(r"([A-Z][A-Z0-9_]*)=", line):
                env[name] = url if name == "PAYMENTS_URL" else (secrets or {})[name]
    answers = []
    for line in reproduce.splitlines():
        if not line.startswith("curl "):
            continue
        assert "127.0.0.1" not in line, line  # the run's random port is gone after the run
        out = subprocess.run(
            ["bash", "-c", line + " -s -w '\\n%{http_code}'"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
            env=env,
        ).stdout
        body, _, status = out.rpartition("\n")
        answers.append((int(status), body))
    assert answers, f"no curl in the reproduction:\n{reproduce}"
    return answers


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def test_example_providers_pass_with_no_baseline(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = interlock("fuzz", "--report-dir", str(tmp_path / "reports"), timeout=180)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = json.loads((tmp_path / "reports" / "latest" / "verdict.json").read_text())
    stages = [s for i in verdict["integrations"] for s in i["stages"]]
    assert [s["stage"] for s in stages] == ["fuzz", "fuzz"] and all(s["status"] == "passed" for s in stages)
    assert not list((REPO / "suites").glob("*.baseline"))
    operations = {c["name"] for s in stages for c in s["checks"]}
    assert {"payments POST /payments", "inventory POST /reservations"} <= operations
    assert not any("_pact" in name for name in operations)
    assert processes_of_run(verdict["run_id"]) == []
    print(f"example fuzz stage took {elapsed:.1f}s")


@needs_curl
def test_a_leaked_stack_trace_fails_with_a_working_curl(tmp_path: Path) -> None:
    with running("tests.fixtures.fuzz_providers:leaks_stack_trace") as url:
        proc, verdict = fuzz(tmp_path, url, 'include: ["POST /payments"]\n', "--max-examples", "10")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        leaks = findings(verdict, "no_leakage")
        assert leaks, findings(verdict)
        # fuzzed once, reported on both integrations that payments provides
        run_dir = tmp_path / "reports" / "latest"
        worker_log = (run_dir / "fuzz" / "providers" / "payments" / "worker.log").read_text()
        assert worker_log.count(" operations: ") == 1
        assert {f["integration"] for f in leaks} == {"checkout-payments", "billing-payments"}
        assert any("stack trace" in f["title"] for f in leaks)
        status, body = replay(leaks[0]["reproduce"], url)[0]
        assert status == 422 and "Traceback (most recent call last)" in body


@needs_curl
def test_a_response_schema_violation_fails_with_a_working_curl(tmp_path: Path) -> None:
    with running("tests.fixtures.fuzz_providers:violates_schema") as url:
        proc, verdict = fuzz(
            tmp_path,
            url,
            'include: ["POST /payments"]\naccepted_statuses: {"POST /payments": [402]}\n',
            "--max-examples",
            "10",
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        found = findings(verdict, "response_schema_conformance")
        assert found, findings(verdict)
        status, body = replay(found[0]["reproduce"], url)[0]
        assert status == 201 and isinstance(json.loads(body)["amount"], str)
        # the same finding as fields: check, operation, request and response
        finding = found[0]
        assert (finding["check"], finding["code"], finding["operation"]) == (
            "response_schema_conformance",
            finding["code"] or "missing",
            "POST /payments",
        )
        assert finding["code"].startswith("ST") and finding["seed"] == 20261121 and len(finding["id"]) == 8
        assert finding["request"]["method"] == "POST" and finding["request"]["path"] == "/payments"
        assert finding["response"]["status"] == 201 and '"amount"' in finding["response"]["body_excerpt"]
        assert finding["id"] in (tmp_path / "reports" / "latest" / "summary.md").read_text()


@needs_curl
def test_a_stateful_failure_carries_the_sequence_of_calls(tmp_path: Path) -> None:
    suite = (
        'phases: [stateful]\ninclude: ["POST /payments", "GET /payments/{payment_id}"]\n'
        'accepted_statuses: {"POST /payments": [402]}\n'
    )
    with running("tests.fixtures.fuzz_providers:breaks_fetched_payments") as url:
        proc, verdict = fuzz(tmp_path, url, suite, "--max-examples", "10")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        found = findings(verdict, "response_schema_conformance")
        assert found and "phase:     stateful" in found[0]["detail"], findings(verdict)
        assert " requests, in this order:" in found[0]["reproduce"]
        # the chain is in the verdict as fields too: the earlier steps, then the failing request
        assert found[0]["chain"] and found[0]["request"]["method"] == "GET", found[0]
        answers = replay(found[0]["reproduce"], url)
        (created, _), (fetched, body) = answers[0], answers[-1]
        assert len(answers) >= 2 and created in (201, 402)
        assert fetched == 200 and isinstance(json.loads(body)["amount"], str)


@needs_curl
def test_a_500_on_unicode_input_fails_then_the_baseline_accepts_it(tmp_path: Path) -> None:
    suite = 'include: ["POST /payments"]\naccepted_statuses: {"POST /payments": [402]}\n'
    with running("tests.fixtures.fuzz_providers:unicode_500") as url:
        proc, verdict = fuzz(tmp_path, url, suite, "--max-examples", "10")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        crashes = findings(verdict, "not_a_server_error")
        assert crashes and "seed:      20261121" in crashes[0]["detail"]
        status, _ = replay(crashes[0]["reproduce"], url)[0]
        assert status == 500

        proc, verdict = fuzz(tmp_path, url, suite, "--max-examples", "10", "--update-baseline")
        baseline = json.loads((tmp_path / "suites" / "payments.baseline").read_text())
        assert any(e["check"] == "not_a_server_error" for e in baseline["entries"])
        assert proc.returncode == 0, proc.stdout + proc.stderr

        proc, verdict = fuzz(tmp_path, url, suite, "--max-examples", "10")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        known = findings(verdict, "not_a_server_error")
        assert known and all(f["severity"] == "warning" and f["title"].endswith("(known)") for f in known)


@needs_curl
def test_a_provider_that_ignores_idempotency_key_fails_with_both_requests(tmp_path: Path) -> None:
    suite = 'include: ["POST /payments"]\naccepted_statuses: {"POST /payments": [402]}\n'
    with running("tests.fixtures.fuzz_providers:ignores_idempotency_key") as url:
        proc, verdict = fuzz(tmp_path, url, suite, "--max-examples", "10")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        found = findings(verdict, "idempotency")
        assert found and "second resource" in found[0]["title"], findings(verdict)
        (first_status, first), (second_status, second) = replay(found[0]["reproduce"], url)
        assert first_status == second_status == 201
        assert json.loads(first)["id"] != json.loads(second)["id"]
        # ignoring the header also accepts keys the spec forbids (longer than 255)
        assert findings(verdict, "negative_data_rejection")


def test_throttling_without_retry_after_and_an_echoed_secret_fail(tmp_path: Path) -> None:
    with running("tests.fixtures.fuzz_providers:throttles_badly") as url:
        proc, verdict = fuzz(
            tmp_path, url, 'include: ["/payments/{payment_id}/refunds"]\n', "--max-examples", "5"
        )
        assert proc.returncode == 1
        assert any("429 without Retry-After" in f["title"] for f in findings(verdict, "retry_after"))
    secret = "s3cr3t-t0ken-abcdef"
    with running("tests.fixtures.fuzz_providers:echoes_secret") as url:
        suite = 'include: ["GET /payments/{payment_id}"]\nauth: {bearer: "${FUZZ_TEST_TOKEN}"}\n'
        os.environ["FUZZ_TEST_TOKEN"] = secret
        try:
            proc, verdict = fuzz(tmp_path, url, suite, "--max-examples", "5")
        finally:
            del os.environ["FUZZ_TEST_TOKEN"]
        assert proc.returncode == 1
        echoed = findings(verdict, "no_leakage")
        assert any("echoed authorization header" in f["title"] for f in echoed), findings(verdict)
        report = (tmp_path / "reports" / "latest" / "summary.md").read_text()
        assert secret not in report and secret not in json.dumps(verdict)
        # the curl names the secret as a variable, and runs unchanged once it is exported
        leak = next(f for f in echoed if "echoed authorization header" in f["title"])
        assert '-H "Authorization: $INTERLOCK_AUTHORIZATION"' in leak["reproduce"], leak["reproduce"]
        assert "INTERLOCK_AUTHORIZATION=<the suite's auth Authorization header>" in leak["reproduce"]
        assert leak["request"]["headers"]["Authorization"] == "$INTERLOCK_AUTHORIZATION"
        status, body = replay(leak["reproduce"], url, {"INTERLOCK_AUTHORIZATION": f"Bearer {secret}"})[0]
        assert status == leak["response"]["status"] and secret in body
        # the rerun hint carries every option that shaped the run
        assert "--seed 20261121 --max-examples 5 --time-budget " in leak["reproduce"], leak["reproduce"]
        assert "--suites " in leak["reproduce"] and "--update-baseline" not in leak["reproduce"]


def test_budgets_and_undocumented_answers_fail(tmp_path: Path) -> None:
    with running("tests.fixtures.fuzz_providers:slow_health") as url:
        proc, verdict = fuzz(
            tmp_path,
            url,
            'include: ["GET /health"]\nbudgets: {"GET /health": ["max < 100ms"]}\n',
            "--max-examples",
            "3",
        )
        assert proc.returncode == 1
        assert any("max < 100ms" in f["detail"] for f in findings(verdict, "response_time_budget"))
    with running("tests.fixtures.fuzz_providers:undocumented_answers") as url:
        spec = tmp_path / "payments-openapi.json"  # a committed spec file instead of the served one
        spec.write_text(httpx.get(url + "/openapi.json").text)
        # a suite's own check, importable from the manifest's directory
        (tmp_path / "house_checks.py").write_text(
            "from interlock.stages.fuzz.checks import CheckFailed\n\n"
            "def no_plain_text(exchange, _settings):\n"
            "    if (exchange.header('content-type') or '').startswith('text/plain'):\n"
            "        raise CheckFailed('plain text answer', 'we speak JSON', cause='text/plain')\n"
        )
        suite = (
            'include: ["GET /health", "GET /payments/{payment_id}"]\n'
            'extra_checks: ["house_checks:no_plain_text"]\n'
        )
        proc, verdict = fuzz(tmp_path, url, suite, "--max-examples", "5", openapi=spec.name)
        assert proc.returncode == 1
        assert findings(verdict, "status_code_conformance") and findings(verdict, "content_type_conformance")
        assert any("plain text answer" in f["title"] for f in findings(verdict, "no_plain_text"))


def test_protocol_slips_fire_the_other_built_in_checks(tmp_path: Path) -> None:
    with running("tests.fixtures.fuzz_providers:protocol_slips") as url:
        proc, verdict = fuzz(
            # 20, not 10: at 10 whether a schema-valid id reaches GET /payments/{id} (the 404 -> 400
            # slip) hung on the run's generation, which moved with unrelated changes to the worker.
            tmp_path,
            url,
            'accepted_statuses: {"POST /payments": [402]}\n',
            "--max-examples",
            "20",
        )
    assert proc.returncode == 1
    fired = {
        check
        for check in (
            "response_headers_conformance",
            "unsupported_method",
            "allow_header_conformance",
            "positive_data_acceptance",
        )
        if findings(verdict, check)
    }
    assert fired == {
        "response_headers_conformance",
        "unsupported_method",
        "allow_header_conformance",
        "positive_data_acceptance",
    }, [f["title"] for f in findings(verdict)]


def test_bad_suite_baseline_and_spec_exit_2_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "suites").mkdir()
    (tmp_path / "spec.yaml").write_text("paths: {}\n")  # not OpenAPI: no 'openapi' key
    cases = [
        ("suites/payments.yaml", "budgets:\n  '*': ['p95 < 1s']\n", ":2: ", "write percentiles as 'p(95)'"),
        (
            "suites/payments.yaml",
            "exclude: [GET /x]\nchecks: {disable: [no_leakag]}\n",
            ":2: ",
            "unknown check 'no_leakag'",
        ),
        ("suites/payments.yaml", "incude: []\n", ":1: ", "unknown key 'incude'"),
        ("suites/payments.baseline", '{"format": 1,\n "entries": [', ":2: ", "not valid JSON"),
        ("spec.yaml", None, ":1: ", "not an OpenAPI 3.0/3.1 document (openapi: missing)"),
    ]
    for name, text, where, message in cases:
        for other in (tmp_path / "suites").iterdir():
            other.unlink()
        if text is not None:
            (tmp_path / name).write_text(text)
        openapi = name if name == "spec.yaml" else "/o.json"
        manifest = tmp_path / "interlock.yaml"
        manifest.write_text(
            f"version: 1\nservices:\n  payments: {{base_url: 'http://127.0.0.1:9', openapi: {openapi}}}\n"
            "  checkout: {base_url: 'http://127.0.0.1:9'}\nintegrations:\n"
            "  - {name: c-p, consumer: checkout, provider: payments}\n"
        )
        proc = interlock("fuzz", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r"))
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert f"{(tmp_path / name).resolve()}{where}" in proc.stderr and message in proc.stderr, proc.stderr


def test_ctrl_c_during_fuzzing_stops_the_worker_and_writes_the_report(tmp_path: Path) -> None:
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "interlock", "fuzz", "--report-dir", str(tmp_path / "reports"), "--plain"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        seen, run_id = read_until(proc, "fuzz payments: fuzzing")
        assert run_id, "".join(seen)
        time.sleep(1.0)  # the worker is importing schemathesis or sending requests
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, "".join(seen) + rest
    verdict = json.loads((tmp_path / "reports" / run_id / "verdict.json").read_text())
    assert verdict["interrupted"] is True
    assert processes_of_run(run_id) == []
