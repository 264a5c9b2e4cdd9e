"""Load JSON input files (pacts, OpenAPI JSON specs, fuzz baselines) within bounds.

Like :mod:`interlock.core.yamlfile`, a file from another team's repository is measured before
anything walks it: a document nested deeper than :data:`MAX_DEPTH` would crash the parser, or
any recursive code after it (validators, matchers), with a RecursionError; a file larger than
:data:`MAX_BYTES` would take memory a run cannot spare. Either is a one-line ConfigError naming
the file (exit 2), found in one linear pass over the text before it is parsed.
"""

from __future__ import annotations

import json
from itertools import accumulate
from pathlib import Path
from typing import Any

from interlock.core.errors import ConfigError
from interlock.core.yamlfile import MAX_DEPTH, read_input

__all__ = ["MAX_BYTES", "MAX_DEPTH", "load_json", "parse_json"]

#: The largest JSON input read, in bytes: a pact of 40,000 interactions is about 60 MB.
MAX_BYTES = 256 * 1024 * 1024

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def load_json(path: Path, *, missing: str = "no such file", kind: str = "JSON file") -> Any:
    """The JSON value in ``path``; a missing, oversized, too deep or invalid file is a ConfigError."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_input says why it cannot be read
    if size > MAX_BYTES:
        raise ConfigError(_too_large(size), path)
    return parse_json(read_input(path, missing=missing, kind=kind), path)


def parse_json(text: str, path: Path | str) -> Any:
    """Parse JSON text that came from ``path`` (used in messages only)."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BYTES:
        raise ConfigError(_too_large(len(raw)), path)
    depth = nesting_depth(raw)
    if depth > MAX_DEPTH:
        raise ConfigError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep", path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", path, exc.lineno) from None
    except RecursionError:  # cannot happen below MAX_DEPTH; kept so no input ever shows a traceback
        raise ConfigError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep", path) from None


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings ignored).

    Linear, without recursion, and mostly in C: escaped backslashes and quotes are dropped (a
    run of backslashes pairs up from the left, as in JSON), every byte but brackets and quotes
    is deleted, what is left between quotes is cut out, and the running sum of +1/-1 is taken.
    Invalid JSON may give a meaningless figure; the parser rejects it right after.
    """
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Every other piece between quotes is outside a string (an unclosed string runs to the end).
    brackets = b"".join(raw.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def _too_large(size: int) -> str:
    return f"too large: {size / 1024 / 1024:.0f} MB (interlock reads JSON files up to {MAX_BYTES // 1024 // 1024} MB)"
