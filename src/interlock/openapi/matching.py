"""Pact matching rules, read the way the Pact core reads them, to know what a consumer relies on.

A body path in a pact (``$.items[*].sku``) names the values a matcher governs. The most specific
rule that covers a value wins, and a rule on a container cascades to everything inside it (a
``type`` matcher on an object means "any object of this shape"). For spec checks that yields:

* *exact* values (no matcher, or ``equality``): the consumer expects exactly this value, so every
  schema keyword applies to it (an enum that does not list it is a real conflict);
* *matched* values (``type``, ``integer``, ``regex``, ``include``, ...): the consumer accepts any
  value of that kind, so only the JSON type must agree with the spec, not its enum or pattern.

The pact paths are small enough (``$``, ``.name``, ``['name']``, ``[0]``, ``[*]``, ``.*``) to parse here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from interlock.openapi.document import iter_json

InstancePath = tuple[str | int, ...]
WILDCARD = "*"
_TOKEN = re.compile(
    r"\.(?P<name>[^.\[\]]+)|\[(?P<index>\d+)\]|\['(?P<quoted>(?:[^'\\]|\\.)*)'\]|\[(?P<star>\*)\]"
)
#: Matchers that still expect exactly the example value.
EXACT_MATCHERS = {"equality"}


def parse_path(text: str) -> tuple[str | int, ...] | None:
    """Tokens of a pact path; None if it is not one this module understands."""
    if not text.startswith("$"):
        return None
    tokens: list[str | int] = []
    position = 1
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            return None
        if found.group("name") is not None:
            tokens.append(found.group("name"))
        elif found.group("index") is not None:
            tokens.append(int(found.group("index")))
        elif found.group("quoted") is not None:
            tokens.append(found.group("quoted").replace("\\'", "'"))
        else:
            tokens.append(WILDCARD)
        position = found.end()
    return tuple(tokens)


@dataclass(frozen=True)
class Rules:
    """The rules of one category (``body``, ``header``, ``query``) of a request or response."""

    rules: tuple[tuple[tuple[str | int, ...], tuple[dict[str, Any], ...]], ...]

    @classmethod
    def from_pact(cls, matching_rules: dict[str, Any], category: str = "body") -> Rules:
        parsed = []
        for text, rule in (matching_rules.get(category) or {}).items():
            # body rules are keyed by a path, header and query rules by a name (headers in any case)
            tokens = (
                parse_path(text) if category == "body" else (text.lower() if category == "header" else text,)
            )
            matchers = rule.get("matchers") if isinstance(rule, dict) else None
            if tokens is not None and isinstance(matchers, list):
                parsed.append((tokens, tuple(m for m in matchers if isinstance(m, dict))))
        return cls(tuple(parsed))

    def matchers_for(self, path: InstancePath) -> tuple[dict[str, Any], ...]:
        """The matchers governing the value at ``path``: the most specific rule that covers it."""
        best: tuple[tuple[int, int], tuple[dict[str, Any], ...]] | None = None
        for tokens, matchers in self.rules:
            if len(tokens) > len(path):
                continue
            if not all(_token_matches(t, p) for t, p in zip(tokens, path, strict=False)):
                continue
            weight = (len(tokens), -sum(t == WILDCARD for t in tokens))
            if best is None or weight > best[0]:
                best = (weight, matchers)
        return best[1] if best else ()

    def is_exact(self, path: InstancePath) -> bool:
        """True when the consumer expects exactly the recorded value at ``path``."""
        return all(str(m.get("match")) in EXACT_MATCHERS for m in self.matchers_for(path))


def _token_matches(token: str | int, key: str | int) -> bool:
    return token in (WILDCARD, key)


def generalise(path: InstancePath) -> tuple[str, ...]:
    """``('items', 0, 'sku')`` -> ``('items', '[*]', 'sku')``: the path as a schema sees it."""
    return tuple("[*]" if isinstance(key, int) else key for key in path)


def read_paths(body: Any) -> set[tuple[str, ...]]:
    """Every path the consumer's recorded response body holds (what it reads), arrays generalised."""
    return {generalise(path) for path, _ in iter_json(body) if path}


def reads(paths: Iterable[tuple[str, ...]], target: tuple[str, ...]) -> bool:
    """Does a consumer that reads ``paths`` depend on ``target`` (it, or anything inside it)?"""
    return any(p[: len(target)] == target for p in paths)


def json_path(path: Iterable[str | int]) -> str:
    """``('items', 0, 'sku')`` -> ``$.items[0].sku``."""
    text = "$"
    for key in path:
        if isinstance(key, int) or key == "[*]":
            text += f"[{key}]" if isinstance(key, int) else "[*]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
            text += f".{key}"
        else:
            text += "['" + key.replace("'", "\\'") + "']"
    return text
