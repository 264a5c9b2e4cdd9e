"""Whether a response's JSON schema declares a member: what the API documents is not a finding.

A member the spec names (``properties``, a matching ``patternProperties``, a typed
``additionalProperties`` map, ``items`` / ``prefixItems``) is part of the contract: an admin
endpoint that declares ``sys_executable`` returns a path on purpose, and a job API that declares
``traceback`` returns one on purpose. The leak check only judges what the spec does not declare.

Local ``$ref`` pointers (``#/x-bundled/schema1``, ``#/components/schemas/Item``) are resolved
inside the schema given, which is how schemathesis bundles a response schema; ``allOf``,
``anyOf`` and ``oneOf`` declare what any of their branches declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

#: A JSON member's place in a document: object keys and array indexes, from the root.
JsonPath = tuple[str | int, ...]
#: Nesting of $ref / allOf / ... followed per step: a guard against recursive schemas.
_MAX_EXPANSION = 32


def declares(schema: Any, path: Sequence[str | int]) -> bool:
    """Whether ``schema`` (a JSON schema; its root holds what its ``$ref`` point to) declares ``path``."""
    if not isinstance(schema, Mapping):
        return False
    current = list(_expand(schema, schema, 0))
    for step in path:
        current = [child for node in current for child in _children(schema, node, step)]
        if not current:
            return False
    return bool(current)


def _expand(root: Mapping[str, Any], node: Any, depth: int) -> Iterator[Mapping[str, Any]]:
    """``node`` and every schema it stands for (its $ref target, its allOf/anyOf/oneOf branches)."""
    if not isinstance(node, Mapping) or depth > _MAX_EXPANSION:
        return
    yield node
    reference = node.get("$ref")
    if isinstance(reference, str):
        target = _pointer(root, reference)
        if target is not None:
            yield from _expand(root, target, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        branches = node.get(keyword)
        if isinstance(branches, list):
            for branch in branches:
                yield from _expand(root, branch, depth + 1)


def _children(
    root: Mapping[str, Any], node: Mapping[str, Any], step: str | int
) -> Iterator[Mapping[str, Any]]:
    """The schemas ``node`` declares for the member ``step`` (a key or an index)."""
    found: list[Any] = []
    if isinstance(step, int):
        prefix = node.get("prefixItems")
        items = node.get("items")
        if isinstance(prefix, list) and step < len(prefix):
            found.append(prefix[step])
        elif isinstance(items, list):
            found.append(items[step] if step < len(items) else node.get("additionalItems"))
        else:
            found.append(items)
    else:
        properties = node.get("properties")
        if isinstance(properties, Mapping) and step in properties:
            found.append(properties[step])
        patterns = node.get("patternProperties")
        if isinstance(patterns, Mapping):
            found += [sub for pattern, sub in patterns.items() if _matches(pattern, step)]
        found.append(node.get("additionalProperties"))  # a typed map declares every value
    for child in found:
        if child:  # an empty schema ({}) allows anything and declares nothing
            yield from _expand(root, child, 0)


def _pointer(root: Mapping[str, Any], reference: str) -> Any:
    """The target of a local JSON pointer (``#/a/b``) inside ``root``, or None."""
    if not reference.startswith("#"):
        return None
    target: Any = root
    for raw in reference[1:].split("/")[1:] if reference != "#" else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, Mapping) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return None
    return target


def _matches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False
