"""Classify every change between two versions of a provider's OpenAPI spec.

Each :class:`Change` has a rule id (named after oasdiff's checks where one exists, see
docs/contracts-spec.md), a level (breaking, potentially breaking, non-breaking), where it is
(the operation and a JSON pointer) and a :class:`Target`: what a consumer's recorded
interaction must do to depend on it (read a field, send a parameter, lack a property, ...).
:mod:`.impact` then judges each change against the real pacts.

This module compares operations (security, parameters, request bodies, responses, headers,
media types); :mod:`.schema_rules` compares the schemas found at the same place in both.
"""

from __future__ import annotations

from typing import Any

from interlock.openapi.changes import Change, Level, Target
from interlock.openapi.check import declared_response
from interlock.openapi.document import Operation, SpecDocument, escape
from interlock.openapi.schema_rules import SchemaRules
from interlock.openapi.shapes import Located, Shape, shape_of

__all__ = ["Change", "Level", "Target", "diff_specs"]


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
            changes.append(
                Change(
                    "api-removed",
                    Level.BREAKING,
                    base_op.label,
                    "the operation was removed",
                    f"#{base_op.pointer}",
                    Target(base_op.method.upper(), base_op.template, "any"),
                )
            )
            continue
        changes += OperationDiff(base, head, base_op, head_op).changes()
    for head_op in head.operations:
        if _template_key(head_op.template, head_op.method) not in base_keys:
            changes.append(
                Change(
                    "api-added",
                    Level.NON_BREAKING,
                    head_op.label,
                    "a new operation",
                    f"#{head_op.pointer}",
                    Target(head_op.method.upper(), head_op.template, "none"),
                )
            )
    return changes


def _template_key(template: str, method: str) -> tuple[str, str]:
    """Renaming a path parameter changes no URL: ``/a/{id}`` and ``/a/{payment_id}`` are one path."""
    parts = ["{}" if part.startswith("{") and part.endswith("}") else part for part in template.split("/")]
    return "/".join(parts), method


