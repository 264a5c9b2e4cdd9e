"""Reading st's JUnit and interlock's verdict.json, on reports recorded from real runs.

The samples are cut down from real runs against httpbin 0.10.4 and kinto 26.5.0
(benchmarks/realworld/run.py, seed 1): a few testcases and findings each, response bodies
shortened; everything else is as the tools wrote it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.realworld.reports import (
    STATEFUL_LABEL,
    Failure,
    finding_failure,
    learn_base_path,
    match_operation,
    normalise_operation,
    parse_interlock_verdict,
    parse_st_junit,
    stateful_operation,
)

SAMPLES = Path(__file__).parent / "samples"


def test_st_junit_gives_one_failure_per_operation_and_code() -> None:
    run = parse_st_junit(SAMPLES / "st-httpbin.junit.xml")

    assert {("GET /drip", "ST101"), ("GET /drip", "ST103"), ("GET /drip", "ST105")} <= run.keys
    assert ("GET /status/{codes}", "ST202") in run.keys
    drip = next(f for f in run.failures if f.key == ("GET /drip", "ST105"))
    assert (drip.check, drip.title) == ("content_type_conformance", "Undocumented Content-Type")
    assert "curl -X GET" in drip.detail


def test_st_junit_lists_operations_and_schema_errors_but_not_as_failures() -> None:
    run = parse_st_junit(SAMPLES / "st-httpbin.junit.xml")

    assert "GET /uuid" in run.operations and STATEFUL_LABEL not in run.operations
    assert any(e.startswith("GET /bytes/{n}: Schema Error") for e in run.errors)
    assert not any(f.operation == "GET /bytes/{n}" for f in run.failures)


def test_st_use_after_free_is_the_deletes_failure_as_schemathesis_files_it() -> None:
    # The stateful chain is POST, DELETE, GET /anything/...: the failure object names the DELETE.
    run = parse_st_junit(SAMPLES / "st-httpbin.junit.xml")

    assert ("DELETE /anything/{anything}", "ST301") in run.keys
    assert not any(f.operation == STATEFUL_LABEL for f in run.failures)


def test_st_stateful_failures_go_to_the_last_requests_operation_under_the_base_path() -> None:
    # kinto's API is under /v1; its stateful failures are a GET /v1/permissions?... each.
    run = parse_st_junit(SAMPLES / "st-kinto.junit.xml")

    assert ("GET /permissions", "ST101") in run.keys  # only the stateful phase found this one
    assert ("GET /permissions", "ST202") in run.keys
    assert {("GET /__version__", "ST101"), ("GET /__version__", "ST103")} <= run.keys
    assert not any(f.operation == STATEFUL_LABEL for f in run.failures)


def test_interlock_verdict_gives_operation_and_code_from_the_finding() -> None:
    run = parse_interlock_verdict(SAMPLES / "interlock-httpbin.verdict.json")

    assert {
        ("DELETE /anything/{anything}", "ST301"),
        ("GET /drip", "ST101"),
        ("GET /drip", "ST103"),
        ("GET /drip", "ST105"),
        ("GET /status/{codes}", "ST202"),
        ("GET /uuid", "IL103"),
    } == run.keys
    assert "GET /get" in run.operations


def test_interlock_own_check_findings_stay_one_per_cause() -> None:
    # The recorded run reported GET /uuid's idempotency finding twice, under two causes.
    run = parse_interlock_verdict(SAMPLES / "interlock-httpbin.verdict.json")

    uuid = [f for f in run.failures if f.key == ("GET /uuid", "IL103")]
    assert sorted(f.cause for f in uuid) == ["GET repeated gave a different body", "different result"]
    assert uuid[0].check == "idempotency"


def test_interlock_run_errors_are_errors_not_failures() -> None:
    run = parse_interlock_verdict(SAMPLES / "interlock-httpbin.verdict.json")

    assert any("Path parameter 'anything' is not defined" in e for e in run.errors)
    assert not any(f.operation.startswith("httpbin") for f in run.failures)


def test_a_provider_reported_for_two_integrations_counts_once(tmp_path: Path) -> None:
    verdict = json.loads((SAMPLES / "interlock-httpbin.verdict.json").read_text())
    twin = json.loads(json.dumps(verdict["integrations"][0]))
    twin["integration"] = "another-consumer"
    verdict["integrations"].append(twin)
    path = tmp_path / "verdict.json"
    path.write_text(json.dumps(verdict))

    once = parse_interlock_verdict(SAMPLES / "interlock-httpbin.verdict.json")
    assert len(parse_interlock_verdict(path).failures) == len(once.failures)


def test_a_redacted_check_line_falls_back_to_the_title() -> None:
    # Issue 11 item 5: redaction once blanked the label, leaving "[REDACTED]: content_type_... (ST105)".
    finding = {
        "title": "GET /cache/{value}: Undocumented Content-Type",
        "detail": "operation: GET /cache/{value}\n[REDACTED]: content_type_conformance (ST105)\ncause: text/html",
    }
    failure = finding_failure(finding, "GET /cache/{value}")

    assert failure == Failure(
        "GET /cache/{value}",
        "ST105",
        "content_type_conformance",
        "Undocumented Content-Type",
        finding["detail"],
        "text/html",
    )


def test_structured_finding_fields_win_over_the_detail_text() -> None:
    finding = {
        "title": "whatever the title says",
        "detail": "operation: GET /wrong\ncheck:     wrong (ST999)",
        "operation": "POST /buckets",
        "check": {"id": "ST201", "name": "negative_data_rejection"},
    }
    failure = finding_failure(finding, "")

    assert failure is not None
    assert (failure.key, failure.check) == (("POST /buckets", "ST201"), "negative_data_rejection")


def test_a_finding_naming_no_operation_and_no_check_is_not_a_failure() -> None:
    assert (
        finding_failure({"title": "kinto: fuzzing could not test everything: boom", "detail": ""}, "") is None
    )


@pytest.mark.parametrize(
    ("method", "url", "base_path", "expected"),
    [
        (
            "GET",
            "http://127.0.0.1:1/v1/buckets/b1/collections/c1",
            None,
            "GET /buckets/{bid}/collections/{cid}",
        ),
        (
            "GET",
            "http://127.0.0.1:1/v1/buckets/b1/collections/c1",
            "/v1",
            "GET /buckets/{bid}/collections/{cid}",
        ),
        ("GET", "http://127.0.0.1:1/buckets/b1", "", "GET /buckets/{id}"),
        ("GET", "http://127.0.0.1:1/v1/buckets?_limit=2", "/v1", "GET /buckets"),
        ("DELETE", "/anything/%C2%9E%2B", None, "DELETE /anything/{anything}"),
        ("PUT", "http://127.0.0.1:1/v1/buckets/b1", "/v1", None),
        ("GET", "http://127.0.0.1:1/v1/nothing/here/at/all", "/v1", None),
        # Without a known base path, any prefix is allowed: /v1/nothing/here + /{a}/{b}.
        ("GET", "http://127.0.0.1:1/v1/nothing/here/at/all", None, "GET /{a}/{b}"),
    ],
)
def test_a_request_url_is_matched_to_the_most_specific_operation(
    method: str, url: str, base_path: str | None, expected: str | None
) -> None:
    operations = [
        "GET /buckets",
        "GET /buckets/{id}",
        "GET /{a}/{b}",
        "GET /buckets/{bid}/collections/{cid}",
        "DELETE /anything/{anything}",
    ]

    assert match_operation(method, url, operations, base_path) == expected


def test_the_base_path_is_learnt_from_failures_of_known_operations() -> None:
    kinto = (SAMPLES / "st-kinto.junit.xml").read_text()
    assert "/v1/permissions" in kinto  # the sample's requests are under /v1

    assert (
        learn_base_path([("GET /permissions", "curl -X GET 'http://h:1/v1/permissions?_limit=0'")]) == "/v1"
    )
    assert learn_base_path([("GET /status/{codes}", "curl -X GET http://h:1/status/null,null")]) == ""
    assert learn_base_path([("GET /x", "no request here")]) is None


def test_operations_are_normalised() -> None:
    assert normalise_operation(" get  /x/ ") == "GET /x"
    assert normalise_operation("GET /") == "GET /"


def test_a_curl_with_bash_quoted_headers_still_names_its_operation() -> None:
    # Recorded from st on kinto: shlex cannot read the $'...' header, the URL is still found.
    block = (
        "1. Test Case ID: Yyfm29\n\n- ST101 Server error\n\nReproduce with:\n\n"
        "    curl -X GET -H $'If-None-Match: *\\'\\tO^- ' -H 'If-Match: 3F``G*b' http://127.0.0.1:45023/v1/permissions\n"
    )

    assert (
        stateful_operation(block, ["GET /permissions", "GET /buckets"], "ST101", "/v1") == "GET /permissions"
    )
