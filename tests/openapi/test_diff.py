"""`interlock contracts diff`: spec changes judged against checkout's real pacts."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from interlock.core.verdict import Severity
from interlock.openapi.diff import diff_specs
from interlock.openapi.document import load_spec, parse_spec
from interlock.openapi.impact import JudgedChange, judge
from interlock.pacts.pactfile import load_pact
from tests.helpers import REPO, interlock
from tests.openapi.helpers import PACTS, PAYMENTS_SPEC, SPECS, body, payments_manifest, write_pact
from tests.openapi.test_diff_rules import BASE

CHARGES = [
    "checkout: a repeated request to charge an order",
    "checkout: a request to charge an amount the card issuer declines",
    "checkout: a request to charge an order",
]


def judged(
    head: Path,
    base: Path = PAYMENTS_SPEC,
    pact: Path = PACTS / "checkout-payments.json",
) -> list[JudgedChange]:
    base_doc, head_doc = load_spec(base), load_spec(head)
    return judge(diff_specs(base_doc, head_doc), [(load_pact(pact), pact.name)], base_doc, head_doc)


def summary(changes: list[JudgedChange]) -> list[tuple[str, str, str, list[str]]]:
    return sorted(
        (j.severity.value, j.change.rule, j.change.operation, [str(u) for u in j.uses]) for j in changes
    )


def test_removing_a_field_checkout_reads_is_an_error_naming_its_interactions() -> None:
    assert summary(judged(SPECS / "payments-without-status.json")) == [
        (
            "error",
            "response-property-removed",
            "GET /payments/{payment_id}",
            ["checkout: a request for a payment"],
        ),
        (
            "error",
            "response-property-removed",
            "POST /payments",
            ["checkout: a repeated request to charge an order", "checkout: a request to charge an order"],
        ),
    ]


def test_removing_a_field_no_consumer_reads_is_a_warning() -> None:
    assert summary(judged(SPECS / "payments-without-created-at.json")) == [
        ("warning", "response-property-removed", "GET /payments/{payment_id}", []),
        ("warning", "response-property-removed", "POST /payments", []),
    ]


def test_a_removed_status_a_consumer_expects_is_an_error() -> None:
    assert summary(judged(SPECS / "payments-no-404.json")) == [
        (
            "error",
            "response-status-removed",
            "GET /payments/{payment_id}",
            ["checkout: a request for a payment that does not exist"],
        )
    ]


def test_a_narrowed_request_enum_is_an_error_when_checkout_sends_a_removed_value() -> None:
    [change] = judged(SPECS / "payments-currency-enum.json")
    assert (change.severity, change.change.rule) == (Severity.ERROR, "request-enum-value-removed")
    assert [str(u) for u in change.uses] == CHARGES
    assert change.uses[0].why == "sends $.currency = 'EUR', which the new spec rejects"


def test_a_new_required_request_property_is_an_error_for_every_request_without_it() -> None:
    [change] = judged(SPECS / "payments-new-required-property.json")
    assert (change.severity, change.change.rule) == (Severity.ERROR, "new-required-request-property")
    assert [str(u) for u in change.uses] == CHARGES
    assert change.uses[0].why == "sends a request body without 'customer_id'"
    assert change.change.pointer == "#/components/schemas/PaymentCreate/properties/customer_id"


def test_a_moved_path_is_an_error_for_the_interactions_that_call_it() -> None:
    errors = [j for j in judged(SPECS / "payments-path-renamed.json") if j.severity == Severity.ERROR]
    assert [(j.change.rule, [str(u) for u in j.uses]) for j in errors] == [
        (
            "api-removed",
            ["checkout: a request for a payment", "checkout: a request for a payment that does not exist"],
        )
    ]


# -- consumer-aware judgement on a small real pact ---------------------------------------------------

ITEMS_PACT = [
    {
        "description": "an item",
        "request": {"method": "GET", "path": "/items/i-1"},
        "response": {
            "status": 200,
            "headers": {"Content-Type": ["application/json"]},
            "body": body({"id": "i-1", "kind": "a"}),
            "matchingRules": {"body": {"$.id": {"matchers": [{"match": "type"}]}}},
        },
    },
    {
        "description": "a new item",
        "request": {
            "method": "POST",
            "path": "/items",
            "headers": {"Content-Type": ["application/json"]},
            "body": body({"name": "x" * 30}),
        },
        "response": {"status": 201},
    },
]


def _items_spec(**changes: Any) -> dict[str, Any]:
    """The rule tests' small spec, with ``a__b__c=value`` set."""
    spec = copy.deepcopy(BASE)
    for pointer, value in changes.items():
        *parents, last = pointer.split("__")
        node = spec
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return spec


@pytest.mark.parametrize(
    ("changes", "rule", "severity"),
    [
        (
            {"components__schemas__Item__properties__kind__enum": ["a"]},
            "response-enum-value-removed",
            "warning",
        ),
        (
            {"components__schemas__Item__properties__kind__enum": ["b"]},
            "response-enum-value-removed",
            "error",
        ),
        (
            {"components__schemas__ItemCreate__properties__name__maxLength": 40},
            "request-constraint-tightened",
            "warning",
        ),
        (
            {"components__schemas__ItemCreate__properties__name__maxLength": 10},
            "request-constraint-tightened",
            "error",
        ),
        (
            {"components__schemas__ItemCreate__required": ["name", "kind"]},
            "request-property-became-required",
            "error",
        ),
        (
            {"components__schemas__Item__properties__price__type": "number"},
            "response-type-changed",
            "warning",
        ),
        # "an item" does not send ?limit, so it gets the new default: potentially breaking, and used
        (
            {"paths__/items/{id}__get__parameters__1__schema__default": 20},
            "request-default-value-changed",
            "warning",
        ),
        (
            {"components__schemas__ItemCreate__properties__name__default": "x"},
            "request-default-value-changed",
            "info",
        ),
    ],
)
def test_the_recorded_interactions_decide_error_or_warning(
    tmp_path: Path, changes: dict[str, Any], rule: str, severity: str
) -> None:
    pact = write_pact(tmp_path / "pact.json", ITEMS_PACT)
    base_doc = parse_spec(json.dumps(_items_spec()), "base")
    head_doc = parse_spec(json.dumps(_items_spec(**changes)), "head")
    found = {
        (j.change.rule, j.severity.value)
        for j in judge(diff_specs(base_doc, head_doc), [(load_pact(pact), "pact.json")], base_doc, head_doc)
    }
    assert (rule, severity) in found, found


