"""Which JSON members a response schema declares."""

from __future__ import annotations

import pytest

from interlock.stages.fuzz.checks.schema_paths import declares

SCHEMA = {
    "$ref": "#/x-bundled/Root",
    "x-bundled": {
        "Root": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/x-bundled/Item"}},
                "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
                "env": {"type": "object", "additionalProperties": {"type": "string"}},
                "anything": {"type": "object", "additionalProperties": True},
                "free": {},
                "node": {"$ref": "#/x-bundled/Node"},
            },
            "patternProperties": {"^x-": {"type": "string"}},
        },
        "Item": {"oneOf": [{"properties": {"path": {"type": "string"}}}, {"properties": {"size": {}}}]},
        "Node": {
            "type": "object",
            "properties": {"child": {"$ref": "#/x-bundled/Node"}, "name": {"type": "string"}},
        },
    },
}


@pytest.mark.parametrize(
    ("path", "declared"),
    [
        ((), True),
        (("items",), True),
        (("items", 3, "path"), True),
        (("items", 3, "other"), False),
        (("pair", 0), True),
        (("pair", 2), False),
        (("env", "HOME"), True),
        (("anything", "x"), False),
        (("free",), False),
        (("x-debug",), True),
        (("debug",), False),
        (("node", "child", "child", "child", "name"), True),
        (("node", "child", "secret"), False),
    ],
)
def test_declared_members(path: tuple[str | int, ...], declared: bool) -> None:
    assert declares(SCHEMA, path) is declared


def test_no_schema_declares_nothing() -> None:
    assert not declares(None, ("a",))
    assert not declares({"$ref": "#/missing"}, ("a",))
