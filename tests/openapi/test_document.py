"""OpenAPI documents: loading, operations, path matching, $refs, pointers and validators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlock.core.errors import ConfigError
from interlock.openapi.document import (
    SpecDocument,
    declared_base_path,
    escape,
    iter_json,
    load_spec,
    parse_spec,
    unescape,
)
from tests.openapi.helpers import PAYMENTS_SPEC, SPECS


def spec(paths: dict[str, Any], **extra: Any) -> SpecDocument:
    return parse_spec(
        json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths, **extra}), "t"
    )


def op(*params: str) -> dict[str, Any]:
    """An operation answering 200, with the path parameters ``params``."""
    return {
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
        ],
        "responses": {"200": {"description": "ok"}},
    }


def test_the_example_spec_lists_its_operations_with_parameters() -> None:
    doc = load_spec(PAYMENTS_SPEC)
    assert (doc.version, doc.is_31, doc.origin, doc.base_path) == ("3.1.0", True, str(PAYMENTS_SPEC), "")
    assert [o.label for o in doc.operations] == [
        "GET /health",
        "POST /payments",
        "GET /payments/{payment_id}",
        "POST /payments/{payment_id}/refunds",
    ]
    create = doc.operation("POST", "/payments")
    assert create is not None and create.pointer == "/paths/~1payments/post"
    found = create.parameter("header", "idempotency-key")  # header names fold case
    assert found is not None and found[0]["name"] == "Idempotency-Key"
    assert found[1] == "/paths/~1payments/post/parameters/0"
    assert create.parameter("query", "idempotency-key") is None
    assert doc.operation("delete", "/payments") is None


def test_a_concrete_path_finds_its_operation_or_the_methods_it_allows() -> None:
    doc = load_spec(PAYMENTS_SPEC)
    found = doc.match_path("GET", "/payments/pay_1?expand=1")
    assert found is not None and found.operation is not None
    assert (found.template, found.params, found.operation.label) == (
        "/payments/{payment_id}",
        {"payment_id": "pay_1"},
        "GET /payments/{payment_id}",
    )
    wrong_method = doc.match_path("DELETE", "/payments/pay_1")
    assert wrong_method is not None and wrong_method.operation is None and wrong_method.allowed == ("GET",)
    assert doc.match_path("GET", "/orders/1") is None
    assert doc.match_path("GET", "/payments/pay_1/refunds/extra") is None


def test_literal_segments_win_over_templates_and_templates_can_share_a_segment() -> None:
    doc = spec(
        {
            "/items/{id}": {"get": op("id")},
            "/items/new": {"get": op()},
            "/files/{name}.{ext}": {"get": op("name", "ext")},
        }
    )
    assert (found := doc.match_path("get", "/items/new")) is not None and found.template == "/items/new"
    assert (found := doc.match_path("get", "/items/7")) is not None and found.params == {"id": "7"}
    assert (found := doc.match_path("get", "/files/report.tar.gz")) is not None
    assert found.params == {"name": "report", "ext": "tar.gz"}


def test_a_server_base_path_and_path_level_ref_parameters() -> None:
    doc = load_spec(SPECS / "nodes-3.0.yaml")
    assert (doc.is_31, doc.base_path) == (False, "/v1")
    found = doc.match_path("GET", "/v1/nodes/5")
    assert found is not None and found.operation is not None and found.params == {"id": "5"}
    (parameter, pointer), *_ = found.operation.parameters
    assert (parameter["name"], parameter["in"], pointer) == ("id", "path", "/components/parameters/Id")


def test_the_base_path_is_the_server_url_path_unless_it_is_templated() -> None:
    assert spec({}, servers=[{"url": "https://{region}.example.com/api/"}]).base_path == "/api"
    assert spec({}, servers=[{"url": "https://example.com/{version}"}]).base_path == ""
    assert spec({}, servers=[{"url": "/api/v2/"}]).base_path == "/api/v2"


def test_declared_base_path_of_openapi_3_and_swagger_2() -> None:
    servers = [{"url": "https://example.com/{version}/", "variables": {"version": {"default": "v2"}}}]
    assert declared_base_path({"openapi": "3.0.3", "servers": servers}) == "/v2"
    assert declared_base_path({"openapi": "3.0.3", "servers": [{"url": "http://127.0.0.1:8000"}]}) == ""
    assert declared_base_path({"openapi": "3.1.0"}) == ""
    assert declared_base_path({"swagger": "2.0", "basePath": "/v1"}) == "/v1"
    assert declared_base_path({"swagger": "2.0", "basePath": "/"}) == ""
    assert declared_base_path(["not", "a", "spec"]) == ""


def test_pointers_refs_and_escaping() -> None:
    doc = load_spec(PAYMENTS_SPEC)
    schema = doc.at("/components/schemas/Payment")
    assert doc.pointer_of(schema) == "/components/schemas/Payment"
    assert doc.pointer_of(dict(schema)) is None  # a copy is not part of the document
    target, pointer = doc.resolve({"$ref": "#/components/schemas/Payment"}, "/somewhere")
    assert (target, pointer) == (schema, "/components/schemas/Payment")
    assert doc.resolve({"type": "string"}, "/x") == ({"type": "string"}, "/x")
    with pytest.raises(ConfigError, match=r"\$ref '#/components/schemas/Nope' at #/x points at nothing"):
        doc.resolve({"$ref": "#/components/schemas/Nope"}, "/x")
    assert escape("/a~b/{c}") == "~1a~0b~1{c}" and unescape("~1a~0b~1{c}") == "/a~b/{c}"


def test_validators_follow_refs_and_the_30_dialect() -> None:
    payments = load_spec(PAYMENTS_SPEC)
    validator = payments.validator("/components/schemas/Payment", response=True)
    good = {
        "id": "p",
        "order_id": "o",
        "amount": 1,
        "currency": "EUR",
        "status": "captured",
        "created_at": "2024-05-01T12:00:00Z",
    }
    assert list(validator.iter_errors(good)) == []
    assert {e.validator for e in validator.iter_errors({**good, "status": "refunded", "amount": "1"})} == {
        "const",
        "type",
    }
    assert payments.validator("/components/schemas/Payment", response=True) is validator  # cached
    nodes = load_spec(SPECS / "nodes-3.0.yaml")
    node = nodes.validator("/components/schemas/Node", response=True)
    assert list(node.iter_errors({"id": 1, "name": None, "children": [{"id": 2}]})) == []  # nullable (3.0)
    assert [e.validator for e in node.iter_errors({"name": "x"})] == ["required"]


def test_iter_json_yields_parents_first() -> None:
    assert list(iter_json({"a": [1, {"b": 2}]})) == [
        ((), {"a": [1, {"b": 2}]}),
        (("a",), [1, {"b": 2}]),
        (("a", 0), 1),
        (("a", 1), {"b": 2}),
        (("a", 1, "b"), 2),
    ]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('{"openapi": "3.1.0",\n "info": }', "not valid JSON", 2),
        ("- a\n- b\n", "the top level must be a mapping", 1),
        ("swagger: '2.0'\ninfo: {}\n", "Swagger 2.0 is not supported", 1),
        ("openapi: 4.0.0\n", r"not an OpenAPI 3.0/3.1 document \(openapi: 4.0.0\)", 1),
        ("info: {}\n", r"\(openapi: missing\)", 1),
        (
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
            "  /x:\n    get:\n      summary: no responses\n",
            r"not a valid OpenAPI 3.0.3 document: .*responses.* \(at paths//x/get\)",
            5,
        ),
    ],
)
def test_bad_documents_are_one_line_config_errors(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_spec(path)
    assert (raised.value.path, raised.value.line) == (path, line)
    assert "\n" not in str(raised.value)


def test_a_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OpenAPI file not found"):
        load_spec(tmp_path / "gone.json")