@pytest.mark.parametrize(
    ("headers", "severity"), [({}, "error"), ({"Authorization": ["Bearer t"]}, "warning")]
)
def test_security_added_breaks_consumers_that_send_no_credentials(
    tmp_path: Path, headers: dict[str, Any], severity: str
) -> None:
    interactions = json.loads(json.dumps(ITEMS_PACT))
    interactions[0]["request"]["headers"] = headers
    pact = write_pact(tmp_path / "pact.json", interactions)
    head = _items_spec()
    head["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    head["paths"]["/items/{id}"]["get"]["security"] = [{"bearer": []}]
    base_doc, head_doc = parse_spec(json.dumps(_items_spec()), "b"), parse_spec(json.dumps(head), "h")
    [change] = judge(diff_specs(base_doc, head_doc), [(load_pact(pact), "p")], base_doc, head_doc)
    assert (change.change.rule, change.severity.value) == ("api-security-added", severity)


# -- the command line ------------------------------------------------------------------------------


def diff_example(tmp_path: Path, head: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``interlock contracts diff`` of the example payments spec against a fixture, as CI runs it."""
    manifest = str(payments_manifest(tmp_path))
    head_spec = str(SPECS / head)
    return interlock(
        "contracts", "diff", "--manifest", manifest, "--base", str(PAYMENTS_SPEC), "--head", head_spec,
        "--plain", *args, **kwargs,
    )  # fmt: skip


def test_diff_exits_1_naming_checkout_when_a_field_it_reads_is_removed(tmp_path: Path) -> None:
    step_summary = tmp_path / "step-summary.md"
    proc = diff_example(
        tmp_path,
        "payments-without-status.json",
        "--report-dir",
        str(tmp_path / "out"),
        env={"GITHUB_STEP_SUMMARY": str(step_summary)},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "response-property-removed" in proc.stdout
    assert "checkout: a request for a payment (reads $.status)" in proc.stdout
    data = json.loads((tmp_path / "out" / "spec-diff.json").read_text())
    assert data["counts"] == {"error": 2, "warning": 0, "info": 0}
    assert data["changes"][0]["consumers"][0]["consumer"] == "checkout"
    assert "| error | `response-property-removed`" in (tmp_path / "out" / "spec-diff.md").read_text()
    assert step_summary.read_text() == (tmp_path / "out" / "spec-diff.md").read_text()


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1)])
def test_diff_of_a_field_nobody_reads_is_a_warning(tmp_path: Path, fail_on: str, code: int) -> None:
    proc = diff_example(tmp_path, "payments-without-created-at.json", "--fail-on", fail_on)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "0 breaking a consumer (error), 2 warning(s)" in proc.stdout


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=30,
    )


def test_diff_against_a_git_ref_reads_the_spec_file_at_that_ref(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    (repo / "pacts").mkdir()
    shutil.copy(PAYMENTS_SPEC, repo / "specs" / "payments.json")
    shutil.copy(PACTS / "checkout-payments.json", repo / "pacts" / "checkout-payments.json")
    payments_manifest(repo, "specs/payments.json", Path("pacts/checkout-payments.json"))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "v1")
    shutil.copy(
        SPECS / "payments-without-status.json", repo / "specs" / "payments.json"
    )  # the working tree moves on

    proc = interlock("contracts", "diff", "--base", "HEAD", "--plain", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "HEAD:specs/payments.json -> specs/payments.json" in proc.stdout
    assert "checkout: a request to charge an order (reads $.status)" in proc.stdout

    explicit = interlock("contracts", "diff", "--base", "HEAD:specs/payments.json", "--plain", cwd=repo)
    assert explicit.returncode == 1, explicit.stdout + explicit.stderr
    assert "HEAD:specs/payments.json -> specs/payments.json" in explicit.stdout

    unknown = interlock("contracts", "diff", "--base", "no-such-ref", cwd=repo)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith(
        "interlock: --base no-such-ref: cannot read specs/payments.json at that ref"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "HEAD", "--provider", "nope"], "--provider nope: no service of that name"),
        (
            ["--base", "{tmp}/not-a-spec.yaml"],
            "not-a-spec.yaml:1: not an OpenAPI 3.0/3.1 document (openapi: missing)",
        ),
        (
            ["--base", str(PAYMENTS_SPEC), "--head", "{tmp}/not-a-spec.yaml"],
            "not an OpenAPI 3.0/3.1 document",
        ),
    ],
)
def test_diff_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "not-a-spec.yaml").write_text("title: a shopping list\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = interlock("contracts", "diff", "--manifest", str(payments_manifest(tmp_path)), *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and proc.stderr.count("\n") == 1


def test_diff_needs_to_know_which_provider_when_several_have_specs() -> None:
    proc = interlock("contracts", "diff", "--base", "HEAD", cwd=REPO)
    assert proc.returncode == 2
    assert "give --provider NAME (providers with a spec file: inventory, payments)" in proc.stderr
