"""Read pact files (V2-V4) into the few facts interlock reports on.

The Pact core does the verifying; interlock only needs each interaction's description,
provider states and request, to name them in findings and to build a reproduction, and the
response with its matching rules, to check the interaction against the provider's OpenAPI
spec offline (:mod:`interlock.openapi`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.core.errors import ConfigError
from interlock.core.jsonfile import load_json

_V2_RULE = re.compile(r"^\$\.(body|headers?)(.*)$")
_METHOD = re.compile(r"^[A-Za-z]+$")
_SUPPORTED_VERSION = re.compile(r"^v?[1-4](\.\d+){0,2}$")
#: The specification a pact without a version is read as: the Pact core's default.
ASSUMED_SPECIFICATION = "3.0.0"


@dataclass(frozen=True)
class ProviderState:
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.name} {json.dumps(self.params, sort_keys=True)}" if self.params else self.name


@dataclass(frozen=True)
class PactRequest:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: Any = None
    content_type: str | None = None
    #: V3/V4 shape, ``{"body": {"$.amount": {"matchers": [...]}}, "header": {...}}`` (V2 is converted).
    matching_rules: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PactResponse:
    status: int
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: Any = None
    content_type: str | None = None
    matching_rules: dict[str, Any] = field(default_factory=dict)
    #: False when the pact says nothing about the body (the consumer reads none of it).
    has_body: bool = False


@dataclass(frozen=True)
class PactInteraction:
    description: str
    states: tuple[ProviderState, ...]
    request: PactRequest | None  # None for message interactions
    pending: bool = False
    kind: str = "Synchronous/HTTP"
    response: PactResponse | None = None  # None for message interactions


@dataclass(frozen=True)
class PactFile:
    path: Path
    consumer: str
    provider: str
    specification: str
    interactions: tuple[PactInteraction, ...]


def load_pact(path: Path) -> PactFile:
    """Parse ``path``; anything that is not a usable pact raises ConfigError naming the file."""
    data = load_json(path, missing="pact file not found", kind="pact file")
    if not isinstance(data, dict):
        raise ConfigError("not a pact file: the top level must be a JSON object", path)
    try:
        consumer = _name(data, "consumer")
        provider = _name(data, "provider")
        raw = data.get("interactions")
        if not isinstance(raw, list):
            raise ValueError("'interactions' must be a list")
        interactions = tuple(_interaction(item, index) for index, item in enumerate(raw))
        spec = _specification(data.get("metadata"))
    except ValueError as exc:
        raise ConfigError(f"not a usable pact: {exc}", path) from None
    return PactFile(path, consumer, provider, spec, interactions)


def _specification(metadata: Any) -> str:
    """The file's Pact specification version; only 1.x to 4.x, which the Pact core reads.

    Like the Pact core (pact_models' ``determine_spec_version``), a file without metadata or
    without a version is read as V3 (:data:`ASSUMED_SPECIFICATION`). A version the core does not
    know it would load as "unknown" and guess at; here it is bad input, said up front.
    """
    if metadata is None:
        return ASSUMED_SPECIFICATION
    if not isinstance(metadata, dict):
        raise ValueError(f"'metadata' must be an object, got {_json_type(metadata)}")
    key = next((k for k in ("pactSpecification", "pact-specification") if k in metadata), None)
    if key is None:
        legacy = metadata.get("pactSpecificationVersion")
        return (
            _supported_version(legacy, "pactSpecificationVersion")
            if legacy is not None
            else ASSUMED_SPECIFICATION
        )
    spec = metadata[key]
    if not isinstance(spec, dict):
        raise ValueError(f"'metadata.{key}' must be an object, got {_json_type(spec)}")
    if spec.get("version") is None:
        return ASSUMED_SPECIFICATION
    return _supported_version(spec["version"], f"{key}.version")


def _supported_version(version: Any, where: str) -> str:
    if not isinstance(version, str):
        raise ValueError(f"'metadata.{where}' must be a string, got {_json_type(version)}")
    if not _SUPPORTED_VERSION.match(version):
        raise ValueError(
            f"unsupported Pact specification version {version!r} in 'metadata.{where}'"
            " (the Pact core reads versions 1.x, 2.x, 3.x and 4.x)"
        )
    return version


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _name(data: dict[str, Any], role: str) -> str:
    party = data.get(role)
    if not isinstance(party, dict) or not isinstance(party.get("name"), str) or not party["name"]:
        raise ValueError(f"'{role}.name' is missing")
    return str(party["name"])


def _interaction(item: Any, index: int) -> PactInteraction:
    if not isinstance(item, dict) or not isinstance(item.get("description"), str):
        raise ValueError(f"interaction {index} has no 'description'")
    states: list[ProviderState] = []
    if isinstance(item.get("providerStates"), list):  # V3/V4
        for state in item["providerStates"]:
            if not isinstance(state, dict) or not isinstance(state.get("name"), str):
                raise ValueError(f"interaction '{item['description']}' has a provider state without a name")
            states.append(ProviderState(state["name"], dict(state.get("params") or {})))
    elif isinstance(item.get("providerState"), str):  # V2
        states.append(ProviderState(item["providerState"]))
    kind = str(item.get("type", "Synchronous/HTTP"))
    raw_request = item.get("request")
    if raw_request is not None and not isinstance(raw_request, dict):
        raise ValueError(f"interaction '{item['description']}': 'request' must be an object")
    request = _request(raw_request, item["description"]) if raw_request is not None else None
    if request is None and kind == "Synchronous/HTTP":
        raise ValueError(f"interaction '{item['description']}' has no request")
    response = (
        _response(item["response"], item["description"]) if isinstance(item.get("response"), dict) else None
    )
    return PactInteraction(
        item["description"], tuple(states), request, bool(item.get("pending", False)), kind, response
    )


def _body(raw: dict[str, Any], where: str) -> tuple[Any, str | None]:
    body, content_type = raw.get("body"), None
    if isinstance(body, dict) and "content" in body and ("contentType" in body or "encoded" in body):  # V4
        content_type = body.get("contentType")
        if content_type is not None and not isinstance(content_type, str):
            raise ValueError(f"{where}.body.contentType must be a string, got {_json_type(content_type)}")
        body = body["content"]
    return body, content_type


def _headers(raw: dict[str, Any], where: str) -> dict[str, list[str]]:
    return _multimap(raw.get("headers"), f"{where}.headers")


def _multimap(value: Any, where: str, *, valueless: bool = False) -> dict[str, list[str]]:
    """Headers or a query: each name to a string or a list of strings (V2 and V3+ shapes).

    With ``valueless``, a list item may be null: a V4 query parameter without a value (``?flag``).
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object, got {_json_type(value)}")
    result: dict[str, list[str]] = {}
    for name, item in value.items():
        values = item if isinstance(item, list) else [item]
        if not all(_scalar(v) or (valueless and v is None) for v in values):
            raise ValueError(f"{where}.{name} must be a string or a list of strings, got {item!r:.60}")
        result[name] = ["" if v is None else str(v) for v in values]
    return result


def _matching_rules(raw: dict[str, Any]) -> dict[str, Any]:
    """Matching rules in the V3/V4 shape; V2's flat ``{"$.body.x": {...}}`` is converted."""
    rules = raw.get("matchingRules")
    if not isinstance(rules, dict):
        return {}
    if not any(key.startswith("$.") for key in rules):
        return rules
    converted: dict[str, dict[str, Any]] = {}
    for key, rule in rules.items():  # V2: one matcher per path, no "matchers" list
        found = _V2_RULE.match(key)
        if found and found.group(1) == "body":
            converted.setdefault("body", {})["$" + found.group(2)] = {"matchers": [rule]}
        elif found and found.group(1).startswith("header"):
            converted.setdefault("header", {})[found.group(2).lstrip(".")] = {"matchers": [rule]}
    return converted


def _response(raw: dict[str, Any], description: str) -> PactResponse:
    status = raw.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool):
        raise ValueError(
            f"interaction '{description}' has a response status that is not a number: {status!r}"
        )
    body, content_type = _body(raw, f"interaction '{description}': response")
    headers = _headers(raw, f"interaction '{description}': response")
    return PactResponse(status, headers, body, content_type, _matching_rules(raw), has_body="body" in raw)


def _request(raw: dict[str, Any], description: str) -> PactRequest:
    """The request; a field of the wrong type names the interaction (the Pact core defaults
    a missing method to GET and a missing path to /, as here)."""
    where = f"interaction '{description}': request"
    method, path = raw.get("method", "GET"), raw.get("path", "/")
    if not isinstance(method, str) or not _METHOD.match(method):
        raise ValueError(f"{where}.method must be an HTTP method name, got {method!r:.60}")
    if not isinstance(path, str):
        raise ValueError(f"{where}.path must be a string, got {_json_type(path)}")
    body, content_type = _body(raw, where)
    headers = _headers(raw, where)
    query = raw.get("query")
    if isinstance(query, str):  # V2 query string
        query = {k: [v] for k, _, v in (part.partition("=") for part in query.split("&") if part)}
    return PactRequest(
        method.upper(),
        path,
        _multimap(query, f"{where}.query", valueless=True),
        headers,
        body,
        content_type,
        _matching_rules(raw),
    )
