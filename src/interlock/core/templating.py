"""Placeholders in manifest strings: ``{port}``, ``{url:SERVICE}`` and ``{proxy:INTEGRATION}``.

``{{`` and ``}}`` stand for literal braces, so a JSON value in an env var stays writable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
KINDS = ("port", "url", "proxy")


@dataclass(frozen=True)
class Placeholder:
    kind: str  # "port" | "url" | "proxy"
    arg: str | None  # the service or integration name; None for {port}


class TemplateError(ValueError):
    """A placeholder interlock does not know."""


def placeholders(text: str) -> list[Placeholder]:
    """Every placeholder in ``text``, in order; raises TemplateError for unknown ones."""
    found = []
    for match in _TOKEN.finditer(text):
        body = match.group(1)
        if body is not None:
            found.append(_parse(body))
    return found


def render(text: str, resolve: Callable[[Placeholder], str]) -> str:
    """Replace every placeholder with ``resolve(placeholder)``."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return resolve(_parse(match.group(1)))

    return _TOKEN.sub(substitute, text)


def _parse(body: str) -> Placeholder:
    kind, sep, arg = body.strip().partition(":")
    kind, arg = kind.strip(), arg.strip()
    if kind == "port" and not sep:
        return Placeholder("port", None)
    if kind in ("url", "proxy") and arg:
        return Placeholder(kind, arg)
    raise TemplateError(
        f"unknown placeholder '{{{body}}}' (use {{port}}, {{url:SERVICE}} or {{proxy:INTEGRATION}};"
        " write {{{{ and }}}} for literal braces)"
    )
