"""Find known secret values in a log file: streamed in blocks, bounded, with line numbers.

Used after every stage on the services' logs (:mod:`interlock.app.log_secrets`), so it must cost
little on large logs: the file is read in blocks of :data:`BLOCK` bytes (never whole), only the
first :data:`MAX_LOG_BYTES` of a log are ever scanned, and a scan can resume where the last one
stopped. Each value is searched with ``bytes.find`` over a block (no regex, no per-line loop), so
a scan costs about one pass over the new bytes per value.

Which values are worth searching for is :func:`distinctive`: a gating finding must be right, and
a short or common value ("true", "admin", "8080", a URL) turns up in logs by chance.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: A value shorter than this is not searched for: short strings occur in logs by chance.
MIN_LENGTH = 8
#: Nor one whose characters carry less information than this (Shannon entropy, bits per
#: character): "password", "changeme", "aaaaaaaa" are words or patterns, not credentials.
MIN_BITS_PER_CHAR = 3.0
#: Bytes read at a time.
BLOCK = 1 << 20
#: Only this much of a log is scanned, from its start (a chatty load-test log can grow without end).
MAX_LOG_BYTES = 64 << 20
#: A line shown in a finding is cut to this many characters around the secret.
SHOWN_LINE = 240


def bits_per_char(value: str) -> float:
    """Shannon entropy of the characters of ``value``."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values()) if value else 0.0


def distinctive(value: str) -> bool:
    """Whether ``value`` is unlikely to appear in a log unless it was logged on purpose.

    At least :data:`MIN_LENGTH` characters and :data:`MIN_BITS_PER_CHAR` bits per character, not
    all digits (numbers are everywhere in logs: ports, times, sizes) and not a URL without
    credentials (an address, even under a secret-looking name such as ``AUTH_URL``). A random
    8-character token from 62 symbols has about 48 bits; "admin" (too short), "password" (2.75
    bits per character) or "12345678" (digits) are not searched for.
    """
    value = value.strip()
    if len(value) < MIN_LENGTH or value.isdigit() or bits_per_char(value) < MIN_BITS_PER_CHAR:
        return False
    scheme, sep, rest = value.partition("://")
    return not (sep and scheme.isalpha() and "@" not in rest.split("/", 1)[0])


@dataclass
class Hit:
    """Where one value was first found, and on how many lines of the scanned part."""

    line: int  #: 1-based
    text: str  #: that line, whole (mask the secrets in it, then cut it with :func:`excerpt`)
    lines: int = 1


@dataclass
class ScanState:
    """How far a log was scanned, so the next scan reads only what was written since."""

    offset: int = 0
    line: int = 0  #: newlines before ``offset``
    #: The values the part before ``offset`` was searched for.
    searched: set[bytes] = field(default_factory=set)
    #: The log is larger than :data:`MAX_LOG_BYTES`: the rest is not scanned.
    capped: bool = False


def scan_log(path: Path, values: Sequence[bytes], state: ScanState) -> dict[bytes, Hit]:
    """Search ``path`` for ``values``: what was written since ``state`` for all of them, and the part
    scanned before for values it was not searched for yet. ``state`` is advanced.

    A last line without its newline is searched but not passed, so it is read again when complete.
    """
    hits: dict[bytes, Hit] = {}
    new = [v for v in values if v not in state.searched]
    if new and state.offset:
        _scan_range(path, new, 0, 0, state.offset, hits)
    end = min(path.stat().st_size, MAX_LOG_BYTES)
    state.capped = path.stat().st_size > MAX_LOG_BYTES
    if end > state.offset:
        state.offset, state.line = _scan_range(path, values, state.offset, state.line, end, hits)
    state.searched.update(values)
    return hits


def _scan_range(
    path: Path, values: Sequence[bytes], start: int, line: int, end: int, hits: dict[bytes, Hit]
) -> tuple[int, int]:
    """Scan ``[start, end)`` whole lines at a time; returns the offset and line count reached."""
    with path.open("rb") as log:
        log.seek(start)
        carry = b""
        position = start
        while position < end:
            data = log.read(min(BLOCK, end - position))
            if not data:
                break
            position += len(data)
            block = carry + data
            cut = block.rfind(b"\n") + 1
            if cut == 0 and len(block) < BLOCK and position < end:
                carry = block  # a line longer than one read: keep reading (bounded by BLOCK)
                continue
            whole = block[:cut] if cut else block
            _search(whole, values, line, hits)
            line += whole.count(b"\n")
            start += len(whole)
            carry = block[len(whole) :]
        if carry:
            _search(carry, values, line, hits)  # the unfinished last line: searched, not passed
    return start, line


def _search(block: bytes, values: Sequence[bytes], first_line: int, hits: dict[bytes, Hit]) -> None:
    for value in values:
        at = block.find(value)
        counted_to, line = 0, first_line
        while at >= 0:
            line += block.count(b"\n", counted_to, at)
            counted_to = at
            line_start = block.rfind(b"\n", 0, at) + 1
            line_end = block.find(b"\n", at)
            line_end = len(block) if line_end < 0 else line_end
            hit = hits.get(value)
            if hit is None:
                text = block[line_start:line_end].decode("utf-8", errors="replace").rstrip("\r")
                hits[value] = Hit(line + 1, text)
            else:
                hit.lines += 1
            at = block.find(value, line_end)


def excerpt(text: str, around: str) -> str:
    """``text`` cut to about :data:`SHOWN_LINE` characters around the first ``around`` in it.

    Cut only after masking: a cut through a secret would leave a piece of it unmasked.
    """
    if len(text) <= SHOWN_LINE:
        return text
    start = max(0, text.find(around) - SHOWN_LINE // 2)
    end = start + SHOWN_LINE
    return ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")