class OperationDiff:
    def __init__(
        self, base: SpecDocument, head: SpecDocument, base_op: Operation, head_op: Operation
    ) -> None:
        self.base, self.head, self.base_op, self.head_op = base, head, base_op, head_op
        self.found: list[Change] = []
        #: The schema pairs being compared, outermost first: a recursive schema is compared once.
        self._stack: list[tuple[str, str]] = []

    def target(self, needs: str, **kwargs: Any) -> Target:
        return Target(self.base_op.method.upper(), self.base_op.template, needs, **kwargs)

    def add(self, rule: str, level: Level, message: str, pointer: str, target: Target) -> None:
        self.found.append(Change(rule, level, self.head_op.label, message, f"#{pointer}", target))

    def changes(self) -> list[Change]:
        if self.head_op.spec.get("deprecated") and not self.base_op.spec.get("deprecated"):
            self.add(
                "api-deprecated",
                Level.NON_BREAKING,
                "the operation is now deprecated",
                self.head_op.pointer,
                self.target("none"),
            )
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
        self.add(
            "api-security-added",
            Level.BREAKING,
            f"the operation now requires {' or '.join('+'.join(a) for a in head_alts)}"
            + (f" (new: {', '.join(added)})" if added else ""),
            f"{self.head_op.pointer}/security",
            self.target("no-credentials", schemes=tuple(head_alts)),
        )

    # -- parameters ------------------------------------------------------------------------------

    def _parameters(self) -> None:
        base_params = {(p.get("in"), _param_name(p)): (p, ptr) for p, ptr in self.base_op.parameters}
        head_params = {(p.get("in"), _param_name(p)): (p, ptr) for p, ptr in self.head_op.parameters}
        for key, (param, ptr) in base_params.items():
            where, name = str(key[0]), str(param.get("name"))
            if key not in head_params:
                if where != "path":
                    self.add(
                        "request-parameter-removed",
                        Level.POTENTIAL,
                        f"{where} parameter '{name}' was removed (consumers sending it are now ignored)",
                        ptr,
                        self.target("sends", where=where, name=name),
                    )
                continue
            head_param, head_ptr = head_params[key]
            if head_param.get("required") and not param.get("required"):
                self.add(
                    "request-parameter-became-required",
                    Level.BREAKING,
                    f"{where} parameter '{name}' became required",
                    head_ptr,
                    self.target("lacks", where=where, name=name),
                )
            if "schema" in param and "schema" in head_param:
                self._schema(
                    (param["schema"], f"{ptr}/schema"),
                    (head_param["schema"], f"{head_ptr}/schema"),
                    request=True,
                    where=where,
                    name=name,
                    status=None,
                    path=(),
                )
        for key, (param, ptr) in head_params.items():
            if key in base_params or key[0] == "path":
                continue
            where, name = str(key[0]), str(param.get("name"))
            if param.get("required"):
                self.add(
                    "new-required-request-parameter",
                    Level.BREAKING,
                    f"new required {where} parameter '{name}'",
                    ptr,
                    self.target("lacks", where=where, name=name),
                )
            else:
                self.add(
                    "new-optional-request-parameter",
                    Level.NON_BREAKING,
                    f"new optional {where} parameter '{name}'",
                    ptr,
                    self.target("none"),
                )

    # -- request body ----------------------------------------------------------------------------

    def _request_body(self) -> None:
        base_raw, head_raw = self.base_op.spec.get("requestBody"), self.head_op.spec.get("requestBody")
        if head_raw is None:
            return
        head_body, head_ptr = self.head.resolve(head_raw, f"{self.head_op.pointer}/requestBody")
        if base_raw is None:
            if head_body.get("required"):
                self.add(
                    "request-body-became-required",
                    Level.BREAKING,
                    "a request body is now required",
                    head_ptr,
                    self.target("no-body"),
                )
            return
        base_body, base_ptr = self.base.resolve(base_raw, f"{self.base_op.pointer}/requestBody")
        if head_body.get("required") and not base_body.get("required"):
            self.add(
                "request-body-became-required",
                Level.BREAKING,
                "the request body became required",
                head_ptr,
                self.target("no-body"),
            )
        self._content(base_body, base_ptr, head_body, head_ptr, status=None)

    # -- responses -------------------------------------------------------------------------------

    def _responses(self) -> None:
        base_responses = self.base_op.spec.get("responses") or {}
        head_responses = self.head_op.spec.get("responses") or {}
        for status, raw in base_responses.items():
            base_resp, base_ptr = self.base.resolve(
                raw, f"{self.base_op.pointer}/responses/{escape(str(status))}"
            )
            head_key = str(status) if str(status) in head_responses else None
            if head_key is None and str(status).isdigit():
                found = declared_response(self.head_op, int(status))
                head_key = found[0] if found else None
            if head_key is None:
                self.add(
                    "response-status-removed",
                    Level.BREAKING,
                    f"response status {status} was removed",
                    base_ptr,
                    self.target("status", status=str(status)),
                )
                continue
            head_resp, head_ptr = self.head.resolve(
                head_responses[head_key], f"{self.head_op.pointer}/responses/{escape(head_key)}"
            )
            self._response_headers(str(status), base_resp, base_ptr, head_resp, head_ptr)
            self._content(base_resp, base_ptr, head_resp, head_ptr, status=str(status))
        for status in head_responses:
            if str(status) not in {str(s) for s in base_responses}:
                self.add(
                    "response-status-added",
                    Level.NON_BREAKING,
                    f"new response status {status}",
                    f"{self.head_op.pointer}/responses/{escape(str(status))}",
                    self.target("none"),
                )

    def _content(
        self, base: dict[str, Any], base_ptr: str, head: dict[str, Any], head_ptr: str, *, status: str | None
    ) -> None:
        """The media types of a request body (``status`` None) or a response: removed ones, then schemas."""
        head_content = head.get("content") or {}
        for media, media_spec in (base.get("content") or {}).items():
            media_ptr = f"{base_ptr}/content/{escape(media)}"
            if media not in head_content:
                if status is None:
                    rule, message = (
                        "request-body-media-type-removed",
                        f"request media type {media} was removed",
                    )
                    target = self.target("request-media", media=media)
                else:
                    rule, message = (
                        "response-media-type-removed",
                        f"response {status}: media type {media} was removed",
                    )
                    target = self.target("response-media", status=status, media=media)
                self.add(rule, Level.BREAKING, message, media_ptr, target)
                continue
            if "schema" in media_spec and "schema" in head_content[media]:
                self._schema(
                    (media_spec["schema"], f"{media_ptr}/schema"),
                    (head_content[media]["schema"], f"{head_ptr}/content/{escape(media)}/schema"),
                    request=status is None,
                    where="body",
                    name=None,
                    status=status,
                    path=(),
                )

    def _response_headers(
        self, status: str, base_resp: dict[str, Any], base_ptr: str, head_resp: dict[str, Any], head_ptr: str
    ) -> None:
        head_headers = {k.lower(): (k, v) for k, v in (head_resp.get("headers") or {}).items()}
        for name, raw in (base_resp.get("headers") or {}).items():
            header, _ = self.base.resolve(raw, f"{base_ptr}/headers/{escape(name)}")
            if name.lower() not in head_headers:
                self.add(
                    "response-header-removed",
                    Level.BREAKING,
                    f"response {status}: header {name} was removed",
                    f"{base_ptr}/headers/{escape(name)}",
                    self.target("expects-header", status=status, name=name),
                )
                continue
            head_name, head_raw = head_headers[name.lower()]
            head_header, head_header_ptr = self.head.resolve(
                head_raw, f"{head_ptr}/headers/{escape(head_name)}"
            )
            if header.get("required") and not head_header.get("required"):
                self.add(
                    "response-header-became-optional",
                    Level.BREAKING,
                    f"response {status}: header {name} became optional",
                    head_header_ptr,
                    self.target("expects-header", status=status, name=name),
                )

    # -- schemas ---------------------------------------------------------------------------------

    def _schema(
        self,
        base_loc: Located,
        head_loc: Located,
        *,
        request: bool,
        where: str,
        name: str | None,
        status: str | None,
        path: tuple[str, ...],
    ) -> None:
        """Compare two schemas found at the same place of the operation, recursively."""
        b, h = shape_of(self.base, *base_loc), shape_of(self.head, *head_loc)
        pair = (b.pointer, h.pointer)
        if pair in self._stack or len(path) > 32:
            return
        self._stack.append(pair)
        try:
            self._compare(b, h, SchemaRules(self, request, where, name, status, path, h))
        finally:
            self._stack.pop()

    def _compare(self, b: Shape, h: Shape, ctx: SchemaRules) -> None:
        if ctx.request:
            ctx.request_rules(b, h)
        else:
            ctx.response_rules(b, h)
        self._properties(ctx, b, h)

        def compare(base_loc: Located, head_loc: Located, path: tuple[str, ...]) -> None:
            self._schema(
                base_loc,
                head_loc,
                request=ctx.request,
                where=ctx.where,
                name=ctx.name,
                status=ctx.status,
                path=path,
            )

        if b.items and h.items:
            compare(b.items, h.items, (*ctx.path, "[*]"))
        if len(b.variants) == len(h.variants):
            for bv, hv in zip(b.variants, h.variants, strict=True):
                compare(bv, hv, ctx.path)
        elif b.variants and h.variants:
            ctx.variants_changed(len(b.variants), len(h.variants))

    def _properties(self, ctx: SchemaRules, b: Shape, h: Shape) -> None:
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
            self._schema(
                b.properties[prop],
                h.properties[prop],
                request=ctx.request,
                where=ctx.where,
                name=ctx.name,
                status=ctx.status,
                path=(*ctx.path, prop),
            )


# -- helpers --------------------------------------------------------------------------------------


def _security(doc: SpecDocument, op: Operation) -> list[tuple[str, ...]]:
    """The security alternatives of an operation (each a tuple of scheme names); [] means none."""
    requirements = op.spec.get("security", doc.data.get("security")) or []
    return [tuple(sorted(r)) for r in requirements if isinstance(r, dict)]


def _param_name(param: dict[str, Any]) -> str:
    name = str(param.get("name"))
    return name.lower() if param.get("in") == "header" else name


def _rename(
    base: SpecDocument, head: SpecDocument, b: Shape, h: Shape, removed: list[str], added: list[str]
) -> dict[str, str]:
    """One property out and one with the same schema in, in the same object: most likely a rename."""
    if len(removed) != 1 or len(added) != 1:
        return {}
    before = base.resolve(*b.properties[removed[0]])[0]
    after = head.resolve(*h.properties[added[0]])[0]
    strip = {"title", "description"}
    same = {k: v for k, v in before.items() if k not in strip} == {
        k: v for k, v in after.items() if k not in strip
    }
    return {removed[0]: added[0]} if same else {}
