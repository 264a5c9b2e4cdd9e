"""Judge spec changes against the consumers' pacts: who depends on each change?

A breaking change that a recorded interaction depends on is an error naming the consumer and
the interaction; one no consumer uses is a warning. What "depends" means is the change's
:class:`~interlock.openapi.diff.Target`: the interaction calls the operation (in the base spec) and
reads the field, expects the status or header, sends the parameter, lacks the new required
property, or sends a value the new spec rejects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interlock.core.verdict import Severity
from interlock.openapi.changes import Change, Level, Target
from interlock.openapi.check import coerce, declared_response, pick_media, schema_errors
from interlock.openapi.document import SpecDocument, iter_json
from interlock.openapi.matching import Rules, generalise, json_path, read_paths, reads
from interlock.pacts.pactfile import PactFile, PactInteraction


@dataclass(frozen=True)
class Use:
    """One recorded interaction that depends on a change."""

    consumer: str
    interaction: str
    pact: str
    why: str

    def __str__(self) -> str:
        return f"{self.consumer}: {self.interaction}"


@dataclass(frozen=True)
class JudgedChange:
    change: Change
    severity: Severity
    uses: list[Use] = field(default_factory=list)


@dataclass(frozen=True)
class _Recorded:
    pact: PactFile
    label: str
    interaction: PactInteraction
    method: str | None  # the base operation it calls, if any
    template: str | None
    path_params: dict[str, str]


def judge(
    changes: list[Change], pacts: list[tuple[PactFile, str]], base: SpecDocument, head: SpecDocument
) -> list[JudgedChange]:
    """Each change with its severity and the recorded interactions that depend on it."""
    recorded = []
    for pact, label in pacts:
        for interaction in pact.interactions:
            if interaction.request is None:
                continue
            match = base.match_path(interaction.request.method, interaction.request.path)
            op = match.operation if match else None
            recorded.append(
                _Recorded(
                    pact,
                    label,
                    interaction,
                    op.method.upper() if op else None,
                    op.template if op else None,
                    match.params if match else {},
                )
            )
    judged = []
    for change in changes:
        uses = [
            Use(r.pact.consumer, r.interaction.description, r.label, why)
            for r in recorded
            if (why := depends(change.target, r, base, head))
        ]
        judged.append(JudgedChange(change, _severity(change.level, bool(uses)), uses))
    return judged


def _severity(level: Level, used: bool) -> Severity:
    if level == Level.BREAKING:
        return Severity.ERROR if used else Severity.WARNING
    if level == Level.POTENTIAL:
        return Severity.WARNING if used else Severity.INFO
    return Severity.INFO


def depends(target: Target, recorded: _Recorded, base: SpecDocument, head: SpecDocument) -> str | None:
    """Why ``recorded`` depends on the change aimed at by ``target``, or None if it does not."""
    if target.needs == "none" or (recorded.method, recorded.template) != (target.method, target.template):
        return None
    request, response = recorded.interaction.request, recorded.interaction.response
    assert request is not None
    if target.needs == "any":
        return "calls the operation"
    if target.needs in ("no-body", "request-media", "lacks", "sends", "violates", "no-credentials"):
        return _request_dependency(target, recorded, head)
    if response is None or target.status is None:
        return None
    base_op = base.operation(target.method, target.template)
    found = declared_response(base_op, response.status) if base_op else None
    if found is None or found[0] != target.status:
        return None
    if target.needs == "status":
        return f"expects status {response.status}"
    if target.needs == "expects-header":
        wanted = (target.name or "").lower()
        return f"expects header {target.name}" if any(k.lower() == wanted for k in response.headers) else None
    if not response.has_body or response.body is None:
        return None
    if target.needs == "response-media":
        content_type = response.content_type or next(
            (v[0] for k, v in response.headers.items() if k.lower() == "content-type" and v), None
        )
        picked = pick_media({target.media: {}} if target.media else {}, content_type)
        return f"reads a {target.media} body" if picked else None
    if target.needs == "reads":
        if not target.path:
            return "reads the response body"
        return f"reads {json_path(target.path)}" if reads(read_paths(response.body), target.path) else None
    if target.needs == "reads-value":
        rules = Rules.from_pact(response.matching_rules)
        for path, value in iter_json(response.body):
            if generalise(path) == target.path and value in target.values and rules.is_exact(path):
                return f"expects exactly {json_path(target.path)} == {value!r}"
    return None


def _request_dependency(target: Target, recorded: _Recorded, head: SpecDocument) -> str | None:
    request = recorded.interaction.request
    assert request is not None
    has_body = request.body not in (None, "")
    if target.needs == "no-body":
        return "sends no request body" if not has_body else None
    if target.needs == "request-media":
        content_type = request.content_type or next(
            (v[0] for k, v in request.headers.items() if k.lower() == "content-type" and v), None
        )
        if not has_body:
            return None
        return (
            f"sends {content_type}"
            if pick_media({target.media: {}} if target.media else {}, content_type)
            else None
        )
    if target.needs == "no-credentials":
        return _lacks_credentials(target, recorded, head)
    if target.where != "body":
        sent = _parameter(recorded, target.where, target.name or "")
        if target.needs == "lacks":
            return f"does not send {target.where} parameter '{target.name}'" if sent is None else None
        if sent is None:
            return None
        if target.needs == "sends":
            return f"sends {target.where} parameter '{target.name}'"
        value = coerce(head, head.at(target.pointer or ""), target.pointer or "", sent)
        if schema_errors(head, target.pointer or "", value, response=False):
            return f"sends {target.where} parameter '{target.name}' = {sent[0]!r}, which the new spec rejects"
        return None
    if not has_body:
        return None
    rules = Rules.from_pact(request.matching_rules)
    for path, value in iter_json(request.body):
        if generalise(path) != target.path:
            continue
        if target.needs == "lacks" and isinstance(value, dict) and target.name not in value:
            where = f"{json_path(target.path)}" if target.path else "a request body"
            return f"sends {where} without '{target.name}'"
        if target.needs == "sends":
            return f"sends {json_path(target.path)}"
        if target.needs == "violates":
            if schema_errors(head, target.pointer or "", value, response=False):
                return f"sends {json_path(target.path)} = {_short(value)}, which the new spec rejects"
            if not rules.is_exact(path):
                return (
                    f"sends {json_path(target.path)} with a matcher (any value of its type),"
                    " which the new spec narrows"
                )
    return None


def _parameter(recorded: _Recorded, where: str, name: str) -> list[str] | None:
    request = recorded.interaction.request
    assert request is not None
    if where == "query":
        return request.query.get(name)
    if where == "header":
        return next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)
    if where == "path":
        value = recorded.path_params.get(name)
        return None if value is None else [value]
    return None


def _lacks_credentials(target: Target, recorded: _Recorded, head: SpecDocument) -> str | None:
    """True unless the request carries what one of the head's security alternatives asks for."""
    request = recorded.interaction.request
    assert request is not None
    schemes = (head.data.get("components") or {}).get("securitySchemes") or {}
    headers = {k.lower() for k in request.headers}
    for alternative in target.schemes:
        if all(_carries(schemes.get(name) or {}, headers, request.query) for name in alternative):
            return None
    wanted = " or ".join("+".join(a) for a in target.schemes)
    return f"sends no credentials for {wanted}"


def _carries(scheme: dict[str, Any], headers: set[str], query: dict[str, list[str]]) -> bool:
    if scheme.get("type") == "apiKey":
        name = str(scheme.get("name", ""))
        if scheme.get("in") == "query":
            return name in query
        if scheme.get("in") == "cookie":
            return "cookie" in headers
        return name.lower() in headers
    return "authorization" in headers  # http (basic, bearer), oauth2, openIdConnect


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."
