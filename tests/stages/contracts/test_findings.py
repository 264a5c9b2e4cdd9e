"""Pact core results -> checks and findings, using result shapes captured from the real core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.verdict import Severity, Status
from interlock.pacts.pactfile import load_pact
from interlock.stages.contracts.findings import checks_for_pact, describe_mismatch, describe_mismatches

PACT = {
    "consumer": {"name": "checkout"},
    "provider": {"name": "payments"},
    "metadata": {"pactSpecification": {"version": "4.0"}},
    "interactions": [
        {
            "type": "Synchronous/HTTP",
            "description": "a request for a payment",
            "providerStates": [{"name": "a payment exists", "params": {"id": "pay-1"}}],
            "request": {
                "method": "GET",
                "path": "/payments/pay-1",
                "headers": {"Accept": ["application/json"]},
            },
            "response": {"status": 200},
        },
        {
            "type": "Synchronous/HTTP",
            "description": "a request to create a payment",
            "providerStates": [{"name": "no payments exist"}],
            "request": {
                "method": "POST",
                "path": "/payments",
                "body": {"content": {"amount": 100}, "contentType": "application/json", "encoded": False},
            },
            "response": {"status": 201},
        },
    ],
}

BODY_MISMATCH = {
    "actual": '["amount","id","state"]',
    "expected": '["amount","id","status"]',
    "mismatch": "Actual map is missing the following keys: status",
    "path": "$",
    "type": "BodyMismatch",
}

RESULTS = {
    "result": False,
    "interactionResults": [
        {
            "consumer": "checkout",
            "description": "a request for a payment",
            "duration": "60ms",
            "mismatch": {"interactionId": "", "mismatches": [BODY_MISMATCH], "type": "mismatches"},
            "pending": False,
            "provider": "payments",
            "providerStates": ["a payment exists"],
            "result": "Error",
        },
        {
            "consumer": "checkout",
            "description": "a request to create a payment",
            "duration": "10ms",
            "pending": False,
            "provider": "payments",
            "providerStates": ["no payments exist"],
            "result": "OK",
        },
    ],
}


@pytest.fixture
def pact_path(tmp_path: Path) -> Path:
    path = tmp_path / "checkout-payments.json"
    path.write_text(json.dumps(PACT))
    return path


def checks(pact_path: Path, outcome: dict) -> list:
    return checks_for_pact(
        load_pact(pact_path),
        outcome,
        integration="checkout-payments",
        pact_label="checkout-payments.json",
        provider_url="http://127.0.0.1:9",
        states_url="http://127.0.0.1:9/_pact/states",
        reproduce_cmd="interlock contracts --only checkout-payments",
    )


def test_one_check_per_interaction_and_a_finding_naming_everything(pact_path: Path) -> None:
    failed, passed = checks(pact_path, {"results": RESULTS, "state_failures": []})
    assert passed.status == Status.PASSED and passed.duration_s == pytest.approx(0.01)
    assert (
        failed.status == Status.FAILED and failed.name == "checkout-payments.json :: a request for a payment"
    )
    (finding,) = failed.findings
    assert finding.title == "a request for a payment: response body is missing $.status"
    for fragment in (
        "checkout-payments.json",
        "a request for a payment",
        'a payment exists {"id": "pay-1"}',
        "GET /payments/pay-1",
        "BodyMismatch at $",
        '["amount","id","status"]',
    ):
        assert fragment in finding.detail
    assert (
        "curl -sS -i -X GET http://127.0.0.1:9/payments/pay-1 -H 'Accept: application/json'"
        in finding.reproduce
    )
    assert '"state": "a payment exists"' in finding.reproduce


def test_failed_state_setup_fails_the_interaction_even_if_the_core_said_ok(pact_path: Path) -> None:
    failure = {
        "state": "no payments exist",
        "action": "setup",
        "params": {},
        "error": "POST http://127.0.0.1:9/_pact/states answered 500: boom",
    }
    _, create = checks(pact_path, {"results": RESULTS, "state_failures": [failure]})
    assert create.status == Status.FAILED
    assert (
        create.findings[0].title
        == "a request to create a payment: provider state 'no payments exist' could not be set up"
    )
    assert "answered 500: boom" in create.findings[0].detail


def test_pending_failures_are_warnings(pact_path: Path) -> None:
    results = json.loads(json.dumps(RESULTS))
    results["interactionResults"][0]["pending"] = True
    failed, _ = checks(pact_path, {"results": results})
    assert failed.status == Status.PASSED
    assert failed.findings[0].severity == Severity.WARNING


def test_missing_result_is_an_error_check(pact_path: Path) -> None:
    outcome = {"results": {"result": False, "interactionResults": [], "errors": []}}
    assert [c.status for c in checks(pact_path, outcome)] == [Status.ERROR, Status.ERROR]


@pytest.mark.parametrize(
    ("mismatch", "title"),
    [
        (
            {
                "type": "StatusMismatch",
                "expected": 200,
                "actual": 500,
                "mismatch": "expected 200 but was 500",
            },
            "status 500, expected 200",
        ),
        (
            {
                "type": "HeaderMismatch",
                "key": "Content-Type",
                "expected": "application/json",
                "actual": "text/plain",
                "mismatch": (
                    "Expected header 'Content-Type' to have value 'application/json' but was 'text/plain'"
                ),
            },
            "header Content-Type: Expected header 'Content-Type' to have value 'application/json'"
            " but was 'text/plain'",
        ),
        (
            {
                "type": "BodyMismatch",
                "path": "$.amount",
                "expected": "100",
                "actual": '"100"',
                "mismatch": "Expected '100' (String) to be the same type as 100 (Integer)",
            },
            "body $.amount: Expected '100' (String) to be the same type as 100 (Integer)",
        ),
        (
            {
                "type": "BodyMismatch",
                "path": "$.payment",
                "mismatch": "Actual map is missing the following keys: id, status",
            },
            "response body is missing $.payment.id, $.payment.status",
        ),
    ],
)
def test_mismatch_titles(mismatch: dict, title: str) -> None:
    assert describe_mismatch(mismatch)[0] == title


def test_request_errors_are_described() -> None:
    ((title, _),) = describe_mismatches(
        {"type": "error", "message": "error sending request: connection refused"}
    )
    assert title == "request failed: error sending request: connection refused"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "the top level must be a JSON object"),
        ('{"provider": {"name": "p"}, "interactions": []}', "'consumer.name' is missing"),
        (
            '{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{"x": 1}]}',
            "has no 'description'",
        ),
    ],
)
def test_broken_pact_files_are_config_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_pact(path)
    assert str(info.value).startswith(str(path))
