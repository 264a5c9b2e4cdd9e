"""Searching logs for known secret values: which values, which lines, and within which bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core import log_scan
from interlock.core.log_scan import ScanState, bits_per_char, distinctive, excerpt, scan_log

TOKEN = b"tok-9fQ2xLr7Kp"
KEY = b"key-Zt55m4N6yw"


@pytest.mark.parametrize(
    "value",
    [
        "true",
        "admin",
        "1",
        "password",
        "changeme",
        "aaaaaaaaaaaa",
        "12345678",
        "1712345678901",
        "http://127.0.0.1:8080/token",
        "https://auth.example.com",
        "   short  ",
    ],
)
def test_common_or_short_values_are_not_searched_for(value: str) -> None:
    assert not distinctive(value)


@pytest.mark.parametrize(
    "value",
    [
        "tok-9fQ2xLr7Kp",
        "envtok-7Q2xLr91",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
        "admin123",
        "https://user:s3cr3t-Pw@db.example.com",
        "supersecrettoken",
    ],
)
def test_credentials_are_searched_for(value: str) -> None:
    assert distinctive(value)


def test_entropy_is_per_character() -> None:
    assert bits_per_char("") == 0.0 and bits_per_char("aaaa") == 0.0
    assert bits_per_char("abcdefgh") == pytest.approx(3.0)


def write(path: Path, *lines: str, newline: bool = True) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + ("\n" if newline else ""))


def test_finds_the_first_line_and_counts_the_lines(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    write(log, "starting", f"config token={TOKEN.decode()}", "ok", f"sent {TOKEN.decode()} again", "bye")
    hits = scan_log(log, [TOKEN, KEY], ScanState())
    assert set(hits) == {TOKEN}
    assert (hits[TOKEN].line, hits[TOKEN].text, hits[TOKEN].lines) == (2, f"config token={TOKEN.decode()}", 2)


def test_a_scan_resumes_where_the_last_stopped(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    write(log, "one", f"leak {TOKEN.decode()}")
    state = ScanState()
    assert scan_log(log, [TOKEN], state)[TOKEN].line == 2
    write(log, "three", "four")
    assert scan_log(log, [TOKEN], state) == {}  # only the new lines were read
    write(log, f"again {TOKEN.decode()}")
    assert scan_log(log, [TOKEN], state)[TOKEN].line == 5  # line numbers carry over


def test_a_value_learnt_later_is_searched_for_in_what_was_scanned_before(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    write(log, f"early {KEY.decode()}", "two")
    state = ScanState()
    assert scan_log(log, [TOKEN], state) == {}
    write(log, "three")
    hits = scan_log(log, [TOKEN, KEY], state)
    assert hits[KEY].line == 1


def test_an_unfinished_last_line_is_searched_and_read_again_when_complete(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    write(log, "one", f"half {TOKEN.decode()}", newline=False)
    state = ScanState()
    assert scan_log(log, [TOKEN], state)[TOKEN].line == 2
    assert state.offset == len(b"one\n") and state.line == 1
    write(log, " done", "three")
    assert scan_log(log, [TOKEN], state)[TOKEN].line == 2


def test_values_across_block_boundaries_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_scan, "BLOCK", 64)
    log = tmp_path / "svc.log"
    lines = [f"line {i:03d} " + "x" * (i % 50) for i in range(200)]
    lines[137] = f"line 137 {TOKEN.decode()} end"
    write(log, *lines)
    hit = scan_log(log, [TOKEN], ScanState())[TOKEN]
    assert (hit.line, hit.text) == (138, f"line 137 {TOKEN.decode()} end")


def test_only_the_first_part_of_a_huge_log_is_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_scan, "MAX_LOG_BYTES", 1000)
    log = tmp_path / "svc.log"
    write(log, *(["filler line"] * 200), f"late {TOKEN.decode()}")
    state = ScanState()
    assert scan_log(log, [TOKEN], state) == {}
    assert state.capped and state.offset <= 1000


def test_excerpt_cuts_long_lines_around_the_masked_value() -> None:
    line = "a" * 1000 + "[REDACTED]" + "b" * 1000
    shown = excerpt(line, "[REDACTED]")
    assert "[REDACTED]" in shown and len(shown) <= log_scan.SHOWN_LINE + 6
    assert shown.startswith("...") and shown.endswith("...")
    assert excerpt("short [REDACTED]", "[REDACTED]") == "short [REDACTED]"
