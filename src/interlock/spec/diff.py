"""Classify every change between two versions of a provider's OpenAPI spec.

Each :class:`Change` has a rule id (named after oasdiff's checks where one exists, see
docs/contracts-spec.md), a level (breaking, potentially breaking, non-breaking), where it is
(the operation and a JSON pointer) and a :class:`Target`: what a consumer's recorded
interaction must do to depend on it (read a field, send a parameter, lack a property, ...).
:mod:`.impact` then judges each change against the real pacts.

Direction matters: a response may not *widen* what consumers read (a new enum value, a field
that may be missing or null), a request may not *narrow* what consumers may send (a new
required property, a tighter maxLength).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from interlock.spec.check import declared_response
from interlock.spec.document import Operation, SpecDocument, escape
from interlock.spec.matching import json_path
from interlock.spec.shapes import NO_DEFAULT, Located, Shape, shape_of


class Level(StrEnum):
    BREAKING = "breaking"
    POTENTIAL = "potentially-breaking"
    NON_BREAKING = "non-breaking"


@dataclass(frozen=True)
class Target:
    """What an interaction must do to depend on a change (see :func:`interlock.spec.impact.depends`)."""

    method: str  # upper case
    template: str
    needs: str  # any | status | reads | reads-value | expects-header | response-media | sends | lacks |
    #             violates | no-body | request-media | no-credentials | none
    status: str | None = None  # the response key in the base spec ("201", "2XX", "default")
    where: str = "body"  # body | query | header | path
    name: str | None = None  # a parameter, header or property name
    path: tuple[str, ...] = ()  # generalised instance path in the body ("items", "[*]", "sku")
    values: tuple[Any, ...] = ()  # reads-value: the enum values removed
    pointer: str | None = None  # violates: the head schema to validate the recorded value against
    media: str | None = None
    schemes: tuple[tuple[str, ...], ...] = ()  # no-credentials: the head's security alternatives


@dataclass(frozen=True)
class Change:
    rule: str
    level: Level
    operation: str  # "POST /payments"
    message: str
    pointer: str  # "#/components/schemas/Payment/properties/status" (in head, or in base when removed)
    target: Target = field(compare=False)

    @property
    def location(self) -> str:
        return f"{self.operation} {self.pointer}"


_NUMBERS = {"integer", "number"}
_TIGHTER_IF_LOWER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_TIGHTER_IF_HIGHER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


def diff_specs(base: SpecDocument, head: SpecDocument) -> list[Change]:
    """Every change from ``base`` to ``head``, breaking or not, in a stable order."""
    changes: list[Change] = []
    head_by_key = {_template_key(o.template, o.method): o for o in head.operations}
    base_keys = set()
    for base_op in base.operations:
        key = _template_key(base_op.template, base_op.method)
        base_keys.add(key)
        head_op = head_by_key.get(key)
        if head_op is None:
            changes.append(Change("api-removed", Level.BREAKING, base_op.label, "the operation was removed",
                                  f"#{base_op.pointer}", Target(base_op.method.upper(), base_op.template, "any")))
            continue
        changes += _OperationDiff(base, head, base_op, head_op).changes()
    for head_op in head.operations:
        if _template_key(head_op.template, head_op.method) not in base_keys:
            changes.append(Change("api-added", Level.NON_BREAKING, head_op.label, "a new operation",
                                  f"#{head_op.pointer}", Target(head_op.method.upper(), head_op.template, "none")))
    return changes


def _template_key(template: str, method: str) -> tuple[str, str]:
    """Renaming a path parameter changes no URL: ``/a/{id}`` and ``/a/{payment_id}`` are one path."""
    parts = ["{}" if part.startswith("{") and part.endswith("}") else part for part in template.split("/")]
    return "/".join(parts), method


class _OperationDiff:
    def __init__(self, base: SpecDocument, head: SpecDocument, base_op: Operation, head_op: Operation) -> None:
        self.base, self.head, self.base_op, self.head_op = base, head, base_op, head_op
        self.found: list[Change] = []
        self._seen: set[tuple[str, str, str, tuple[str, ...]]] = set()

    def target(self, needs: str, **kwargs: Any) -> Target:
        return Target(self.base_op.method.upper(), self.base_op.template, needs, **kwargs)

    def add(self, rule: str, level: Level, message: str, pointer: str, target: Target) -> None:
        self.found.append(Change(rule, level, self.head_op.label, message, f"#{pointer}", target))

    def changes(self) -> list[Change]:
        if self.head_op.spec.get("deprecated") and not self.base_op.spec.get("deprecated"):
            self.add("api-deprecated", Level.NON_BREAKING, "the operation is now deprecated", self.head_op.pointer,
                     self.target("none"))
        self._security()
        self._parameters()
        self._request_body()
        self._responses()
        return self.found

    # -- security --------------------------------------------------------------------------------

    def _security(self) -> None:
        base_alts, head_alts = _security(self.base, self.base_op), _security(self.head, self.head_op)
        if not head_alts or () in head_alts or set(head_alts) <= set(base_alts):
            return
        if base_alts and () not in base_alts and set(base_alts) & set(head_alts):
            return  # a way in that worked before still works
        added = sorted({s for alt in head_alts for s in alt} - {s for alt in base_alts for s in alt})
        self.add("api-security-added", Level.BREAKING,
                 f"the operation now requires {' or '.join('+'.join(a) for a in head_alts)}"
                 + (f" (new: {', '.join(added)})" if added else ""), f"{self.head_op.pointer}/security",
                 self.target("no-credentials", schemes=tuple(head_alts)))

    # -- parameters ------------------------------------------------------------------------------

    def _parameters(self) -> None:
        base_params = {(p.get("in"), _param_name(p)): (p, ptr) for p, ptr in self.base_op.parameters}
        head_params = {(p.get("in"), _param_name(p)): (p, ptr) for p, ptr in self.head_op.parameters}
        for key, (param, ptr) in base_params.items():
            where, name = str(key[0]), str(param.get("name"))
            if key not in head_params:
                if where != "path":
                    self.add("request-parameter-removed", Level.POTENTIAL,
                             f"{where} parameter '{name}' was removed (consumers sending it are now ignored)", ptr,
                             self.target("sends", where=where, name=name))
                continue
            head_param, head_ptr = head_params[key]
            if head_param.get("required") and not param.get("required"):
                self.add("request-parameter-became-required", Level.BREAKING,
                         f"{where} parameter '{name}' became required", head_ptr,
                         self.target("lacks", where=where, name=name))
            if "schema" in param and "schema" in head_param:
                self._schema((param["schema"], f"{ptr}/schema"), (head_param["schema"], f"{head_ptr}/schema"),
                             request=True, where=where, name=name, status=None, path=())
        for key, (param, ptr) in head_params.items():
            if key in base_params or key[0] == "path":
                continue
            where, name = str(key[0]), str(param.get("name"))
            if param.get("required"):
                self.add("new-required-request-parameter", Level.BREAKING,
                         f"new required {where} parameter '{name}'", ptr, self.target("lacks", where=where, name=name))
            else:
                self.add("new-optional-request-parameter", Level.NON_BREAKING, f"new optional {where} parameter"
                         f" '{name}'", ptr, self.target("none"))

    # -- request body ----------------------------------------------------------------------------

    def _request_body(self) -> None:
        base_raw, head_raw = self.base_op.spec.get("requestBody"), self.head_op.spec.get("requestBody")
        if head_raw is None:
            return
        head_body, head_ptr = self.head.resolve(head_raw, f"{self.head_op.pointer}/requestBody")
        if base_raw is None:
            if head_body.get("required"):
                self.add("request-body-became-required", Level.BREAKING, "a request body is now required",
                         head_ptr, self.target("no-body"))
            return
        base_body, base_ptr = self.base.resolve(base_raw, f"{self.base_op.pointer}/requestBody")
        if head_body.get("required") and not base_body.get("required"):
            self.add("request-body-became-required", Level.BREAKING, "the request body became required", head_ptr,
                     self.target("no-body"))
        base_content, head_content = base_body.get("content") or {}, head_body.get("content") or {}
        for media, media_spec in base_content.items():
            media_ptr = f"{base_ptr}/content/{escape(media)}"
            if media not in head_content:
                self.add("request-body-media-type-removed", Level.BREAKING, f"request media type {media} was removed",
                         media_ptr, self.target("request-media", media=media))
                continue
            head_media_ptr = f"{head_ptr}/content/{escape(media)}"
            if "schema" in media_spec and "schema" in head_content[media]:
                self._schema((media_spec["schema"], f"{media_ptr}/schema"),
                             (head_content[media]["schema"], f"{head_media_ptr}/schema"),
                             request=True, where="body", name=None, status=None, path=())

    # -- responses -------------------------------------------------------------------------------

    def _responses(self) -> None:
        base_responses = self.base_op.spec.get("responses") or {}
        head_responses = self.head_op.spec.get("responses") or {}
        for status, raw in base_responses.items():
            base_resp, base_ptr = self.base.resolve(raw, f"{self.base_op.pointer}/responses/{escape(str(status))}")
            head_key = str(status) if str(status) in head_responses else None
            if head_key is None and str(status).isdigit():
                found = declared_response(self.head_op, int(status))
                head_key = found[0] if found else None
            if head_key is None:
                self.add("response-status-removed", Level.BREAKING, f"response status {status} was removed", base_ptr,
                         self.target("status", status=str(status)))
                continue
            head_resp, head_ptr = self.head.resolve(head_responses[head_key],
                                                    f"{self.head_op.pointer}/responses/{escape(head_key)}")
            self._response_headers(str(status), base_resp, base_ptr, head_resp, head_ptr)
            base_content, head_content = base_resp.get("content") or {}, head_resp.get("content") or {}
            for media, media_spec in base_content.items():
                media_ptr = f"{base_ptr}/content/{escape(media)}"
                if media not in head_content:
                    self.add("response-media-type-removed", Level.BREAKING,
                             f"response {status}: media type {media} was removed", media_ptr,
                             self.target("response-media", status=str(status), media=media))
                    continue
                if "schema" in media_spec and "schema" in head_content[media]:
                    self._schema((media_spec["schema"], f"{media_ptr}/schema"),
                                 (head_content[media]["schema"], f"{head_ptr}/content/{escape(media)}/schema"),
                                 request=False, where="body", name=None, status=str(status), path=())
        for status in head_responses:
            if str(status) not in {str(s) for s in base_responses}:
                self.add("response-status-added", Level.NON_BREAKING, f"new response status {status}",
                         f"{self.head_op.pointer}/responses/{escape(str(status))}", self.target("none"))

    def _response_headers(self, status: str, base_resp: dict[str, Any], base_ptr: str, head_resp: dict[str, Any],
                          head_ptr: str) -> None:
        head_headers = {k.lower(): (k, v) for k, v in (head_resp.get("headers") or {}).items()}
        for name, raw in (base_resp.get("headers") or {}).items():
            header, _ = self.base.resolve(raw, f"{base_ptr}/headers/{escape(name)}")
            if name.lower() not in head_headers:
                self.add("response-header-removed", Level.BREAKING, f"response {status}: header {name} was removed",
                         f"{base_ptr}/headers/{escape(name)}",
                         self.target("expects-header", status=status, name=name))
                continue
            head_name, head_raw = head_headers[name.lower()]
            head_header, head_header_ptr = self.head.resolve(head_raw, f"{head_ptr}/headers/{escape(head_name)}")
            if header.get("required") and not head_header.get("required"):
                self.add("response-header-became-optional", Level.BREAKING,
                         f"response {status}: header {name} became optional", head_header_ptr,
                         self.target("expects-header", status=status, name=name))

    # -- schemas ---------------------------------------------------------------------------------

    def _schema(self, base_loc: Located, head_loc: Located, *, request: bool, where: str, name: str | None,
                status: str | None, path: tuple[str, ...]) -> None:
        """Compare two schemas found at the same place of the operation, recursively."""
        b, h = shape_of(self.base, *base_loc), shape_of(self.head, *head_loc)
        seen_key = (b.pointer, h.pointer, status or where, path)
        if seen_key in self._seen or len(path) > 32:
            return
        self._seen.add(seen_key)
        ctx = _SchemaContext(self, request, where, name, status, path, h)
        if request:
            ctx.request_rules(b, h)
        else:
            ctx.response_rules(b, h)
        self._properties(ctx, b, h)
        if b.items and h.items:
            self._schema(b.items, h.items, request=request, where=where, name=name, status=status,
                         path=(*path, "[*]"))
        if len(b.variants) == len(h.variants):
            for bv, hv in zip(b.variants, h.variants, strict=True):
                self._schema(bv, hv, request=request, where=where, name=name, status=status, path=path)
        elif b.variants and h.variants:
            ctx.variants_changed(len(b.variants), len(h.variants))

    def _properties(self, ctx: _SchemaContext, b: Shape, h: Shape) -> None:
        removed = [p for p in b.properties if p not in h.properties]
        added = [p for p in h.properties if p not in b.properties]
        renamed = _rename(self.base, self.head, b, h, removed, added)
        for prop in removed:
            ctx.property_removed(prop, b.properties[prop][1], renamed.get(prop))
        for prop in added:
            ctx.property_added(prop, h.properties[prop], prop in h.required)
        for prop in b.properties:
            if prop not in h.properties:
                continue
            ctx.required_changed(prop, b.required, h.required, h.properties[prop])
            self._schema(b.properties[prop], h.properties[prop], request=ctx.request, where=ctx.where,
                         name=ctx.name, status=ctx.status, path=(*ctx.path, prop))


class _SchemaContext:
    """The rules for one schema position: where it is, and what a consumer does with it."""

    def __init__(self, op: _OperationDiff, request: bool, where: str, name: str | None, status: str | None,
                 path: tuple[str, ...], head_shape: Shape) -> None:
        self.op, self.request, self.where, self.name, self.status, self.path = op, request, where, name, status, path
        self.head_shape = head_shape

    @property
    def label(self) -> str:
        if self.request:
            return f"request {self.where} '{self.name}'" if self.where != "body" else f"request body {json_path(self.path)}"
        return f"response {self.status} body {json_path(self.path)}"

    def _target(self, needs: str, path: tuple[str, ...] | None = None, **kwargs: Any) -> Target:
        kwargs.setdefault("name", self.name)
        return self.op.target(needs, status=self.status, where=self.where,
                              path=self.path if path is None else path, **kwargs)

    def violates(self) -> Target:
        return self._target("violates", pointer=self.head_shape.pointer)

    def add(self, rule: str, level: Level, message: str, pointer: str, target: Target) -> None:
        self.op.add(rule, level, message, pointer, target)

    # -- requests: may not narrow what consumers send --------------------------------------------

    def request_rules(self, b: Shape, h: Shape) -> None:
        ptr = h.pointer
        if b.types and h.types and not _covers(h.types, b.types):
            self.add("request-type-changed", Level.BREAKING, f"{self.label}: type {_t(b)} -> {_t(h)}", ptr,
                     self.violates())
        if h.format and h.format != b.format:
            self.add("request-format-changed", Level.BREAKING,
                     f"{self.label}: format {b.format or 'none'} -> {h.format}", ptr, self.violates())
        if b.nullable and not h.nullable:
            self.add("request-became-not-nullable", Level.BREAKING, f"{self.label}: null is no longer accepted",
                     ptr, self.violates())
        if h.enum is not None and (b.enum is None or set(map(_key, b.enum)) - set(map(_key, h.enum))):
            gone = [v for v in b.enum or [] if _key(v) not in set(map(_key, h.enum))]
            message = f"enum values removed: {_vals(gone)}" if b.enum is not None else f"now limited to {_vals(h.enum)}"
            self.add("request-enum-value-removed", Level.BREAKING, f"{self.label}: {message}", ptr, self.violates())
        for keyword, before, after in _tightened(b, h):
            self.add("request-constraint-tightened", Level.BREAKING,
                     f"{self.label}: {keyword} {before if before is not None else 'none'} -> {after}", ptr,
                     self.violates())
        if _default(b) != _default(h):
            self.default_changed(b, h)
        if b.additional_properties and not h.additional_properties and h.is_object:
            self.add("request-additional-properties-forbidden", Level.BREAKING,
                     f"{self.label}: properties the schema does not list are now rejected", ptr, self.violates())

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
            self.add("request-variant-removed", Level.BREAKING, f"{self.label}: anyOf/oneOf alternatives"
                     f" {before} -> {after}", self.head_shape.pointer, self.violates())
        elif not self.request and after > before:
            self.add("response-variant-added", Level.POTENTIAL, f"{self.label}: anyOf/oneOf alternatives"
                     f" {before} -> {after}", self.head_shape.pointer, self._target("reads"))

    # -- responses: may not widen what consumers read --------------------------------------------

    def response_rules(self, b: Shape, h: Shape) -> None:
        ptr = h.pointer
        if b.types and (not h.types or not _covers(b.types, h.types)):
            self.add("response-type-changed", Level.BREAKING, f"{self.label}: type {_t(b)} -> {_t(h)}", ptr,
                     self._target("reads"))
        if b.format and b.format != h.format:
            self.add("response-format-changed", Level.BREAKING,
                     f"{self.label}: format {b.format} -> {h.format or 'none'}", ptr, self._target("reads"))
        if h.nullable and not b.nullable:
            self.add("response-property-became-nullable", Level.BREAKING, f"{self.label} may now be null", ptr,
                     self._target("reads"))
        if b.enum is not None:
            head_values = None if h.enum is None else set(map(_key, h.enum))
            gone = [v for v in b.enum if head_values is not None and _key(v) not in head_values]
            new = [v for v in h.enum or [] if _key(v) not in set(map(_key, b.enum))]
            if gone:
                self.add("response-enum-value-removed", Level.BREAKING,
                         f"{self.label}: enum values removed: {_vals(gone)}", ptr,
                         self._target("reads-value", values=tuple(gone)))
            if new or h.enum is None:
                what = f"enum values added: {_vals(new)}" if h.enum is not None else "no longer limited to an enum"
                self.add("response-enum-value-added", Level.BREAKING, f"{self.label}: {what}", ptr,
                         self._target("reads"))
        for keyword, before, after in _tightened(h, b):  # loosened for readers
            self.add("response-constraint-loosened", Level.POTENTIAL,
                     f"{self.label}: {keyword} {after if after is not None else 'none'} -> "
                     f"{before if before is not None else 'none'}", ptr, self._target("reads"))

    # -- properties --------------------------------------------------------------------------------

    def property_removed(self, prop: str, pointer: str, renamed_to: str | None) -> None:
        path = (*self.path, prop)
        if self.request:
            self.add("request-property-removed", Level.POTENTIAL,
                     f"request body {json_path(path)} was removed (consumers sending it are now ignored)", pointer,
                     self._target("sends", path=path))
            return
        rule, message = "response-property-removed", f"response {self.status} body {json_path(path)} was removed"
        if renamed_to:
            rule, message = "response-property-renamed", f"{message} (renamed to {renamed_to}?)"
        self.add(rule, Level.BREAKING, message, pointer, self._target("reads", path=path))

    def property_added(self, prop: str, located: Located, required: bool) -> None:
        path = (*self.path, prop)
        if self.request and required and not _read_only(self.op.head, located):
            self.add("new-required-request-property", Level.BREAKING, f"new required request property "
                     f"{json_path(path)}", located[1], self._target("lacks", path=self.path, name=prop))
        elif not self.request:
            self.add("response-property-added", Level.NON_BREAKING, f"response {self.status} body "
                     f"{json_path(path)} was added", located[1], self._target("none"))
        else:
            self.add("new-optional-request-property", Level.NON_BREAKING, f"new optional request property "
                     f"{json_path(path)}", located[1], self._target("none"))

    def required_changed(self, prop: str, base_required: set[str], head_required: set[str], head_loc: Located) -> None:
        path = (*self.path, prop)
        if self.request and prop in head_required and prop not in base_required \
                and not _read_only(self.op.head, head_loc):
            self.add("request-property-became-required", Level.BREAKING,
                     f"request body {json_path(path)} became required", head_loc[1],
                     self._target("lacks", path=self.path, name=prop))
        if not self.request and prop in base_required and prop not in head_required:
            self.add("response-property-became-optional", Level.BREAKING,
                     f"response {self.status} body {json_path(path)} became optional", self.head_shape.pointer
                     + "/required", self._target("reads", path=path))


# -- helpers --------------------------------------------------------------------------------------


def _security(doc: SpecDocument, op: Operation) -> list[tuple[str, ...]]:
    """The security alternatives of an operation (each a tuple of scheme names); [] means none."""
    requirements = op.spec.get("security", doc.data.get("security")) or []
    return [tuple(sorted(r)) for r in requirements if isinstance(r, dict)]


def _param_name(param: dict[str, Any]) -> str:
    name = str(param.get("name"))
    return name.lower() if param.get("in") == "header" else name


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
        if before is None or (_is_number(before) and (after < before if keyword in _TIGHTER_IF_LOWER
                                                      else after > before)):
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


def _rename(base: SpecDocument, head: SpecDocument, b: Shape, h: Shape, removed: list[str],
            added: list[str]) -> dict[str, str]:
    """One property out and one with the same schema in, in the same object: most likely a rename."""
    if len(removed) != 1 or len(added) != 1:
        return {}
    before = base.resolve(*b.properties[removed[0]])[0]
    after = head.resolve(*h.properties[added[0]])[0]
    strip = {"title", "description"}
    same = {k: v for k, v in before.items() if k not in strip} == {k: v for k, v in after.items() if k not in strip}
    return {removed[0]: added[0]} if same else {}


def _read_only(doc: SpecDocument, located: Located) -> bool:
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
