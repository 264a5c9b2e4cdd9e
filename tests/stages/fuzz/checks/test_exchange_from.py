"""What the engine gives a check about the spec, through real schemathesis objects."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import schemathesis

from interlock.stages.fuzz import engine
from interlock.stages.fuzz.checks.exchange import spec_text
from interlock.stages.fuzz.checks.schema_paths import declares

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "admin", "version": "1", "description": "Example: postgres://user:pass@db/shop"},
    "paths": {
        "/info": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Info"}}},
                    },
                    "404": {"description": "no schema"},
                }
            }
        }
    },
    "components": {
        "schemas": {
            "Info": {
                "type": "object",
                "properties": {"python": {"$ref": "#/components/schemas/Python"}},
            },
            "Python": {"type": "object", "properties": {"sys_executable": {"type": "string"}}},
        }
    },
}


def test_the_response_schema_for_the_status_with_its_references() -> None:
    schema = schemathesis.openapi.from_dict(SPEC)
    case = SimpleNamespace(operation=schema["/info"]["GET"])
    found = engine._response_schema(case, 200, "application/json; charset=utf-8")
    assert declares(found, ("python", "sys_executable"))
    assert not declares(found, ("python", "debug"))
    assert engine._response_schema(case, 404, "text/html") is None
    assert engine._response_schema(case, 500, None) is None


def test_the_spec_text_holds_its_descriptions_and_examples() -> None:
    assert "postgres://user:pass@db/shop" in spec_text(SPEC)
