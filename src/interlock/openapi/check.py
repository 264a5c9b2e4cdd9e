"""Check pact interactions against the provider's OpenAPI spec, offline (bi-directional contracts).

For each interaction: the path and method exist; the path, query and header parameters and the
request body are valid for the operation; the response status is declared; the recorded response
body, read with its matching rules (see :mod:`.matching`), is valid against the declared schema;
and a field the consumer reads that the spec marks optional or nullable, or does not declare, is
reported as a risk (a warning). Request examples are checked as recorded: they are what the
consumer really sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlock.core.verdict import CheckResult, Finding, Severity, Status
from interlock.openapi.document import Operation, SpecDocument, escape, iter_json
from interlock.openapi.matching import Rules, generalise, json_path
from interlock.openapi.shapes import CONSTRAINTS, shape_at, shape_of
from interlock.pacts.pactfile import PactFile, PactInteraction, PactRequest, PactResponse

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

STAGE = "contracts"
#: Schema keywords that only restrict values: a matcher that accepts any value of a type relaxes them.
VALUE_KEYWORDS = {"enum", "const", "pattern", "format", *CONSTRAINTS}
#: Response keywords about fields the consumer did not record (it reads only what it recorded).
UNRECORDED_KEYWORDS = {"required", "minProperties", "dependentRequired"}
#: Request headers OpenAPI describes elsewhere than in parameters (OpenAPI 3: "SHALL be ignored").
IGNORED_HEADERS = {"content-type", "accept", "authorization"}


@dataclass(frozen=True)
class Problem:
    """One way an interaction disagrees with the spec, and where in the spec."""

    severity: Severity
    what: str
    location: str


def check_pact(
    doc: SpecDocument,
    pact: PactFile,
    *,
    integration: str,
    pact_label: str,
    spec_label: str,
    reproduce_cmd: str | None = None,
) -> list[CheckResult]:
    """One CheckResult per HTTP interaction of ``pact``; one Finding per problem."""
    reproduce = reproduce_cmd or f"interlock contracts check-spec --only {integration}"
    checks = []
    for interaction in pact.interactions:
        if interaction.request is None:
            continue  # message interactions have no HTTP operation to check
        problems = check_interaction(doc, interaction)
        findings = [
            _finding(p, interaction, pact, integration, pact_label, spec_label, reproduce) for p in problems
        ]
        failed = any(p.severity == Severity.ERROR for p in problems) and not interaction.pending
        checks.append(
            CheckResult(
                name=f"spec: {pact_label} :: {interaction.description}",
                status=Status.FAILED if failed else Status.PASSED,
                findings=findings,
                message="pending interaction: failures do not fail the gate"
                if interaction.pending and problems
                else "",
            )
        )
    return checks


def _finding(
    problem: Problem,
    interaction: PactInteraction,
    pact: PactFile,
    integration: str,
    pact_label: str,
    spec_label: str,
    reproduce: str,
) -> Finding:
    request = interaction.request
    severity = (
        Severity.WARNING if interaction.pending and problem.severity == Severity.ERROR else problem.severity
    )
    detail = "\n".join(
        [
            f"pact:        {pact_label} ({pact.consumer} -> {pact.provider})",
            f"interaction: {interaction.description}",
            f"request:     {request.method} {request.path}" if request else "",
            f"spec:        {spec_label} {problem.location}",
        ]
    )
    return Finding(
        stage=STAGE,
        integration=integration,
        severity=severity,
        title=f"{interaction.description}: {problem.what}",
        detail=detail,
        reproduce=reproduce,
    )


def check_interaction(doc: SpecDocument, interaction: PactInteraction) -> list[Problem]:
    request = interaction.request
    assert request is not None
    match = doc.match_path(request.method, request.path)
    if match is None:
        return [
            Problem(
                Severity.ERROR,
                f"{request.method} {request.path} is not in the spec (no path matches)",
                "#/paths",
            )
        ]
    if match.operation is None:
        return [
            Problem(
                Severity.ERROR,
                f"{request.method} is not allowed on {match.template}"
                f" (the spec has {', '.join(match.allowed)})",
                f"#/paths/{escape(match.template)}",
            )
        ]
    op = match.operation
    problems = list(_check_request(doc, op, request, match.params))
    if interaction.response is not None:
        problems += _check_response(doc, op, interaction.response)
    return problems


# -- request ------------------------------------------------------------------------------------


def _check_request(
    doc: SpecDocument,
    op: Operation,
    request: PactRequest,
    path_params: dict[str, str],
) -> Iterator[Problem]:
    headers = {k.lower(): v for k, v in request.headers.items()}
    sent: dict[str, dict[str, list[str]]] = {
        "path": {k: [v] for k, v in path_params.items()},
        "query": request.query,
        "header": headers,
    }
    for param, pointer in op.parameters:
        location, name = str(param.get("in")), str(param.get("name"))
        if location not in sent or (location == "header" and name.lower() in IGNORED_HEADERS):
            continue
        values = sent[location].get(name.lower() if location == "header" else name)
        where = f"{op.label} parameters/{location}/{name} #{pointer}"
        if values is None:
            if param.get("required"):
                yield Problem(Severity.ERROR, f"required {location} parameter '{name}' is not sent", where)
            continue
        if "schema" in param:
            value = coerce(doc, param["schema"], f"{pointer}/schema", values)
            for message, _, schema_ptr in schema_errors(doc, f"{pointer}/schema", value, response=False):
                yield Problem(
                    Severity.ERROR,
                    f"{location} parameter '{name}' {_short(values)}: {message}",
                    f"{op.label} parameters/{location}/{name} #{schema_ptr}",
                )
    for name in request.query:
        if op.parameter("query", name) is None:
            yield Problem(
                Severity.WARNING,
                f"query parameter '{name}' is not declared by the spec",
                f"{op.label} #{op.pointer}/parameters",
            )
    yield from _check_request_body(doc, op, request)


def _check_request_body(doc: SpecDocument, op: Operation, request: PactRequest) -> Iterator[Problem]:
    raw = op.spec.get("requestBody")
    if raw is None:
        if request.body not in (None, ""):
            yield Problem(
                Severity.ERROR,
                "sends a request body, but the operation declares none",
                f"{op.label} #{op.pointer}",
            )
        return
    body_spec, body_ptr = doc.resolve(raw, f"{op.pointer}/requestBody")
    if request.body in (None, ""):
        if body_spec.get("required"):
            yield Problem(
                Severity.ERROR,
                "sends no request body, but the spec requires one",
                f"{op.label} requestBody #{body_ptr}",
            )
        return
    content_type = request.content_type or _first(request.headers, "content-type")
    if content_type is None and isinstance(request.body, dict | list):
        content_type = "application/json"
    picked = pick_media(body_spec.get("content") or {}, content_type)
    if picked is None:
        declared = ", ".join(body_spec.get("content") or {}) or "none"
        yield Problem(
            Severity.ERROR,
            f"request Content-Type {content_type} is not accepted (the spec has {declared})",
            f"{op.label} requestBody #{body_ptr}/content",
        )
        return
    media, media_ptr = picked, f"{body_ptr}/content/{escape(picked)}"
    if "schema" in body_spec["content"][media] and _is_json(media):
        for message, path, schema_ptr in schema_errors(
            doc, f"{media_ptr}/schema", _json_body(request.body), response=False
        ):
            yield Problem(
                Severity.ERROR,
                f"request body {json_path(path)}: {message}",
                f"{op.label} requestBody #{schema_ptr}",
            )


# -- response -----------------------------------------------------------------------------------


def _check_response(doc: SpecDocument, op: Operation, response: PactResponse) -> list[Problem]:
    found = declared_response(op, response.status)
    if found is None:
        declared = ", ".join(str(k) for k in op.spec.get("responses") or {})
        return [
            Problem(
                Severity.ERROR,
                f"response status {response.status} is not declared (the spec declares {declared or 'none'})",
                f"{op.label} #{op.pointer}/responses",
            )
        ]
    key, raw = found
    spec_response, resp_ptr = doc.resolve(raw, f"{op.pointer}/responses/{escape(key)}")
    where = f"{op.label} responses/{key}"
    problems = _check_response_headers(doc, response, spec_response, resp_ptr, where)
    if response.body is None:
        return problems
    content = spec_response.get("content") or {}
    if not content:
        return [
            *problems,
            Problem(
                Severity.ERROR,
                f"the consumer expects a response body, but the spec declares none for {key}",
                f"{where} #{resp_ptr}",
            ),
        ]
    content_type = response.content_type or _first(response.headers, "content-type")
    picked = pick_media(content, content_type)
    if picked is None:
        return [
            *problems,
            Problem(
                Severity.ERROR,
                f"response Content-Type {content_type} is not declared for"
                f" {key} (declared: {', '.join(content)})",
                f"{where} #{resp_ptr}/content",
            ),
        ]
    media, media_ptr = picked, f"{resp_ptr}/content/{escape(picked)}"
    if "schema" not in content[media] or not _is_json(media):
        return problems
    body, rules = _json_body(response.body), Rules.from_pact(response.matching_rules)
    for message, path, schema_ptr in schema_errors(
        doc, f"{media_ptr}/schema", body, response=True, rules=rules
    ):
        problems.append(
            Problem(Severity.ERROR, f"response body {json_path(path)}: {message}", f"{where} #{schema_ptr}")
        )
    problems += _risks(doc, (content[media]["schema"], f"{media_ptr}/schema"), body, where)
    return problems


def _check_response_headers(
    doc: SpecDocument, response: PactResponse, spec_response: dict[str, Any], resp_ptr: str, where: str
) -> list[Problem]:
    declared = {
        k.lower(): (v, f"{resp_ptr}/headers/{escape(k)}")
        for k, v in (spec_response.get("headers") or {}).items()
    }
    rules = Rules.from_pact(response.matching_rules, "header")
    problems = []
    for name, values in response.headers.items():
        if name.lower() == "content-type":
            continue
        if name.lower() not in declared:
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"expects response header '{name}', which the spec does not declare",
                    f"{where} #{resp_ptr}/headers",
                )
            )
            continue
        header, header_ptr = doc.resolve(*declared[name.lower()])
        if "schema" not in header or not rules.is_exact((name.lower(),)):
            continue
        value = coerce(doc, header["schema"], f"{header_ptr}/schema", values)
        for message, _, schema_ptr in schema_errors(doc, f"{header_ptr}/schema", value, response=True):
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"response header '{name}' {_short(values)}: {message}",
                    f"{where} #{schema_ptr}",
                )
            )
    return problems


def _risks(doc: SpecDocument, root: tuple[Any, str], body: Any, where: str) -> list[Problem]:
    """Fields the consumer reads that the spec does not promise: optional, nullable or undeclared."""
    problems: list[Problem] = []
    seen: set[tuple[str, ...]] = set()
    for path, value in iter_json(body):
        if not path or not isinstance(path[-1], str) or generalise(path) in seen:
            continue
        seen.add(generalise(path))
        parent, node = shape_at(doc, root, path)
        if parent is None or not parent.is_object:
            continue
        field = json_path(generalise(path))
        if node is None:
            if parent.properties and not parent.variants:  # a free-form object promises no field
                problems.append(
                    Problem(
                        Severity.WARNING,
                        f"reads {field}, which the spec does not declare",
                        f"{where} #{parent.pointer}/properties",
                    )
                )
            continue
        if path[-1] not in parent.required:
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"reads {field}, which the spec marks optional (not required)",
                    f"{where} #{parent.pointer}/required",
                )
            )
        if node.nullable and value is not None:
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"reads {field}, which the spec marks nullable",
                    f"{where} #{node.pointer}",
                )
            )
    return problems


# -- helpers ------------------------------------------------------------------------------------


def declared_response(op: Operation, status: int) -> tuple[str, Any] | None:
    """The response an operation declares for ``status``: exact code, then ``2XX``, then ``default``."""
    responses = op.spec.get("responses") or {}
    for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if key in responses:
            return key, responses[key]
    return None


def pick_media(content: dict[str, Any], content_type: str | None) -> str | None:
    """The declared media type serving ``content_type``; ranges (``application/*``) match too."""
    if not content:
        return None
    keys = list(content)
    if content_type is None:
        chosen = next((k for k in keys if _is_json(k)), keys[0])
    else:
        wanted = content_type.split(";")[0].strip().lower()
        candidates = [wanted, wanted.split("/")[0] + "/*", "*/*"]
        lowered = {k.split(";")[0].strip().lower(): k for k in keys}
        found = next((lowered[c] for c in candidates if c in lowered), None)
        if found is None:
            return None
        chosen = found
    return chosen


def schema_errors(
    doc: SpecDocument, pointer: str, value: Any, *, response: bool, rules: Rules | None = None
) -> list[tuple[str, tuple[str | int, ...], str]]:
    """(message, instance path, schema pointer) for each error that counts under ``rules``."""
    found = []
    for error in doc.validator(pointer, response=response).iter_errors(value):
        for counted in _counted(error, response, rules):
            schema_ptr = doc.pointer_of(counted.schema) or pointer
            found.append(
                (f"{_message(counted)} ({counted.validator})", tuple(counted.absolute_path), schema_ptr)
            )
    return sorted(found, key=lambda item: (item[2], item[0]))


def _counted(error: ValidationError, response: bool, rules: Rules | None) -> list[ValidationError]:
    if response and error.validator in UNRECORDED_KEYWORDS:
        return []
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        counted = [[c for sub in subs for c in _counted(sub, response, rules)] for subs in branches.values()]
        if len(branches) < len(error.validator_value) or any(not c for c in counted):
            return []  # some branch accepts the value once the matchers are taken into account
        return min(counted, key=len)
    path = tuple(error.absolute_path)
    if rules is not None and error.validator in VALUE_KEYWORDS and not rules.is_exact(path):
        return []
    return [error]


def coerce(doc: SpecDocument, schema: Any, pointer: str, values: list[str]) -> Any:
    """A parameter's string value(s) as the JSON value its schema describes (simple style)."""
    shape = shape_of(doc, schema, pointer)
    if "array" in shape.types:
        items = values if len(values) > 1 else values[0].split(",") if values else []
        inner = shape_of(doc, *shape.items) if shape.items else None
        return [_scalar(v, inner.types if inner else set()) for v in items]
    return _scalar(values[0] if values else "", shape.types)


def _scalar(text: str, types: set[str]) -> Any:
    if "string" in types or not types:
        return text
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in types or "integer" in types:
        try:
            return float(text)
        except ValueError:
            return text
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text


def _json_body(body: Any) -> Any:
    if isinstance(body, str):
        try:
            return json.loads(body)
        except json.JSONDecodeError:
            return body
    return body


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    return next((v[0] for k, v in headers.items() if k.lower() == name and v), None)


def _is_json(media: str) -> bool:
    return "json" in media.lower() or media == "*/*"


def _message(error: ValidationError) -> str:
    text = str(error.message)
    if error.validator == "const":
        text = f"{error.instance!r} is not {error.validator_value!r}"
    return text if len(text) <= 200 else text[:200] + "..."


def _short(values: list[str]) -> str:
    return repr(values[0]) if len(values) == 1 else repr(values)
