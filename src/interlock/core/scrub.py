"""Scrub a run directory: the run's one redaction policy applied to every file in it.

Reports are redacted as they are rendered, but much of a run directory is written by other
processes (service and proxy logs, worker and Locust output, the Pact verifier's log) or by a
stage from data it never inspected (a worker's result, a journal). So once every child of the
run has stopped, and before the reports are written, every file under the run directory passes
the same :class:`~interlock.core.redact.RedactionPolicy`:

* JSON documents (``*.json``) are parsed and masked by member name and known value
  (:meth:`RedactionPolicy.fields`), then rewritten with the same indentation interlock uses;
* JSON lines (``*.jsonl``) likewise, line by line;
* any other text is masked line by line: known values, secret header lines (``Authorization:
  ...``), curl ``-H`` arguments, bearer credentials, and quoted members named like a secret
  (``"password": "..."``, ``'x-api-key': '...'``, as a service prints a dict of headers); page
  markup and scripts (``.html``, ``.js``, ...) get known values only, so Locust's page still works;
* binary files (a NUL byte in the first 8 KiB: plots, databases) are left alone.

Files are streamed (lines up to 1 MiB at a time, longer ones in pieces cut where no known
secret straddles the cut), rewritten only when something was masked, and keep their names and modes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from interlock.core.redact import MASK, SECRET_FIELD, RedactionPolicy

#: Bytes read to decide whether a file is binary.
SNIFF_BYTES = 8192
#: The longest line processed at once; longer lines are processed in pieces.
MAX_LINE = 1024 * 1024
#: JSON documents up to this size are parsed whole; larger ones are scrubbed as text.
MAX_JSON_BYTES = 64 * 1024 * 1024
#: Suffixes of markup and scripts: only known values are masked there (rules by name would break
#: a script that happens to have a ``token: x`` line).
MARKUP_SUFFIXES = frozenset({".html", ".htm", ".js", ".css", ".svg", ".xml"})
_QUOTED_MEMBER = re.compile(r"""(["'])([A-Za-z0-9_.-]+)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4)[^\\\r\n])*)\4""")
_REFERENCE = re.compile(r"^\$\{?INTERLOCK_[A-Z0-9_]+\}?$")


@dataclass
class ScrubReport:
    """What a scrub did: for the run's console and for tests."""

    files: int = 0
    masked: list[Path] = field(default_factory=list)
    binary: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def artefact_text(policy: RedactionPolicy, text: str) -> str:
    """One line of an artefact: :meth:`RedactionPolicy.text` and quoted members named like secrets."""
    return _QUOTED_MEMBER.sub(_quoted_member, policy.text(text))


def _quoted_member(match: re.Match[str]) -> str:
    value = match.group(5)
    if not SECRET_FIELD.fullmatch(match.group(2)) or not value.strip() or _REFERENCE.match(value):
        return match.group(0)
    quote = match.group(4)
    return f"{match.group(1)}{match.group(2)}{match.group(1)}{match.group(3)}{quote}{MASK}{quote}"


def scrub_tree(root: Path, policy: RedactionPolicy) -> ScrubReport:
    """Apply ``policy`` to every regular file under ``root`` (symlinks are not followed)."""
    started = time.monotonic()
    report = ScrubReport()
    for directory, _dirs, names in os.walk(root):
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file():
                continue
            report.files += 1
            try:
                outcome = scrub_file(path, policy)
            except (OSError, ValueError) as exc:
                report.problems.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            if outcome == "binary":
                report.binary.append(path)
            elif outcome == "masked":
                report.masked.append(path)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def scrub_file(path: Path, policy: RedactionPolicy) -> str:
    """Scrub one file in place: ``"masked"``, ``"clean"`` or ``"binary"`` (left alone)."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if b"\0" in head:
        return "binary"
    suffix = path.suffix.lower()
    if suffix == ".json" and path.stat().st_size <= MAX_JSON_BYTES and _scrub_json(path, policy):
        return "masked"
    if suffix == ".json" and path.stat().st_size <= MAX_JSON_BYTES:
        return "clean"
    if suffix == ".jsonl":
        line_rule: Callable[[str], str] = lambda line: _json_line(policy, line)  # noqa: E731
    elif suffix in MARKUP_SUFFIXES:
        line_rule = policy.known_values
    else:
        line_rule = lambda line: artefact_text(policy, line)  # noqa: E731
    return "masked" if _rewrite_lines(path, line_rule, _secret_bytes(policy)) else "clean"


def _secret_bytes(policy: RedactionPolicy) -> tuple[bytes, ...]:
    return tuple(s.value.encode("utf-8", "surrogateescape") for s in policy.secrets)


def _scrub_json(path: Path, policy: RedactionPolicy) -> bool:
    """Mask a JSON document by member name and value; False when clean. Not JSON: scrub as text."""
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    try:
        data = json.loads(text)
    except ValueError:
        return _rewrite_lines(path, lambda line: artefact_text(policy, line), _secret_bytes(policy))
    masked = policy.fields(data)
    if masked == data:
        return False
    _replace(path, lambda out: out.write(json.dumps(masked, indent=1).encode("utf-8", "surrogateescape")))
    return True


def _json_line(policy: RedactionPolicy, line: str) -> str:
    body = line.rstrip("\r\n")
    try:
        data = json.loads(body)
    except ValueError:
        return artefact_text(policy, line)
    masked = policy.fields(data)
    if masked == data:
        return line
    return json.dumps(masked, separators=(",", ":")) + line[len(body) :]


def _rewrite_lines(path: Path, rule: Callable[[str], str], secrets: tuple[bytes, ...]) -> bool:
    """Stream ``path`` through ``rule`` piece by piece; rewrite it only if a piece changed."""
    with path.open("rb") as handle:
        changed = any(_apply(rule, piece) != piece for piece in _pieces(handle, secrets))
    if changed:

        def write(out: IO[bytes]) -> None:
            with path.open("rb") as source:
                for piece in _pieces(source, secrets):
                    out.write(_apply(rule, piece))

        _replace(path, write)
    return changed


def _apply(rule: Callable[[str], str], piece: bytes) -> bytes:
    text = piece.decode("utf-8", "surrogateescape")
    return rule(text).encode("utf-8", "surrogateescape")


def _pieces(handle: IO[bytes], secrets: tuple[bytes, ...]) -> Iterator[bytes]:
    """Lines of ``handle``; a line longer than :data:`MAX_LINE` comes in pieces, each cut before
    any known secret that would straddle the cut, so no secret is ever split in two."""
    carry = b""
    while True:
        chunk = handle.readline(MAX_LINE)
        if not chunk:
            if carry:
                yield carry
            return
        data = carry + chunk
        if data.endswith(b"\n"):
            carry = b""
            yield data
            continue
        cut = _safe_cut(data, len(data), secrets)
        carry = data[cut:]
        if cut:
            yield data[:cut]


def _safe_cut(data: bytes, cut: int, secrets: tuple[bytes, ...]) -> int:
    """The largest position <= ``cut`` that no secret straddles: neither a whole occurrence nor a
    start of one at the end of ``data`` (its rest may come with the next piece)."""
    moved = True
    while moved and cut > 0:
        moved = False
        for secret in secrets:
            for at in range(max(0, cut - len(secret) + 1), cut):
                if secret.startswith(data[at : at + len(secret)]):
                    cut, moved = at, True
                    break
    return cut


def _replace(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write a new version of ``path`` beside it, then swap it in (same name, same mode)."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".scrub", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
