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
    except ValueError as exc:
        raise ConfigError(f"not a usable pact: {exc}", path) from None
    spec = (data.get("metadata") or {}).get("pactSpecification", {}).get("version", "unknown")
    return PactFile(path, consumer, provider, str(spec), interactions)


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
    request = _request(item["request"]) if isinstance(item.get("request"), dict) else None
    if request is None and kind == "Synchronous/HTTP":
        raise ValueError(f"interaction '{item['description']}' has no request")
    response = (
        _response(item["response"], item["description"]) if isinstance(item.get("response"), dict) else None
    )
    return PactInteraction(
        item["description"], tuple(states), request, bool(item.get("pending", False)), kind, response
    )


def _body(raw: dict[str, Any]) -> tuple[Any, str | None]:
    body, content_type = raw.get("body"), None
    if isinstance(body, dict) and "content" in body and ("contentType" in body or "encoded" in body):  # V4
        content_type = body.get("contentType")
        body = body["content"]
    return body, content_type


def _headers(raw: dict[str, Any]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [str(v)] for k, v in (raw.get("headers") or {}).items()}


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
    if not isinstance(status, int):
        raise ValueError(
            f"interaction '{description}' has a response status that is not a number: {status!r}"
        )
    body, content_type = _body(raw)
    return PactResponse(
        status, _headers(raw), body, content_type, _matching_rules(raw), has_body="body" in raw
    )


def _request(raw: dict[str, Any]) -> PactRequest:
    body, content_type = _body(raw)
    headers = _headers(raw)
    query = raw.get("query") or {}
    if isinstance(query, str):  # V2 query string
        query = {k: [v] for k, _, v in (part.partition("=") for part in query.split("&") if part)}
    return PactRequest(
        str(raw.get("method", "GET")).upper(),
        str(raw.get("path", "/")),
        {k: v if isinstance(v, list) else [str(v)] for k, v in query.items()},
        headers,
        body,
        content_type,
        _matching_rules(raw),
    )
