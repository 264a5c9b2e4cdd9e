"""Pacts checked against the provider's OpenAPI spec, offline: real pact files, real spec files."""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from interlock.core.errors import ConfigError
from interlock.core.verdict import CheckResult, Severity, Status
from interlock.openapi.check import check_pact
from interlock.openapi.document import load_spec, parse_spec
from interlock.pacts.pactfile import load_pact
from tests.app.test_gate import payments_manifest as gate_manifest
from tests.helpers import interlock
from tests.openapi.helpers import (
    INVENTORY_SPEC,
    PACTS,
    PAYMENTS_SPEC,
    SPECS,
    body,
    payments_manifest,
    write_pact,
)


def check(spec: Path, pact: Path) -> list[CheckResult]:
    return check_pact(
        load_spec(spec),
        load_pact(pact),
        integration="checkout-payments",
        pact_label=pact.name,
        spec_label=spec.name,
    )


def by_interaction(checks: list[CheckResult]) -> dict[str, CheckResult]:
    return {c.name.split(" :: ", 1)[1]: c for c in checks}


@pytest.mark.parametrize(
    ("spec", "pact"),
    [(PAYMENTS_SPEC, PACTS / "checkout-payments.json"), (INVENTORY_SPEC, PACTS / "checkout-inventory.json")],
)
def test_the_example_pacts_fit_the_example_specs(spec: Path, pact: Path) -> None:
    checks = check(spec, pact)
    assert len(checks) == len(json.loads(pact.read_text())["interactions"])
    assert all(c.status == Status.PASSED and not c.findings for c in checks), [c.findings for c in checks]


def test_an_undeclared_status_is_an_error_naming_interaction_and_spec_location() -> None:
    checks = by_interaction(check(SPECS / "payments-no-404.json", PACTS / "checkout-payments.json"))
    failed = checks["a request for a payment that does not exist"]
    assert failed.status == Status.FAILED
    [finding] = failed.findings
    assert finding.severity == Severity.ERROR
    assert finding.title == (
        "a request for a payment that does not exist: response status 404 is not declared"
        " (the spec declares 200, 422)"
    )
    assert "interaction: a request for a payment that does not exist" in finding.detail
    assert "GET /payments/{payment_id} #/paths/~1payments~1{payment_id}/get/responses" in finding.detail
    assert [n for n, c in checks.items() if c.status == Status.FAILED] == [
        "a request for a payment that does not exist"
    ]


def test_a_wrong_type_is_an_error_at_the_schema_property() -> None:
    checks = by_interaction(check(SPECS / "payments-amount-string.json", PACTS / "checkout-payments.json"))
    failed = {n for n, c in checks.items() if c.status == Status.FAILED}
    # every interaction whose recorded response carries an amount (the integer matcher keeps the type)
    assert failed == {
        "a repeated request to charge an order",
        "a request for a payment",
        "a request to charge an order",
    }
    finding = checks["a request for a payment"].findings[0]
    assert "response body $.amount: 3998 is not of type 'string'" in finding.title
    assert (
        "GET /payments/{payment_id} responses/200 #/components/schemas/Payment/properties/amount"
        in finding.detail
    )


def test_an_unknown_path_is_an_error() -> None:
    checks = by_interaction(check(SPECS / "payments-path-renamed.json", PACTS / "checkout-payments.json"))
    [finding] = checks["a request for a payment"].findings
    assert finding.title.endswith(
        "GET /payments/pay_3b9d2c7e5a0f4e1d8c6b4a2f0e9d7c5b is not in the spec (no path matches)"
    )
    assert checks["a request to charge an order"].status == Status.PASSED


def test_reading_an_optional_or_nullable_field_is_a_risk_not_a_failure() -> None:
    checks = by_interaction(
        check(SPECS / "payments-optional-nullable.json", PACTS / "checkout-payments.json")
    )
    read = checks["a request for a payment"]
    assert read.status == Status.PASSED
    titles = sorted(f.title.split(": ", 1)[1] for f in read.findings)
    assert titles == [
        "reads $.currency, which the spec marks optional (not required)",
        "reads $.order_id, which the spec marks nullable",
    ]
    assert all(f.severity == Severity.WARNING for f in read.findings)


def _one_interaction(tmp_path: Path, response_content: dict[str, Any], rules: dict[str, Any] | None) -> Path:
    response: dict[str, Any] = {
        "status": 200,
        "headers": {"Content-Type": ["application/json"]},
        "body": body(response_content),
    }
    if rules:
        response["matchingRules"] = {"body": rules}
    return write_pact(
        tmp_path / "pact.json",
        [
            {
                "description": "a payment",
                "request": {"method": "GET", "path": "/payments/pay_1"},
                "response": response,
            }
        ],
        "checkout",
        "payments",
    )


