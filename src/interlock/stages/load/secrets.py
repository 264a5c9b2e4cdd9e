"""The credentials a locustfile sends, read from its source without running it.

A locustfile is user code, so interlock cannot know every value it computes; it does know the
literal ones: ``headers={"Authorization": "Bearer abc"}``, ``self.client.headers["X-Api-Key"] =
"abc"``, ``auth=("user", "password")``, ``API_TOKEN = "abc"``. Those are known secrets of the run, masked wherever the
target (or Locust) prints them. A file that does not parse gives none (Locust reports it).
"""

from __future__ import annotations

import ast
from pathlib import Path

from interlock.core.known_secrets import header_secrets
from interlock.core.redact import Secret, looks_secret_env


def locustfile_secrets(path: Path) -> list[Secret]:
    """Literal credentials in ``path``: secret-named header values, the password of ``auth=``
    tuples, and constants bound to secret-looking names."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    headers: dict[str, list[str]] = {}
    found: list[Secret] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                _literal_pair(key, value, headers)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and node.value is not None:
                    _literal_pair(target.slice, node.value, headers)
                elif isinstance(target, ast.Name) and looks_secret_env(target.id):
                    found += _constant(node.value, f"the locustfile's {target.id}")
        elif isinstance(node, ast.keyword) and node.arg == "auth" and isinstance(node.value, ast.Tuple):
            found += _constant(node.value.elts[-1] if node.value.elts else None, "the locustfile's auth")
    return [*header_secrets(headers, "the locustfile's"), *found]


def _constant(node: ast.expr | None, meaning: str) -> list[Secret]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [Secret(node.value, meaning=meaning)]
    return []


def _literal_pair(key: ast.expr | None, value: ast.expr, into: dict[str, list[str]]) -> None:
    if (
        isinstance(key, ast.Constant)
        and isinstance(key.value, str)
        and isinstance(value, ast.Constant)
        and isinstance(value.value, str)
    ):
        into.setdefault(key.value, []).append(value.value)
