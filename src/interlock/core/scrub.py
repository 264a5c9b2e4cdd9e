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

Files are streamed in blocks of whole lines (about 1 MiB; a longer line in pieces cut where no
known secret straddles the cut), in one pass into a new file that replaces the old one only when
something was masked, so names and modes stay.
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
#: Text is processed in blocks of whole lines of about this size; a longer line comes in pieces.
MAX_BLOCK = 1024 * 1024
#: JSON documents up to this size are parsed whole; larger ones are scrubbed as text.
MAX_JSON_BYTES = 64 * 1024 * 1024
#: Suffixes of markup and scripts: only known values are masked there (rules by name would break
#: a script that happens to have a ``token: x`` line).
MARKUP_SUFFIXES = frozenset({".html", ".htm", ".js", ".css", ".svg", ".xml"})
_QUOTED_MEMBER = re.compile(r"""(["'])([A-Za-z0-9_.-]+)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4)[^\\\r\n])*)\4""")
_REFERENCE = re.compile(r"^\$\{?INTERLOCK_[A-Z0-9_]+\}?$")
#: A word one of the rules by name looks for (header and field names, ``Bearer``): lines without
#: one only get known values replaced.
_TRIGGER_WORDS = ("auth", "bearer", "cookie", "key", "token", "secret", "passw", "credential", "session")


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
    if suffix == ".json" and path.stat().st_size <= MAX_JSON_BYTES:
        return "masked" if _scrub_json(path, policy) else "clean"
    if suffix == ".jsonl":
        rule: Callable[[str], str] = lambda block: _json_lines(policy, block)  # noqa: E731
    elif suffix in MARKUP_SUFFIXES:
        rule = policy.known_values
    else:
        rule = lambda block: _text_block(policy, block)  # noqa: E731
    return "masked" if _rewrite_blocks(path, rule, _secret_bytes(policy)) else "clean"


def _secret_bytes(policy: RedactionPolicy) -> tuple[bytes, ...]:
    return tuple(s.value.encode("utf-8", "surrogateescape") for s in policy.secrets)


def _text_block(policy: RedactionPolicy, block: str) -> str:
    """Lines of text: known values everywhere (one pass over the block); the rules by name only
    on lines with a word they look for, which most log lines lack (that keeps it fast)."""
    block = policy.known_values(block)
    if not _triggers(block):
        return block
    return "".join(
        artefact_text(policy, line) if _triggers(line) else line for line in block.splitlines(keepends=True)
    )


def _triggers(text: str) -> bool:
    """Whether ``text`` has a word a rule by name looks for (``in`` on the lower case: a regex with
    alternatives scans a megabyte some fifteen times slower)."""
    lower = text.lower()
    return any(word in lower for word in _TRIGGER_WORDS)


def _scrub_json(path: Path, policy: RedactionPolicy) -> bool:
    """Mask a JSON document by member name and value; False when clean. Not JSON: scrub as text."""
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    try:
        data = json.loads(text)
    except ValueError:
        return _rewrite_blocks(path, lambda block: _text_block(policy, block), _secret_bytes(policy))
    masked = policy.fields(data)
    if masked == data:
        return False
    _replace(path, lambda out: out.write(json.dumps(masked, indent=1).encode("utf-8", "surrogateescape")))
    return True


def _json_lines(policy: RedactionPolicy, block: str) -> str:
    return "".join(_json_line(policy, line) for line in block.splitlines(keepends=True))


def _json_line(policy: RedactionPolicy, line: str) -> str:
    body = line.rstrip("\r\n")
    try:
        data = json.loads(body)
    except ValueError:
        return _text_block(policy, line)
    masked = policy.fields(data)
    if masked == data:
        return line
    return json.dumps(masked, separators=(",", ":")) + line[len(body) :]


def _rewrite_blocks(path: Path, rule: Callable[[str], str], secrets: tuple[bytes, ...]) -> bool:
    """Stream ``path`` through ``rule`` block by block into a new file; swap it in only if a
    block changed (one pass: the new file is dropped when nothing was masked)."""
    changed = False

    def write(out: IO[bytes]) -> None:
        nonlocal changed
        with path.open("rb") as source:
            for block in _blocks(source, secrets):
                scrubbed = rule(block.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
                changed = changed or scrubbed != block
                out.write(scrubbed)

    _replace(path, write, keep=lambda: changed)
    return changed


def _blocks(handle: IO[bytes], secrets: tuple[bytes, ...]) -> Iterator[bytes]:
    """Whole lines of ``handle``, about :data:`MAX_BLOCK` bytes at a time; a line longer than
    that comes in pieces, each cut where no known secret straddles the cut."""
    carry = b""
    while True:
        chunk = handle.read(MAX_BLOCK)
        if not chunk:
            if carry:
                yield carry
            return
        data = carry + chunk
        end = data.rfind(b"\n") + 1
        if end == 0:
            if len(data) < MAX_BLOCK:
                carry = data
                continue
            end = _safe_cut(data, len(data), secrets)
        carry = data[end:]
        if end:
            yield data[:end]


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


def _replace(path: Path, write: Callable[[IO[bytes]], Any], keep: Callable[[], bool] = lambda: True) -> None:
    """Write a new version of ``path`` beside it, then swap it in (same name, same mode) unless
    ``keep`` says after writing that it is the same."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".scrub", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        if keep():
            shutil.copymode(path, temporary)
            os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