@pytest.mark.parametrize(
    ("rules", "failed"),
    [
        (None, True),  # the consumer expects exactly "refunded": the spec only ever says "captured"
        ({"$.status": {"matchers": [{"match": "type"}]}}, False),  # any string: fine
        ({"$": {"matchers": [{"match": "type"}]}}, False),  # a type matcher on the root cascades
        ({"$": {"matchers": [{"match": "type"}]}, "$.status": {"matchers": [{"match": "equality"}]}}, True),
    ],
)
def test_matching_rules_decide_whether_the_recorded_value_itself_must_fit(
    tmp_path: Path, rules: dict[str, Any] | None, failed: bool
) -> None:
    pact = _one_interaction(tmp_path, {"id": "pay_1", "status": "refunded"}, rules)
    [result] = check(PAYMENTS_SPEC, pact)
    assert (result.status == Status.FAILED) is failed, result.findings
    if failed:
        assert "response body $.status: 'refunded' is not 'captured' (const)" in result.findings[0].title


def test_a_type_matcher_still_requires_the_type(tmp_path: Path) -> None:
    pact = _one_interaction(tmp_path, {"id": 7}, {"$.id": {"matchers": [{"match": "type"}]}})
    [result] = check(PAYMENTS_SPEC, pact)
    assert result.status == Status.FAILED
    assert "response body $.id: 7 is not of type 'string' (type)" in result.findings[0].title


def test_request_problems_are_errors(tmp_path: Path) -> None:
    pact = write_pact(
        tmp_path / "pact.json",
        [
            {
                "description": "a charge without currency",
                "request": {
                    "method": "POST",
                    "path": "/payments",
                    "headers": {"Content-Type": ["application/json"]},
                    "body": body({"order_id": "o-1", "amount": 0}),
                },
                "response": {"status": 201},
            },
            {
                "description": "a charge as text",
                "request": {
                    "method": "POST",
                    "path": "/payments",
                    "headers": {"Content-Type": ["text/plain"]},
                    "body": {"content": "hello", "contentType": "text/plain", "encoded": False},
                },
                "response": {"status": 201},
            },
            {
                "description": "a payment with a query",
                "request": {"method": "GET", "path": "/payments/pay_1", "query": {"expand": ["ledger"]}},
                "response": {"status": 200},
            },
            {
                "description": "a method the path lacks",
                "request": {"method": "DELETE", "path": "/payments/pay_1"},
                "response": {"status": 204},
            },
        ],
        "checkout",
        "payments",
    )
    checks = by_interaction(check(PAYMENTS_SPEC, pact))
    titles = {name: [f.title.split(": ", 1)[1] for f in c.findings] for name, c in checks.items()}
    assert titles["a charge without currency"] == [
        "request body $: 'currency' is a required property (required)",
        "request body $.amount: 0 is less than or equal to the minimum of 0.0 (exclusiveMinimum)",
    ]
    assert titles["a charge as text"] == [
        "request Content-Type text/plain is not accepted (the spec has application/json)"
    ]
    assert titles["a payment with a query"] == ["query parameter 'expand' is not declared by the spec"]
    assert checks["a payment with a query"].status == Status.PASSED  # a warning only
    assert titles["a method the path lacks"] == [
        "DELETE is not allowed on /payments/{payment_id} (the spec has GET)"
    ]


def test_openapi_30_nullable_and_each_like_arrays(tmp_path: Path) -> None:
    spec = parse_spec(
        json.dumps(
            {
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1"},
                "paths": {
                    "/orders": {
                        "get": {
                            "responses": {
                                "200": {
                                    "description": "ok",
                                    "content": {
                                        "application/json": {
                                            "schema": {
                                                "type": "object",
                                                "required": ["items"],
                                                "properties": {
                                                    "items": {
                                                        "type": "array",
                                                        "items": {
                                                            "type": "object",
                                                            "required": ["sku", "qty"],
                                                            "properties": {
                                                                "sku": {"type": "string", "maxLength": 3},
                                                                "qty": {"type": "integer"},
                                                                "note": {"type": "string", "nullable": True},
                                                            },
                                                        },
                                                    }
                                                },
                                            }
                                        }
                                    },
                                }
                            }
                        }
                    }
                },
            }
        ),
        "inline.json",
    )
    pact = write_pact(
        tmp_path / "pact.json",
        [
            {
                "description": "orders",
                "request": {"method": "GET", "path": "/orders"},
                "response": {
                    "status": 200,
                    "body": body({"items": [{"sku": "SKU-LONG", "qty": "2", "note": "x"}]}),
                    "matchingRules": {"body": {"$.items": {"matchers": [{"match": "type", "min": 1}]}}},
                },
            }
        ],
    )
    [result] = check_pact(spec, load_pact(pact), integration="i", pact_label="p", spec_label="s")
    titles = sorted(f.title.split(": ", 1)[1] for f in result.findings)
    assert titles == [
        "reads $.items[*].note, which the spec marks nullable",
        "reads $.items[*].note, which the spec marks optional (not required)",
        "response body $.items[0].qty: '2' is not of type 'integer' (type)",  # eachLike keeps types
    ]  # and the sku's maxLength is relaxed by the type matcher cascading from $.items


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"swagger": "2.0"}', "Swagger 2.0 is not supported"),
        ('{"openapi": "3.1.0", "info": {"title": "t"}, "paths": {}}', "not a valid OpenAPI 3.1.0 document"),
        (
            (
                "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n"
                "        '200': {description: 5}\n"
            ),
            "not a valid OpenAPI 3.0.0 document",
        ),
    ],
)
def test_a_bad_spec_is_one_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


