"""ctrf.json: every check a CTRF test, valid against the vendored CTRF schema, flaky and retries kept."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from interlock.core.ctrf import render_ctrf
from interlock.core.reports import write_reports
from tests.core.test_reports import sample_verdict, verdict_with_every_kind_of_check

SCHEMA = json.loads((Path(__file__).parents[1] / "fixtures" / "ctrf" / "ctrf.schema.json").read_text())


def test_ctrf_validates_and_maps_every_status() -> None:
    document = render_ctrf(verdict_with_every_kind_of_check())
    jsonschema.validate(document, SCHEMA)
    results = document["results"]
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["checkout-payments.json :: get a payment"]["status"] == "failed"
    assert "response body is missing" in tests["checkout-payments.json :: get a payment"]["message"]
    assert tests["fault"]["status"] == "skipped"
    errored = tests["contracts stage"]
    assert (
        errored["status"] == "other"
        and errored["rawStatus"] == "error"
        and "verifier crashed" in errored["trace"]
    )
    flaky = tests["steady"]
    assert flaky["flaky"] is True and flaky["retries"] == 1 and flaky["duration"] == 2000
    assert [a["status"] for a in flaky["retryAttempts"]] == ["failed", "passed"]
    assert flaky["suite"] == ["checkout-payments", "chaos"]
    summary = results["summary"]
    assert (summary["tests"], summary["passed"], summary["failed"], summary["skipped"], summary["other"]) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert summary["flaky"] == 1 and summary["stop"] - summary["start"] == 2000


def test_an_interrupted_run_is_an_other_test() -> None:
    verdict = sample_verdict()
    verdict.interrupted_by = 15
    document = render_ctrf(verdict)
    jsonschema.validate(document, SCHEMA)
    assert document["results"]["tests"][-1]["rawStatus"] == "interrupted"


def test_ctrf_json_is_written_beside_junit_and_validates(tmp_path: Path) -> None:
    write_reports(verdict_with_every_kind_of_check(), tmp_path)
    document = json.loads((tmp_path / "ctrf.json").read_text())
    jsonschema.validate(document, SCHEMA)
    assert (tmp_path / "junit.xml").is_file()
