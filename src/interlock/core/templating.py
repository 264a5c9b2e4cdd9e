"""Placeholders in manifest strings: ``{port}``, ``{url:SERVICE}`` and ``{proxy:INTEGRATION}``.

``{{`` and ``}}`` stand for literal braces, so a JSON value in an env var stays writable. A
single brace that opens or closes no placeholder (``--port {port``) is an error, not literal text:
otherwise the service would start with the typo in its command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# An escaped brace, a placeholder (group 1), or a brace that belongs to neither (group 2).
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|([{}])")
KINDS = ("port", "url", "proxy")


@dataclass(frozen=True)
class Placeholder:
    kind: str  # "port" | "url" | "proxy"
    arg: str | None  # the service or integration name; None for {port}


class TemplateError(ValueError):
    """A placeholder interlock does not know, or a brace that opens or closes none."""


def placeholders(text: str) -> list[Placeholder]:
    """Every placeholder in ``text``, in order; raises TemplateError for unknown ones."""
    found = []
    for match in _TOKEN.finditer(text):
        _check_brace(match, text)
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
        _check_brace(match, text)
        return resolve(_parse(match.group(1)))

    return _TOKEN.sub(substitute, text)


def _check_brace(match: re.Match[str], text: str) -> None:
    brace = match.group(2)
    if brace is None:
        return
    at = match.start()
    shown = text[at : at + 24] if brace == "{" else text[max(0, at - 23) : at + 1]
    what = "unclosed '{'" if brace == "{" else "unmatched '}'"
    raise TemplateError(
        f"{what} in '{shown}' (placeholders are {{port}}, {{url:SERVICE}} or {{proxy:INTEGRATION}};"
        " write {{ and }} for literal braces)"
    )


def _parse(body: str) -> Placeholder:
    kind, sep, arg = body.strip().partition(":")
    kind, arg = kind.strip(), arg.strip()
    if kind == "port" and not sep:
        return Placeholder("port", None)
    if kind in ("url", "proxy") and arg:
        return Placeholder(kind, arg)
    raise TemplateError(
        f"unknown placeholder '{{{body}}}' (use {{port}}, {{url:SERVICE}} or {{proxy:INTEGRATION}};"
        " write {{ and }} for literal braces)"
    )
