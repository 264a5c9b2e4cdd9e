"""One Shape for the many spellings of an idea: nullability, allOf, anyOf/oneOf, $ref."""

from __future__ import annotations

import json
from typing import Any

from interlock.openapi.document import SpecDocument, load_spec, parse_spec
from interlock.openapi.shapes import NO_DEFAULT, child, shape_at, shape_of
from tests.openapi.helpers import PAYMENTS_SPEC, SPECS

SCHEMAS: dict[str, Any] = {
    "Money": {
        "type": "object",
        "required": ["amount"],
        "properties": {"amount": {"type": "integer", "minimum": 1, "maximum": 10, "title": "ignored"}},
        "additionalProperties": False,
    },
    "Order": {
        "allOf": [
            {"$ref": "#/components/schemas/Money"},
            {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "note": {
                        "anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}],
                        "default": None,
                    },
                    "state": {"type": ["string", "null"], "enum": ["new", "paid", None]},
                    "kind": {"const": "order"},
                    "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                    "payer": {
                        "oneOf": [
                            {"type": "object", "properties": {"card": {"type": "string"}}},
                            {"type": "object", "properties": {"iban": {"type": "string"}}},
                        ]
                    },
                },
            },
        ]
    },
    "Line": {"type": "object", "properties": {"sku": {"type": "string", "pattern": "^S"}}},
}


def doc31() -> SpecDocument:
    return parse_spec(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "t", "version": "1"},
                "paths": {},
                "components": {"schemas": SCHEMAS},
            }
        ),
        "t",
    )


def order(doc: SpecDocument) -> Any:
    return doc.resolve({"$ref": "#/components/schemas/Order"}, "/x")


def test_all_of_adds_up_properties_and_requirements_and_keeps_pointers() -> None:
    doc = doc31()
    shape = shape_of(doc, *order(doc))
    assert shape.pointer == "/components/schemas/Order"
    assert shape.types == {"object"} and shape.is_object
    assert shape.required == {"amount", "id"}
    assert set(shape.properties) == {"amount", "id", "note", "state", "kind", "lines", "payer"}
    assert shape.properties["amount"][1] == "/components/schemas/Money/properties/amount"
    assert shape.properties["id"][1] == "/components/schemas/Order/allOf/1/properties/id"
    assert shape.additional_properties is False  # one member forbids them, so the whole does


def test_keywords_of_a_property() -> None:
    doc = doc31()
    root = shape_of(doc, *order(doc))
    amount = child(doc, root, "amount")
    assert amount is not None
    assert (amount.types, amount.constraints, amount.nullable) == (
        {"integer"},
        {"minimum": 1, "maximum": 10},
        False,
    )
    assert amount.default is NO_DEFAULT
    identifier = child(doc, root, "id")
    assert identifier is not None and identifier.format == "uuid"


def test_the_three_spellings_of_nullable() -> None:
    doc = doc31()
    root = shape_of(doc, *order(doc))
    note = child(doc, root, "note")  # anyOf [X, null], as FastAPI writes Optional
    assert note is not None
    assert (note.nullable, note.types, note.constraints, note.default) == (
        True,
        {"string"},
        {"maxLength": 5},
        None,
    )
    state = child(doc, root, "state")  # type: [string, "null"] and null in the enum
    assert state is not None and (state.nullable, state.types, state.enum) == (
        True,
        {"string"},
        ["new", "paid"],
    )
    nodes = load_spec(SPECS / "nodes-3.0.yaml")  # nullable: true (3.0 only)
    _, name = shape_at(nodes, (nodes.at("/components/schemas/Node"), "/components/schemas/Node"), ("name",))
    assert name is not None and name.nullable and name.types == {"string"}


def test_const_is_a_one_value_enum() -> None:
    doc = doc31()
    kind = child(doc, shape_of(doc, *order(doc)), "kind")
    assert kind is not None and kind.enum == ["order"] and kind.types == set()


def test_variants_arrays_and_paths() -> None:
    doc = doc31()
    root = shape_of(doc, *order(doc))
    payer = child(doc, root, "payer")
    assert payer is not None and len(payer.variants) == 2 and not payer.nullable
    iban = child(doc, payer, "iban")  # declared in one of the alternatives
    assert (
        iban is not None
        and iban.pointer == "/components/schemas/Order/allOf/1/properties/payer/oneOf/1/properties/iban"
    )
    assert child(doc, payer, "cvv") is None
    parent, sku = shape_at(doc, order(doc), ("lines", 3, "sku"))
    assert parent is not None and parent.pointer == "/components/schemas/Line"
    assert sku is not None and sku.constraints == {"pattern": "^S"}
    assert shape_at(doc, order(doc), ("id", "deeper", "still")) == (None, None)
    assert child(doc, root, 0) is None  # an object has no items


def test_recursive_schemas_terminate() -> None:
    nodes = load_spec(SPECS / "nodes-3.0.yaml")
    root = (nodes.at("/components/schemas/Node"), "/components/schemas/Node")
    path: tuple[str | int, ...] = ("children", 0) * 20 + ("id",)
    _, leaf = shape_at(nodes, root, path)
    assert leaf is not None and leaf.types == {"integer"}


def test_the_example_payment_schema() -> None:
    doc = load_spec(PAYMENTS_SPEC)
    payment = shape_of(doc, {"$ref": "#/components/schemas/Payment"}, "/r")
    assert payment.required == {"id", "order_id", "amount", "currency", "status", "created_at"}
    status = child(doc, payment, "status")
    assert status is not None and status.enum == ["captured"]
    created = child(doc, payment, "created_at")
    assert created is not None and created.format == "date-time"
