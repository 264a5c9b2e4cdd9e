"""Pact files V2-V4 read into the same model; anything unusable is a ConfigError naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlock.core.errors import ConfigError
from interlock.pacts.pactfile import PactRequest, ProviderState, load_pact
from tests.helpers import REPO

PACTS = REPO / "contracts" / "pacts"


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "pact.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def v2_pact(**interaction: Any) -> dict[str, Any]:
    return {
        "consumer": {"name": "web"},
        "provider": {"name": "items"},
        "interactions": [
            {
                "description": "a request for items",
                "providerState": "items exist",
                "request": {"method": "get", "path": "/items", "query": "page=2&sort=name&flag"},
                "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": [1]},
                **interaction,
            }
        ],
        "metadata": {"pactSpecification": {"version": "2.0.0"}},
    }


def test_the_v4_example_pact() -> None:
    pact = load_pact(PACTS / "checkout-payments.json")
    assert (pact.consumer, pact.provider, pact.specification) == ("checkout", "payments", "4.0")
    assert len(pact.interactions) == 5
    charge = next(i for i in pact.interactions if i.description == "a request to charge an order")
    assert charge.states == (ProviderState("no payments exist"),)
    assert charge.kind == "Synchronous/HTTP" and not charge.pending
    request = charge.request
    assert request is not None
    assert (request.method, request.path, request.content_type) == ("POST", "/payments", "application/json")
    assert request.body == {
        "amount": 3998,
        "currency": "EUR",
        "order_id": "6f1c1a52-2b1e-4f7b-9a55-0d8d3a1f6c11",
    }
    assert request.headers["Idempotency-Key"] == ["6f1c1a52-2b1e-4f7b-9a55-0d8d3a1f6c11:payment"]
    assert request.matching_rules["header"]["Idempotency-Key"]["matchers"][0]["match"] == "regex"
    response = charge.response
    assert response is not None
    assert (response.status, response.has_body, response.body["status"]) == (201, True, "captured")
    assert response.matching_rules["body"]["$.amount"]["matchers"] == [{"match": "integer"}]


def test_provider_state_params_are_kept_and_printed_sorted() -> None:
    pact = load_pact(PACTS / "checkout-inventory.json")
    reserve = next(i for i in pact.interactions if i.description == "a request to reserve stock")
    assert reserve.states == (ProviderState("a SKU has stock", {"available": 10, "sku": "SKU-1"}),)
    assert str(reserve.states[0]) == 'a SKU has stock {"available": 10, "sku": "SKU-1"}'
    assert str(ProviderState("no payments exist")) == "no payments exist"


def test_a_message_pact_has_interactions_without_request_or_response() -> None:
    pact = load_pact(PACTS / "checkout-payments-messages.json")
    (event,) = pact.interactions
    assert (event.description, event.kind) == ("a payment.captured event", "Asynchronous/Messages")
    assert event.request is None and event.response is None


def test_v2_query_strings_headers_state_and_matching_rules_are_converted(tmp_path: Path) -> None:
    rules = {
        "$.body[*].id": {"match": "type"},
        "$.headers.Content-Type": {"match": "regex", "regex": "json"},
        "$.query.page": {"match": "type"},
    }
    response = {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": [1],
        "matchingRules": rules,
    }
    pact = load_pact(write(tmp_path, v2_pact(response=response)))
    (interaction,) = pact.interactions
    assert pact.specification == "2.0.0"
    assert interaction.states == (ProviderState("items exist"),)
    assert interaction.request == PactRequest(
        "GET", "/items", {"page": ["2"], "sort": ["name"], "flag": [""]}
    )
    assert interaction.response is not None
    assert interaction.response.headers == {"Content-Type": ["application/json"]}
    assert interaction.response.matching_rules == {
        "body": {"$[*].id": {"matchers": [{"match": "type"}]}},
        "header": {"Content-Type": {"matchers": [{"match": "regex", "regex": "json"}]}},
    }


def test_a_response_without_body_says_so_and_defaults_apply(tmp_path: Path) -> None:
    pact = load_pact(
        write(tmp_path, v2_pact(request={"path": "/x", "query": {"a": "1"}}, response={"status": 204}))
    )
    (interaction,) = pact.interactions
    assert interaction.request is not None
    assert (interaction.request.method, interaction.request.query) == ("GET", {"a": ["1"]})
    assert interaction.response is not None
    assert (interaction.response.status, interaction.response.has_body) == (204, False)


@pytest.mark.parametrize("metadata", [None, {}, {"pactSpecification": {}}, {"pact-rust": {"version": "1"}}])
def test_a_pact_without_a_specification_version_is_read_as_v3_like_the_pact_core(
    tmp_path: Path, metadata: Any
) -> None:
    data = v2_pact()
    if metadata is None:
        del data["metadata"]
    else:
        data["metadata"] = metadata
    assert load_pact(write(tmp_path, data)).specification == "3.0.0"


@pytest.mark.parametrize(
    "metadata",
    [
        {"pactSpecification": {"version": "1.1.0"}},
        {"pactSpecification": {"version": "2"}},
        {"pact-specification": {"version": "3.0.0"}},
        {"pactSpecification": {"version": "4.0"}},
        {"pactSpecificationVersion": "2.0.0"},
    ],
)
def test_every_specification_the_pact_core_reads_is_accepted(tmp_path: Path, metadata: Any) -> None:
    data = {**v2_pact(), "metadata": metadata}
    assert load_pact(write(tmp_path, data)).specification[0] in "1234"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"pactSpecification": {"version": "9.9.9"}}, "unsupported Pact specification version '9.9.9'"),
        ({"pactSpecification": {"version": "5.0.0"}}, "unsupported Pact specification version '5.0.0'"),
        ({"pactSpecification": {"version": "latest"}}, "unsupported Pact specification version 'latest'"),
        ({"pactSpecification": {"version": 3}}, "'metadata.pactSpecification.version' must be a string"),
        ({"pactSpecification": "3.0.0"}, "'metadata.pactSpecification' must be an object, got a string"),
        ([], "'metadata' must be an object, got an array"),
    ],
)
def test_a_specification_the_pact_core_does_not_read_is_bad_input(
    tmp_path: Path, metadata: Any, message: str
) -> None:
    path = write(tmp_path, {**v2_pact(), "metadata": metadata})
    with pytest.raises(ConfigError) as raised:
        load_pact(path)
    assert str(raised.value).startswith(f"{path}: not a usable pact: {message}")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"method": 42, "path": None}, "request.method must be an HTTP method name, got 42"),
        ({"method": "GET", "path": None}, "request.path must be a string, got null"),
        ({"method": "GET /x", "path": "/x"}, "request.method must be an HTTP method name, got 'GET /x'"),
        ({"path": ["/x"]}, "request.path must be a string, got an array"),
        ({"path": "/x", "headers": ["a"]}, "request.headers must be an object, got an array"),
        (
            {"path": "/x", "headers": {"A": {"b": 1}}},
            "request.headers.A must be a string or a list of strings",
        ),
        ({"path": "/x", "query": 5}, "request.query must be an object, got a number"),
        ({"path": "/x", "query": {"q": [True]}}, "request.query.q must be a string or a list of strings"),
        ("GET /x", "'request' must be an object"),
        (
            {"path": "/x", "body": {"content": {}, "contentType": 1.5}},
            "request.body.contentType must be a string, got a number",
        ),
    ],
)
def test_request_fields_of_the_wrong_type_name_the_file_and_interaction(
    tmp_path: Path, request_: Any, message: str
) -> None:
    path = write(tmp_path, v2_pact(request=request_))
    with pytest.raises(ConfigError) as raised:
        load_pact(path)
    expected = f"{path}: not a usable pact: interaction 'a request for items': {message}"
    assert str(raised.value).startswith(expected)


def test_a_v4_query_parameter_without_a_value_is_fine(tmp_path: Path) -> None:
    pact = load_pact(
        write(tmp_path, v2_pact(request={"path": "/x", "query": {"flag": [None], "a": ["1", "2"]}}))
    )
    assert pact.interactions[0].request is not None
    assert pact.interactions[0].request.query == {"flag": [""], "a": ["1", "2"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "not valid JSON"),
        ([], "the top level must be a JSON object"),
        ({"provider": {"name": "p"}, "interactions": []}, "'consumer.name' is missing"),
        (
            {"consumer": {"name": "c"}, "provider": {"name": ""}, "interactions": []},
            "'provider.name' is missing",
        ),
        ({"consumer": {"name": "c"}, "provider": {"name": "p"}}, "'interactions' must be a list"),
        ({**v2_pact(), "interactions": [{"request": {}}]}, "interaction 0 has no 'description'"),
        ({**v2_pact(), "interactions": [{"description": "d"}]}, "interaction 'd' has no request"),
        (v2_pact(providerStates=[{"params": {}}]), "has a provider state without a name"),
        (v2_pact(response={"status": "200"}), "response status that is not a number: '200'"),
    ],
)
def test_unusable_pacts_are_config_errors(tmp_path: Path, data: Any, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=message) as raised:
        load_pact(path)
    assert raised.value.path == path


def test_a_missing_pact_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pact file not found"):
        load_pact(tmp_path / "gone.json")
