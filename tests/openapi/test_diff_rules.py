"""One unit test per spec-diff rule: a small real spec, one change, the rule and level it must give."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from interlock.openapi.diff import Level, diff_specs
from interlock.openapi.document import load_spec, parse_spec
from tests.openapi.helpers import SPECS

Spec = dict[str, Any]

BASE: Spec = {
    "openapi": "3.1.0",
    "info": {"title": "items", "version": "1"},
    "paths": {
        "/items/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"X-Rate": {"required": True, "schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                    },
                    "404": {"description": "not found"},
                },
            }
        },
        "/items": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemCreate"}}},
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "name", "kind", "tags"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "name": {"type": "string", "maxLength": 20},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "price": {"type": "integer"},
                    "ref": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                },
            },
            "ItemCreate": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 50},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "note": {"type": ["string", "null"]},
                    "tag": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]},
                },
            },
        }
    },
}


def _item(spec: Spec) -> dict[str, Any]:
    return spec["components"]["schemas"]["Item"]


def _create(spec: Spec) -> dict[str, Any]:
    return spec["components"]["schemas"]["ItemCreate"]


def _get(spec: Spec) -> dict[str, Any]:
    return spec["paths"]["/items/{id}"]["get"]


def _post(spec: Spec) -> dict[str, Any]:
    return spec["paths"]["/items"]["post"]


def _rename_name_to_title(spec: Spec) -> None:
    _item(spec)["properties"]["title"] = _item(spec)["properties"].pop("name")
    _item(spec)["required"][1] = "title"


RULES: list[tuple[str, Level, Callable[[Spec], None]]] = [
    ("api-removed", Level.BREAKING, lambda s: s["paths"].pop("/items/{id}")),
    (
        "api-added",
        Level.NON_BREAKING,
        lambda s: s["paths"].__setitem__("/other", {"get": {"responses": {"200": {"description": "ok"}}}}),
    ),
    ("api-deprecated", Level.NON_BREAKING, lambda s: _get(s).__setitem__("deprecated", True)),
    (
        "api-security-added",
        Level.BREAKING,
        lambda s: (
            s.setdefault("components", {})
            .setdefault("securitySchemes", {})
            .__setitem__("bearer", {"type": "http", "scheme": "bearer"}),
            _get(s).__setitem__("security", [{"bearer": []}]),
        ),
    ),
    ("response-status-removed", Level.BREAKING, lambda s: _get(s)["responses"].pop("404")),
    (
        "response-status-added",
        Level.NON_BREAKING,
        lambda s: _get(s)["responses"].__setitem__("410", {"description": "gone"}),
    ),
    ("response-property-removed", Level.BREAKING, lambda s: _item(s)["properties"].pop("price")),
    ("response-property-renamed", Level.BREAKING, _rename_name_to_title),
    (
        "response-property-added",
        Level.NON_BREAKING,
        lambda s: _item(s)["properties"].__setitem__("colour", {"type": "string"}),
    ),
    ("response-property-became-optional", Level.BREAKING, lambda s: _item(s)["required"].remove("kind")),
    (
        "response-property-became-nullable",
        Level.BREAKING,
        lambda s: _item(s)["properties"]["id"].__setitem__("type", ["string", "null"]),
    ),
    (
        "response-type-changed",
        Level.BREAKING,
        lambda s: _item(s)["properties"]["price"].__setitem__("type", "number"),
    ),
    ("response-format-changed", Level.BREAKING, lambda s: _item(s)["properties"]["id"].pop("format")),
    (
        "response-enum-value-added",
        Level.BREAKING,
        lambda s: _item(s)["properties"]["kind"]["enum"].append("c"),
    ),
    (
        "response-enum-value-removed",
        Level.BREAKING,
        lambda s: _item(s)["properties"]["kind"]["enum"].remove("b"),
    ),
    (
        "response-constraint-loosened",
        Level.POTENTIAL,
        lambda s: _item(s)["properties"]["name"].__setitem__("maxLength", 200),
    ),
    ("response-header-removed", Level.BREAKING, lambda s: _get(s)["responses"]["200"].pop("headers")),
    (
        "response-header-became-optional",
        Level.BREAKING,
        lambda s: _get(s)["responses"]["200"]["headers"]["X-Rate"].__setitem__("required", False),
    ),
    (
        "response-media-type-removed",
        Level.BREAKING,
        lambda s: _get(s)["responses"]["200"].__setitem__(
            "content", {"application/xml": {"schema": {"type": "string"}}}
        ),
    ),
    (
        "new-required-request-property",
        Level.BREAKING,
        lambda s: (
            _create(s)["properties"].__setitem__("owner", {"type": "string"}),
            _create(s)["required"].append("owner"),
        ),
    ),
    (
        "new-optional-request-property",
        Level.NON_BREAKING,
        lambda s: _create(s)["properties"].__setitem__("colour", {"type": "string"}),
    ),
    ("request-property-became-required", Level.BREAKING, lambda s: _create(s)["required"].append("kind")),
    ("request-property-removed", Level.POTENTIAL, lambda s: _create(s)["properties"].pop("note")),
    (
        "request-type-changed",
        Level.BREAKING,
        lambda s: _create(s)["properties"]["name"].__setitem__("type", "integer"),
    ),
    (
        "request-format-changed",
        Level.BREAKING,
        lambda s: _create(s)["properties"]["name"].__setitem__("format", "email"),
    ),
    (
        "request-became-not-nullable",
        Level.BREAKING,
        lambda s: _create(s)["properties"]["note"].__setitem__("type", "string"),
    ),
    (
        "request-enum-value-removed",
        Level.BREAKING,
        lambda s: _create(s)["properties"]["kind"]["enum"].remove("b"),
    ),
    (
        "request-constraint-tightened",
        Level.BREAKING,
        lambda s: _create(s)["properties"]["name"].__setitem__("maxLength", 10),
    ),
    (
        "request-additional-properties-forbidden",
        Level.BREAKING,
        lambda s: _create(s).__setitem__("additionalProperties", False),
    ),
    (
        "request-body-media-type-removed",
        Level.BREAKING,
        lambda s: _post(s)["requestBody"].__setitem__(
            "content", {"application/xml": {"schema": {"type": "string"}}}
        ),
    ),
    (
        "new-required-request-parameter",
        Level.BREAKING,
        lambda s: _get(s)["parameters"].append(
            {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}}
        ),
    ),
    (
        "new-optional-request-parameter",
        Level.NON_BREAKING,
        lambda s: _get(s)["parameters"].append({"name": "sort", "in": "query", "schema": {"type": "string"}}),
    ),
    (
        "request-parameter-became-required",
        Level.BREAKING,
        lambda s: _get(s)["parameters"][1].__setitem__("required", True),
    ),
    ("request-parameter-removed", Level.POTENTIAL, lambda s: _get(s)["parameters"].pop(1)),
    (
        "request-default-value-changed",
        Level.POTENTIAL,
        lambda s: _get(s)["parameters"][1]["schema"].__setitem__("default", 20),
    ),
    (
        "request-variant-removed",
        Level.BREAKING,
        lambda s: _create(s)["properties"].__setitem__(
            "tag", {"anyOf": [{"type": "string"}, {"type": "integer"}]}
        ),
    ),
    (
        "response-variant-added",
        Level.POTENTIAL,
        lambda s: _item(s)["properties"].__setitem__(
            "ref", {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}
        ),
    ),
]


def _diff(
    change: Callable[[Spec], None], base_change: Callable[[Spec], None] | None = None
) -> list[tuple[str, Level]]:
    base, head = copy.deepcopy(BASE), copy.deepcopy(BASE)
    if base_change:
        base_change(base)
    change(head)
    changes = diff_specs(parse_spec(json.dumps(base), "base"), parse_spec(json.dumps(head), "head"))
    return [(c.rule, c.level) for c in changes]


@pytest.mark.parametrize(("rule", "level", "change"), RULES, ids=[r[0] for r in RULES])
def test_rule(rule: str, level: Level, change: Callable[[Spec], None]) -> None:
    found = _diff(change)
    assert (rule, level) in found, found
    assert {r for r, _ in found} <= {rule, "response-property-added", "api-added"} or rule in (
        "response-property-renamed",
        "response-media-type-removed",
        "request-body-media-type-removed",
    ), found


def test_response_items_and_request_constraints_reach_into_arrays_and_parameters() -> None:
    def items_to_integers(spec: Spec) -> None:
        _item(spec)["properties"]["tags"]["items"]["type"] = "integer"

    def limit_tighter(spec: Spec) -> None:
        _get(spec)["parameters"][1]["schema"]["maximum"] = 10

    assert _diff(items_to_integers) == [("response-type-changed", Level.BREAKING)] * 2  # GET and POST
    assert _diff(limit_tighter) == [("request-constraint-tightened", Level.BREAKING)]


def test_request_body_becoming_required() -> None:
    assert _diff(lambda s: None, lambda s: _post(s)["requestBody"].__setitem__("required", False)) == [
        ("request-body-became-required", Level.BREAKING)
    ]


def test_changes_that_break_nobody_are_not_reported_as_breaking() -> None:
    def widen_request(spec: Spec) -> None:
        _create(spec)["properties"]["name"]["maxLength"] = 500  # accepts more
        _create(spec)["properties"]["kind"]["enum"].append("c")  # accepts more
        _item(spec)["properties"]["price"]["type"] = "integer"  # unchanged

    def narrow_response(spec: Spec) -> None:
        _item(spec)["properties"]["name"]["maxLength"] = 10  # promises more
        _item(spec)["required"].append("price")  # promises more

    def rename_path_parameter(spec: Spec) -> None:
        spec["paths"]["/items/{item_id}"] = spec["paths"].pop("/items/{id}")
        spec["paths"]["/items/{item_id}"]["get"]["parameters"][0]["name"] = "item_id"

    assert _diff(lambda s: None) == []
    assert _diff(widen_request) == []
    assert _diff(narrow_response) == []
    assert _diff(rename_path_parameter) == []


def test_openapi_30_nullable_is_understood() -> None:
    base = copy.deepcopy(BASE)
    base["openapi"] = "3.0.3"
    base["components"]["schemas"]["ItemCreate"]["properties"]["note"] = {"type": "string", "nullable": True}
    head = copy.deepcopy(base)
    _item(head)["properties"]["price"]["nullable"] = True
    head["components"]["schemas"]["ItemCreate"]["properties"]["note"] = {"type": "string"}
    rules = {c.rule for c in diff_specs(parse_spec(json.dumps(base), "b"), parse_spec(json.dumps(head), "h"))}
    assert rules == {"response-property-became-nullable", "request-became-not-nullable"}


def test_a_recursive_schema_is_compared_once(tmp_path: Path) -> None:
    base_text = (SPECS / "nodes-3.0.yaml").read_text()
    head = tmp_path / "nodes.yaml"
    head.write_text(
        base_text.replace(
            "name: {type: string, nullable: true}",
            "name: {type: string, nullable: true}\n            extra: {type: string}",
        )
    )
    changes = diff_specs(load_spec(SPECS / "nodes-3.0.yaml"), load_spec(head))
    assert [(c.rule, c.message) for c in changes] == [
        ("response-property-added", "response 200 body $.extra was added")
    ]