# -- the command line -----------------------------------------------------------------------------


def test_check_spec_passes_on_the_example_offline(tmp_path: Path) -> None:
    proc = interlock("contracts", "check-spec", "--report-dir", str(tmp_path / "reports"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "checkout-payments: passed (5/5 checks passed" in proc.stdout
    verdict = json.loads((tmp_path / "reports" / "latest" / "verdict.json").read_text())
    assert verdict["integrations"][0]["stages"][0]["checks"][0]["name"].startswith(
        "spec: contracts/pacts/checkout-payments.json :: "
    )


def test_check_spec_fails_with_the_finding_and_no_provider_running(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, SPECS / "payments-no-404.json")
    proc = interlock(
        "contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "a request for a payment that does not exist: response status 404 is not declared" in proc.stdout
    summary = (tmp_path / "r" / "latest" / "summary.md").read_text()
    assert "#/paths/~1payments~1{payment_id}/get/responses" in summary
    assert not (tmp_path / "r" / "latest" / "services").exists()  # nothing was started


def test_check_spec_tells_the_risks_on_the_console(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, SPECS / "payments-optional-nullable.json")
    proc = interlock(
        "contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "warning: contracts checkout-payments: spec: a request for a payment: reads $.order_id,"
        " which the spec marks nullable"
    ) in proc.stdout


def test_check_spec_needs_a_file_when_the_provider_is_not_running(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, "/openapi.json")
    proc = interlock(
        "contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")
    )
    assert proc.returncode == 2
    assert proc.stdout == "" and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{manifest}:6: the openapi: of payments is a URL path (/openapi.json)" in proc.stderr
    assert "need a spec file" in proc.stderr


def test_a_broken_spec_file_stops_the_contracts_stage_before_anything_starts(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"openapi": "3.1.0", "paths": {}')
    proc = interlock(
        "contracts",
        "--manifest",
        str(payments_manifest(tmp_path, broken)),
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == f"interlock: {broken}:1: not valid JSON: Expecting ',' delimiter"
    assert not (tmp_path / "r").exists()


def test_contracts_help_lists_the_spec_subcommands(tmp_path: Path) -> None:
    proc = interlock("contracts", "--help")
    assert proc.returncode == 0 and "check-spec" in proc.stdout and "diff" in proc.stdout
    misplaced = interlock("contracts", "--manifest", str(payments_manifest(tmp_path)), "check-spec")
    assert misplaced.returncode == 2
    assert misplaced.stderr.startswith(
        "interlock: error: put --manifest after the subcommand: interlock contracts check-spec --manifest ..."
    )


@pytest.mark.slow
def test_the_contracts_stage_reports_spec_findings_next_to_verification(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, SPECS / "payments-no-404.json")
    proc = interlock("contracts", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdict = json.loads((tmp_path / "r" / "latest" / "verdict.json").read_text())
    checks = verdict["integrations"][0]["stages"][0]["checks"]
    spec_checks = [c for c in checks if c["name"].startswith("spec: ")]
    replayed = [c for c in checks if not c["name"].startswith("spec: ")]
    assert len(spec_checks) == len(replayed) == 5
    assert all(c["status"] == "passed" for c in replayed)  # the provider itself honours the pact
    assert [c["name"] for c in spec_checks if c["status"] == "failed"] == [
        "spec: " + str(PACTS / "checkout-payments.json") + " :: a request for a payment that does not exist"
    ]


@pytest.mark.slow
def test_the_contracts_stage_fetches_a_url_path_spec_from_the_running_provider(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path, "/openapi.json")
    proc = interlock("contracts", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = json.loads((tmp_path / "r" / "latest" / "verdict.json").read_text())["integrations"][0][
        "stages"
    ][0]["checks"]
    assert sum(c["name"].startswith("spec: ") for c in checks) == 5
    assert all(c["status"] == "passed" for c in checks)


def test_a_30_yaml_spec_with_base_path_ref_parameters_default_response_and_recursion(tmp_path: Path) -> None:
    pact = write_pact(
        tmp_path / "pact.json",
        [
            {
                "description": "a node",
                "request": {"method": "GET", "path": "/v1/nodes/5"},
                "response": {"status": 200, "body": body({"id": 5, "name": "a", "children": [{"id": "x"}]})},
            },
            {
                "description": "a node by name",
                "request": {"method": "GET", "path": "/v1/nodes/abc"},
                "response": {"status": 500, "body": body({"error": "x"})},
            },
        ],
    )
    checks = by_interaction(check(SPECS / "nodes-3.0.yaml", pact))
    assert [f.title.split(": ", 1)[1] for f in checks["a node"].findings if f.severity == Severity.ERROR] == [
        "response body $.children[0].id: 'x' is not of type 'integer' (type)"
    ]
    assert "#/components/schemas/Base/properties/id" in checks["a node"].findings[0].detail
    [finding] = checks["a node by name"].findings  # 500 is declared by `default`; its body is free-form
    assert finding.title == "a node by name: path parameter 'id' 'abc': 'abc' is not of type 'integer' (type)"
    assert "GET /nodes/{id} parameters/path/id #/components/parameters/Id/schema" in finding.detail


@pytest.mark.parametrize("rules", [{}, {"$.body.status": {"match": "type"}}])
def test_a_v2_pact_and_its_flat_matching_rules(tmp_path: Path, rules: dict[str, Any]) -> None:
    pact = tmp_path / "v2.json"
    pact.write_text(
        json.dumps(
            {
                "consumer": {"name": "checkout"},
                "provider": {"name": "payments"},
                "interactions": [
                    {
                        "description": "a payment",
                        "providerState": "a payment exists",
                        "request": {"method": "GET", "path": "/payments/pay_1", "query": "expand=all"},
                        "response": {
                            "status": 200,
                            "headers": {"Content-Type": "application/json"},
                            "body": {"id": "pay_1", "status": "refunded"},
                            "matchingRules": rules,
                        },
                    }
                ],
                "metadata": {"pactSpecification": {"version": "2.0.0"}},
            }
        )
    )
    [result] = check(PAYMENTS_SPEC, pact)
    errors = [f.title for f in result.findings if f.severity == Severity.ERROR]
    assert errors == (
        [] if rules else ["a payment: response body $.status: 'refunded' is not 'captured' (const)"]
    )
    assert [f.title for f in result.findings if f.severity == Severity.WARNING] == [
        "a payment: query parameter 'expand' is not declared by the spec"
    ]


@pytest.mark.parametrize(
    ("header_rules", "failed"),
    [
        (None, True),  # exactly "yes": the spec allows only "true"
        ({"Idempotent-Replayed": {"matchers": [{"match": "regex", "regex": "^(yes|true)$"}]}}, False),
    ],
)
def test_a_response_header_is_checked_unless_a_matcher_governs_it(
    tmp_path: Path, header_rules: Any, failed: bool
) -> None:
    response: dict[str, Any] = {"status": 201, "headers": {"Idempotent-Replayed": ["yes"]}}
    if header_rules:
        response["matchingRules"] = {"header": header_rules}
    pact = write_pact(
        tmp_path / "pact.json",
        [
            {
                "description": "a replay",
                "request": {
                    "method": "POST",
                    "path": "/payments",
                    "headers": {"Content-Type": ["application/json"]},
                    "body": body({"order_id": "o-1", "amount": 1, "currency": "EUR"}),
                },
                "response": response,
            }
        ],
    )
    [result] = check(PAYMENTS_SPEC, pact)
    assert (result.status == Status.FAILED) is failed, result.findings
    if failed:
        assert result.findings[0].title == (
            "a replay: response header 'Idempotent-Replayed' 'yes': 'yes' is not one of ['true'] (enum)"
        )


def test_check_spec_fetches_a_url_path_from_an_already_running_base_url_service(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "openapi.json").write_text(SPECS.joinpath("payments-no-404.json").read_text())
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        manifest = gate_manifest(
            tmp_path, openapi="/openapi.json", base_url=f"http://127.0.0.1:{server.server_address[1]}"
        )
        proc = interlock(
            "contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")
        )
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"against http://127.0.0.1:{server.server_address[1]}/openapi.json: 1 do not fit" in proc.stdout
    assert "response status 404 is not declared" in proc.stdout
