"""The schema rules of a spec diff: one schema position compared in base and head.

Direction matters: a response may not *widen* what consumers read (a new enum value, a field
that may be missing or null, a looser constraint), a request may not *narrow* what consumers may
send (a new required property, a tighter maxLength, a type or enum that accepts less).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from interlock.openapi.changes import Level, Target
from interlock.openapi.document import SpecDocument
from interlock.openapi.matching import json_path
from interlock.openapi.shapes import NO_DEFAULT, Located, Shape

if TYPE_CHECKING:
    from interlock.openapi.diff import OperationDiff

_TIGHTER_IF_LOWER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_TIGHTER_IF_HIGHER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


class SchemaRules:
    """The rules for one schema position: where it is, and what a consumer does with it."""

    def __init__(
        self,
        op: OperationDiff,
        request: bool,
        where: str,
        name: str | None,
        status: str | None,
        path: tuple[str, ...],
        head_shape: Shape,
    ) -> None:
        self.op, self.request, self.where, self.name, self.status, self.path = (
            op,
            request,
            where,
            name,
            status,
            path,
        )
        self.head_shape = head_shape

    @property
    def label(self) -> str:
        if self.request:
            return (
                f"request {self.where} '{self.name}'"
                if self.where != "body"
                else f"request body {json_path(self.path)}"
            )
        return f"response {self.status} body {json_path(self.path)}"

    def _target(self, needs: str, path: tuple[str, ...] | None = None, **kwargs: Any) -> Target:
        kwargs.setdefault("name", self.name)
        return self.op.target(
            needs, status=self.status, where=self.where, path=self.path if path is None else path, **kwargs
        )

    def violates(self) -> Target:
        return self._target("violates", pointer=self.head_shape.pointer)

    def add(self, rule: str, level: Level, message: str, pointer: str, target: Target) -> None:
        self.op.add(rule, level, message, pointer, target)

    # -- requests: may not narrow what consumers send --------------------------------------------

    def request_rules(self, b: Shape, h: Shape) -> None:
        ptr = h.pointer
        if b.types and h.types and not _covers(h.types, b.types):
            self.add(
                "request-type-changed",
                Level.BREAKING,
                f"{self.label}: type {_t(b)} -> {_t(h)}",
                ptr,
                self.violates(),
            )
        if h.format and h.format != b.format:
            self.add(
                "request-format-changed",
                Level.BREAKING,
                f"{self.label}: format {b.format or 'none'} -> {h.format}",
                ptr,
                self.violates(),
            )
        if b.nullable and not h.nullable:
            self.add(
                "request-became-not-nullable",
                Level.BREAKING,
                f"{self.label}: null is no longer accepted",
                ptr,
                self.violates(),
            )
        if h.enum is not None and (b.enum is None or set(map(_key, b.enum)) - set(map(_key, h.enum))):
            gone = [v for v in b.enum or [] if _key(v) not in set(map(_key, h.enum))]
            message = (
                f"enum values removed: {_vals(gone)}"
                if b.enum is not None
                else f"now limited to {_vals(h.enum)}"
            )
            self.add(
                "request-enum-value-removed", Level.BREAKING, f"{self.label}: {message}", ptr, self.violates()
            )
        for keyword, before, after in _tightened(b, h):
            self.add(
                "request-constraint-tightened",
                Level.BREAKING,
                f"{self.label}: {keyword} {before if before is not None else 'none'} -> {after}",
                ptr,
                self.violates(),
            )
        if _default(b) != _default(h):
            self.default_changed(b, h)
        if b.additional_properties and not h.additional_properties and h.is_object:
            self.add(
                "request-additional-properties-forbidden",
                Level.BREAKING,
                f"{self.label}: properties the schema does not list are now rejected",
                ptr,
                self.violates(),
            )

    def default_changed(self, b: Shape, h: Shape) -> None:
        """A consumer that leaves the value out gets the new default: it depends on the change."""
        message = f"{self.label}: default {_default(b)} -> {_default(h)}"
        if self.where != "body":
            target = self._target("lacks")
        elif self.path and self.path[-1] != "[*]":
            target = self._target("lacks", path=self.path[:-1], name=self.path[-1])
        else:
            return
        self.add("request-default-value-changed", Level.POTENTIAL, message, h.pointer, target)

    def variants_changed(self, before: int, after: int) -> None:
        if self.request and after < before:
            self.add(
                "request-variant-removed",
                Level.BREAKING,
                f"{self.label}: anyOf/oneOf alternatives {before} -> {after}",
                self.head_shape.pointer,
                self.violates(),
            )
        elif not self.request and after > before:
            self.add(
                "response-variant-added",
                Level.POTENTIAL,
                f"{self.label}: anyOf/oneOf alternatives {before} -> {after}",
                self.head_shape.pointer,
                self._target("reads"),
            )

    # -- responses: may not widen what consumers read --------------------------------------------

    def response_rules(self, b: Shape, h: Shape) -> None:
        ptr = h.pointer
        if b.types and (not h.types or not _covers(b.types, h.types)):
            self.add(
                "response-type-changed",
                Level.BREAKING,
                f"{self.label}: type {_t(b)} -> {_t(h)}",
                ptr,
                self._target("reads"),
            )
        if b.format and b.format != h.format:
            self.add(
                "response-format-changed",
                Level.BREAKING,
                f"{self.label}: format {b.format} -> {h.format or 'none'}",
                ptr,
                self._target("reads"),
            )
        if h.nullable and not b.nullable:
            self.add(
                "response-property-became-nullable",
                Level.BREAKING,
                f"{self.label} may now be null",
                ptr,
                self._target("reads"),
            )
        if b.enum is not None:
            head_values = None if h.enum is None else set(map(_key, h.enum))
            gone = [v for v in b.enum if head_values is not None and _key(v) not in head_values]
            new = [v for v in h.enum or [] if _key(v) not in set(map(_key, b.enum))]
            if gone:
                self.add(
                    "response-enum-value-removed",
                    Level.BREAKING,
                    f"{self.label}: enum values removed: {_vals(gone)}",
                    ptr,
                    self._target("reads-value", values=tuple(gone)),
                )
            if new or h.enum is None:
                what = (
                    f"enum values added: {_vals(new)}"
                    if h.enum is not None
                    else "no longer limited to an enum"
                )
                self.add(
                    "response-enum-value-added",
                    Level.BREAKING,
                    f"{self.label}: {what}",
                    ptr,
                    self._target("reads"),
                )
        for keyword, before, after in _tightened(h, b):  # loosened for readers
            self.add(
                "response-constraint-loosened",
                Level.POTENTIAL,
                f"{self.label}: {keyword} {after if after is not None else 'none'} -> "
                f"{before if before is not None else 'none'}",
                ptr,
                self._target("reads"),
            )

    # -- properties --------------------------------------------------------------------------------

    def property_removed(self, prop: str, pointer: str, renamed_to: str | None) -> None:
        path = (*self.path, prop)
        if self.request:
            self.add(
                "request-property-removed",
                Level.POTENTIAL,
                f"request body {json_path(path)} was removed (consumers sending it are now ignored)",
                pointer,
                self._target("sends", path=path),
            )
            return
        rule, message = (
            "response-property-removed",
            f"response {self.status} body {json_path(path)} was removed",
        )
        if renamed_to:
            rule, message = "response-property-renamed", f"{message} (renamed to {renamed_to}?)"
        self.add(rule, Level.BREAKING, message, pointer, self._target("reads", path=path))

    def property_added(self, prop: str, located: Located, required: bool) -> None:
        path = (*self.path, prop)
        if self.request and required and not read_only(self.op.head, located):
            self.add(
                "new-required-request-property",
                Level.BREAKING,
                f"new required request property {json_path(path)}",
                located[1],
                self._target("lacks", path=self.path, name=prop),
            )
        elif not self.request:
            self.add(
                "response-property-added",
                Level.NON_BREAKING,
                f"response {self.status} body {json_path(path)} was added",
                located[1],
                self._target("none"),
            )
        else:
            self.add(
                "new-optional-request-property",
                Level.NON_BREAKING,
                f"new optional request property {json_path(path)}",
                located[1],
                self._target("none"),
            )

    def required_changed(
        self, prop: str, base_required: set[str], head_required: set[str], head_loc: Located
    ) -> None:
        path = (*self.path, prop)
        if (
            self.request
            and prop in head_required
            and prop not in base_required
            and not read_only(self.op.head, head_loc)
        ):
            self.add(
                "request-property-became-required",
                Level.BREAKING,
                f"request body {json_path(path)} became required",
                head_loc[1],
                self._target("lacks", path=self.path, name=prop),
            )
        if not self.request and prop in base_required and prop not in head_required:
            self.add(
                "response-property-became-optional",
                Level.BREAKING,
                f"response {self.status} body {json_path(path)} became optional",
                self.head_shape.pointer + "/required",
                self._target("reads", path=path),
            )


def _covers(wide: set[str], narrow: set[str]) -> bool:
    """Does ``wide`` accept every value of ``narrow``? (integers are numbers)"""
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _tightened(b: Shape, h: Shape) -> list[tuple[str, Any, Any]]:
    """(keyword, before, after) for each constraint that accepts fewer values in ``h`` than in ``b``."""
    found = []
    for keyword in _TIGHTER_IF_LOWER + _TIGHTER_IF_HIGHER:
        before, after = b.constraints.get(keyword), h.constraints.get(keyword)
        if not _is_number(after) or after == before:
            continue
        if before is None or (
            _is_number(before) and (after < before if keyword in _TIGHTER_IF_LOWER else after > before)
        ):
            found.append((keyword, before, after))
    for keyword in ("pattern", "multipleOf"):
        before, after = b.constraints.get(keyword), h.constraints.get(keyword)
        if after is not None and after != before:
            found.append((keyword, before, after))
    if h.constraints.get("uniqueItems") is True and b.constraints.get("uniqueItems") is not True:
        found.append(("uniqueItems", b.constraints.get("uniqueItems"), True))
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_only(doc: SpecDocument, located: Located) -> bool:
    schema, _ = doc.resolve(*located)
    return isinstance(schema, dict) and schema.get("readOnly") is True


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _vals(values: list[Any] | None) -> str:
    return ", ".join(json.dumps(v) for v in values or [])


def _default(shape: Shape) -> str:
    return "none" if shape.default is NO_DEFAULT else json.dumps(shape.default, sort_keys=True)


def _t(shape: Shape) -> str:
    types = "|".join(sorted(shape.types)) or "any"
    return types + ("|null" if shape.nullable else "")
