"""Redact secrets (Authorization, Cookie, API keys, tokens, passwords) from report text.

Applied to every string of a verdict when reports are written, so no stage has to remember to.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "[REDACTED]"
_SECRET_NAME = (
    r"(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|apikey|"
    r"access[-_]?token|refresh[-_]?token|id[-_]?token|token|secret|client[-_]?secret|password|passwd)"
)

_PATTERNS = [
    # Header lines and curl -H arguments: "Authorization: Bearer abc"
    re.compile(rf"(?i)(\b{_SECRET_NAME}\s*:\s*)([^\r\n'\"]+)"),
    # JSON members: "password": "hunter2"
    re.compile(rf'(?i)("{_SECRET_NAME}"\s*:\s*")([^"]*)'),
    # Query strings and form bodies: ?token=abc&
    re.compile(rf"(?i)([?&;]{_SECRET_NAME}=)([^&\s'\"]+)"),
    # Bare bearer tokens anywhere
    re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9\-._~+/]+=*)"),
]


_SECRET_KEY = re.compile(rf"(?i){_SECRET_NAME}")


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def redact_data(value: Any) -> Any:
    """``value`` with every string in it redacted (dicts, lists and tuples are walked)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    return value


def redact_fields(value: Any) -> Any:
    """:func:`redact_data`, and also the whole value of every member named like a secret.

    For records such as a worker's job, where a secret is a plain value under its header's name
    (``{"X-Api-Key": "abc"}``) that no text pattern would recognise.
    """
    if isinstance(value, dict):
        return {
            key: MASK
            if isinstance(key, str) and isinstance(item, str) and _SECRET_KEY.fullmatch(key)
            else redact_fields(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_fields(item) for item in value]
    return redact_data(value)
