"""Reports render the same verdict three ways, redacted, and `latest` follows the newest run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from interlock.core.redact import MASK, redact
from interlock.core.reports import point_latest, write_reports
from interlock.core.verdict import (
    CheckAttempt,
    CheckResult,
    Finding,
    IntegrationVerdict,
    RunVerdict,
    StageResult,
    Status,
)


def sample_verdict() -> RunVerdict:
    finding = Finding(
        stage="contracts",
        integration="checkout-payments",
        title="get a payment: response body is missing $.status",
        detail='expected: ["status"]\nAuthorization: Bearer s3cr3t-token',
        reproduce="curl -H 'Authorization: Bearer s3cr3t-token' http://127.0.0.1:1/payments/1",
    )
    checks = [
        CheckResult(name="checkout-payments.json :: get a payment", status=Status.FAILED, findings=[finding]),
        CheckResult(name="checkout-payments.json :: create a payment", status=Status.PASSED, duration_s=0.01),
    ]
    return RunVerdict(
        run_id="20261121-000000-abcd",
        tool_version="0.1.0",
        manifest="interlock.yaml",
        profile="ci",
        stages=["contracts"],
        started_at=datetime(2026, 11, 21, tzinfo=UTC),
        finished_at=datetime(2026, 11, 21, 0, 0, 2, tzinfo=UTC),
        integrations=[
            IntegrationVerdict(
                integration="checkout-payments",
                consumer="checkout",
                provider="payments",
                stages=[StageResult(stage="contracts", integration="checkout-payments", checks=checks)],
            ),
            IntegrationVerdict(
                integration="checkout-inventory",
                consumer="checkout",
                provider="inventory",
                stages=[
                    StageResult(
                        stage="contracts",
                        integration="checkout-inventory",
                        error="RuntimeError: verifier crashed",
                    )
                ],
            ),
        ],
    )


def verdict_with_every_kind_of_check() -> RunVerdict:
    """The sample verdict plus a chaos stage with a flaky check and a skipped one."""
    verdict = sample_verdict()
    attempts = [
        CheckAttempt(
            attempt=1, status=Status.FAILED, duration_s=1.2, message="p(99)=900ms", findings=["slow"]
        ),
        CheckAttempt(attempt=2, status=Status.PASSED, duration_s=0.8, message="p(99)=80ms"),
    ]
    verdict.integrations[0].stages.append(
        StageResult(
            stage="chaos",
            integration="checkout-payments",
            checks=[
                CheckResult(
                    name="steady", status=Status.PASSED, duration_s=2.0, flaky=True, attempts=attempts
                ),
                CheckResult(name="fault", status=Status.SKIPPED, message="not run"),
            ],
        )
    )
    return verdict


def test_reports_agree_and_are_redacted(tmp_path: Path) -> None:
    run_dir = tmp_path / "reports" / "20261121-000000-abcd"
    write_reports(sample_verdict(), run_dir)

    data = json.loads((run_dir / "verdict.json").read_text())
    assert data["status"] == "error" and data["exit_code"] == 3
    assert data["integrations"][0]["status"] == "failed"

    suites = ET.parse(run_dir / "junit.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["checkout-payments", "checkout-inventory"]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [
        "checkout-payments.json :: get a payment",
        "checkout-payments.json :: create a payment",
    ]
    assert cases[0].find("failure").get("message") == "get a payment: response body is missing $.status"
    assert cases[1].find("failure") is None
    assert suites[0].get("failures") == "1" and suites[1].get("errors") == "1"

    summary = (run_dir / "summary.md").read_text()
    assert "get a payment: response body is missing $.status" in summary
    assert "verifier crashed" in summary
    reports = [(run_dir / name).read_text() for name in ("junit.xml", "verdict.json", "ctrf.json")]
    for text in (summary, *reports):
        assert "s3cr3t-token" not in text
        assert MASK in text


def test_latest_points_at_newest_run(tmp_path: Path) -> None:
    for run_id in ("run-1", "run-2"):
        (tmp_path / run_id).mkdir()
        point_latest(tmp_path / run_id)
        assert (tmp_path / "latest").resolve() == (tmp_path / run_id).resolve()
    assert (tmp_path / "latest").readlink() == Path("run-2")  # relative: the reports dir can move


def test_redaction_patterns() -> None:
    assert redact("Cookie: session=abc") == f"Cookie: {MASK}"
    # generated request data is not judged by its member names (issue 11): only known values are masked
    assert redact('{"password": "hunter2", "user": "ann"}') == '{"password": "hunter2", "user": "ann"}'
    assert redact("GET /x?api_key=123&page=2") == "GET /x?api_key=123&page=2"
    assert redact("sent bearer abc.def.ghi") == f"sent bearer {MASK}"
    assert redact("status: captured") == "status: captured"


# A 1x1 PNG: enough to prove images are embedded rather than linked.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201e2dd8b1f0000000049454e44ae426082"
)


def test_html_report_embeds_images_links_other_artefacts_and_escapes(tmp_path: Path) -> None:
    run_dir = tmp_path / "20261121-000000-abcd"
    (run_dir / "load" / "checkout-payments").mkdir(parents=True)
    (run_dir / "load" / "checkout-payments" / "rps.png").write_bytes(_PNG)
    (run_dir / "load" / "checkout-payments" / "locust.csv").write_text("a,b\n")
    verdict = sample_verdict()
    verdict.integrations[0].stages[0].checks[0].findings[0].title = "body has <script>alert(1)</script>"
    verdict.integrations[0].stages.append(
        StageResult(
            stage="load",
            integration="checkout-payments",
            artefacts=["load/checkout-payments/rps.png", "load/checkout-payments/locust.csv"],
        )
    )
    write_reports(verdict, run_dir)

    html = (run_dir / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert 'href="load/checkout-payments/locust.csv"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "verifier crashed" in html and "s3cr3t-token" not in html
    assert html.count('class="finding error"') == 1


def test_an_interrupted_run_with_a_stage_not_reached_still_writes_every_report(tmp_path: Path) -> None:
    verdict = sample_verdict()
    verdict.stages = ["contracts", "chaos"]
    verdict.interrupted_by = 2
    verdict.integrations.append(
        IntegrationVerdict(integration="checkout-x", consumer="checkout", provider="x")
    )
    written = write_reports(verdict, tmp_path)
    assert {p.name for p in written} >= {"verdict.json", "summary.md", "report.html", "ctrf.json"}


def test_the_manifests_secret_values_are_masked_in_every_report(tmp_path: Path) -> None:
    from interlock.core.redact import RedactionPolicy

    verdict = sample_verdict()
    finding = verdict.integrations[0].stages[0].checks[0].findings[0]
    finding.detail += "\nthe provider said: db password is pg-pa55word-1 (oops)"
    policy = RedactionPolicy.for_environment({"DB_PASSWORD": "pg-pa55word-1", "DB_HOST": "db.internal"})
    write_reports(verdict, tmp_path / "run", policy)
    for name in ("summary.md", "junit.xml", "verdict.json", "report.html", "ctrf.json"):
        text = (tmp_path / "run" / name).read_text()
        assert "pg-pa55word-1" not in text and "db password is [REDACTED] (oops)" in text, name
        assert "get a payment: response body is missing $.status" in text, name


def test_a_flaky_check_is_flaky_in_every_report(tmp_path: Path) -> None:
    write_reports(verdict_with_every_kind_of_check(), tmp_path)
    data = json.loads((tmp_path / "verdict.json").read_text())
    assert data["flaky"] == 1
    case = next(
        c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase") if c.get("name") == "steady"
    )
    assert case.find("failure") is None and case.find("flakyFailure").get("message") == "slow"
    assert case.find("properties/property[@name='flaky']").get("value") == "true"
    assert "attempt 1 failed: slow; attempt 2 passed: p(99)=80ms" in case.find("system-out").text
    summary = (tmp_path / "summary.md").read_text()
    assert "🔁 1 flaky" in summary and "attempt 1 ❌ failed (1.2 s): slow" in summary
    html = (tmp_path / "report.html").read_text()
    assert '<section class="flaky" id="flaky">' in html and "p(99)=80ms" in html
