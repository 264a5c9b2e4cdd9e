"""A schema seen the way a client sees it: types, nullability, properties, items, value constraints.

OpenAPI spells one idea many ways: ``nullable: true`` (3.0), ``type: [string, "null"]`` (3.1),
``anyOf: [X, {type: null}]`` (what FastAPI writes for ``Optional``), properties spread over
``allOf``, everything behind ``$ref``. Both the risk check and the spec diff compare these
ideas, not the spelling, so :func:`shape_of` folds them into one :class:`Shape`.
Pointers are kept next to every subschema so findings can name the spec location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interlock.openapi.document import SpecDocument, escape

#: Keywords that restrict values without changing the JSON type.
CONSTRAINTS = (
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)
#: Shape.default when the schema has none (None is a real default).
NO_DEFAULT = object()

Located = tuple[Any, str]  # (schema, its JSON pointer)


@dataclass
class Shape:
    pointer: str
    types: set[str] = field(default_factory=set)  # empty: any type
    nullable: bool = False
    properties: dict[str, Located] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Located | None = None
    enum: list[Any] | None = None  # without null
    format: str | None = None
    constraints: dict[str, Any] = field(default_factory=dict)
    additional_properties: bool = True
    variants: list[Located] = field(default_factory=list)  # anyOf/oneOf branches that are not null
    default: Any = NO_DEFAULT

    @property
    def is_object(self) -> bool:
        return "object" in self.types or bool(self.properties)


def shape_of(doc: SpecDocument, schema: Any, pointer: str, _depth: int = 0) -> Shape:
    """The shape of ``schema`` (found at ``pointer``), $refs and compositions folded in."""
    schema, pointer = doc.resolve(schema, pointer)
    shape = Shape(pointer)
    if not isinstance(schema, dict) or _depth > 32:
        return shape
    _own_keywords(shape, schema, pointer, doc)
    for index, member in enumerate(schema.get("allOf") or []):
        _merge(shape, shape_of(doc, member, f"{pointer}/allOf/{index}", _depth + 1))
    for keyword in ("anyOf", "oneOf"):
        branches = [(b, f"{pointer}/{keyword}/{i}") for i, b in enumerate(schema.get(keyword) or [])]
        if not branches:
            continue
        non_null = [(b, p) for b, p in branches if not _is_null_schema(doc.resolve(b, p)[0])]
        if len(non_null) < len(branches):
            shape.nullable = True
        if len(non_null) == 1:
            inner = shape_of(doc, *non_null[0], _depth + 1)
            shape.nullable = shape.nullable or inner.nullable
            _merge(shape, inner)
            if not schema.get("type"):
                shape.types = inner.types
        else:
            shape.variants.extend(non_null)
    return shape


def _own_keywords(shape: Shape, schema: dict[str, Any], pointer: str, doc: SpecDocument) -> None:
    declared = schema.get("type")
    types = (
        set(declared) if isinstance(declared, list) else {declared} if isinstance(declared, str) else set()
    )
    if "null" in types:
        shape.nullable = True
        types.discard("null")
    shape.types = types
    if schema.get("nullable") is True and not doc.is_31:
        shape.nullable = True
    values = schema.get("enum")
    if "const" in schema:
        values = [schema["const"]]
    if isinstance(values, list):
        if None in values:
            shape.nullable = True
        shape.enum = [v for v in values if v is not None]
    if isinstance(schema.get("format"), str):
        shape.format = schema["format"]
    if "default" in schema:
        shape.default = schema["default"]
    shape.constraints = {k: schema[k] for k in CONSTRAINTS if k in schema}
    for name, sub in (schema.get("properties") or {}).items():
        shape.properties[name] = (sub, f"{pointer}/properties/{escape(name)}")
    shape.required = set(schema.get("required") or [])
    if isinstance(schema.get("items"), dict):
        shape.items = (schema["items"], f"{pointer}/items")
    if schema.get("additionalProperties") is False:
        shape.additional_properties = False


def _merge(target: Shape, other: Shape) -> None:
    """allOf: every member applies, so properties and requirements add up and types intersect."""
    if other.types:
        target.types = target.types & other.types if target.types else set(other.types)
    target.properties = {**other.properties, **target.properties}
    target.required |= other.required
    target.items = target.items or other.items
    if other.enum is not None:
        target.enum = other.enum if target.enum is None else [v for v in target.enum if v in other.enum]
    target.format = target.format or other.format
    if target.default is NO_DEFAULT:
        target.default = other.default
    target.constraints = {**other.constraints, **target.constraints}
    target.additional_properties = target.additional_properties and other.additional_properties
    target.variants.extend(other.variants)


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("enum") == [None])


def child(doc: SpecDocument, shape: Shape, key: str | int) -> Shape | None:
    """The shape one step down (a property name or an array index), or None if the schema has none."""
    if isinstance(key, int):
        return shape_of(doc, *shape.items) if shape.items else None
    if key in shape.properties:
        return shape_of(doc, *shape.properties[key])
    for variant in shape.variants:  # a property declared in one of several alternatives
        found = child(doc, shape_of(doc, *variant), key)
        if found is not None:
            return found
    return None


def shape_at(
    doc: SpecDocument, root: Located, path: tuple[str | int, ...]
) -> tuple[Shape | None, Shape | None]:
    """The shapes of the parent and of the node at instance ``path`` (None where the schema stops)."""
    parent: Shape | None = None
    current: Shape | None = shape_of(doc, *root)
    for key in path:
        if current is None:
            return None, None
        parent, current = current, child(doc, current, key)
    return parent, current
