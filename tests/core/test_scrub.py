"""Scrubbing a run directory: every kind of artefact masked by the run's one policy, nothing else."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from interlock.core import scrub
from interlock.core.redact import MASK, RedactionPolicy, Secret
from interlock.core.scrub import artefact_text, scrub_file, scrub_tree

POLICY = RedactionPolicy().with_secrets([Secret("s3cr3t-value"), Secret("tok-9876")])


def test_logs_lose_known_values_header_lines_bearer_and_quoted_secret_members() -> None:
    cases = {
        "starting with PAYMENTS_TOKEN=s3cr3t-value": f"starting with PAYMENTS_TOKEN={MASK}",
        "Authorization: Basic dXNlcjpwYXNz": f"Authorization: {MASK}",
        "GET /a headers={'Host': 'x', 'X-Api-Key': 'k-123', 'Accept': '*/*'}": (
            f"GET /a headers={{'Host': 'x', 'X-Api-Key': '{MASK}', 'Accept': '*/*'}}"
        ),
        '{"password": "hunter22", "user": "ann"}': f'{{"password": "{MASK}", "user": "ann"}}',
        "calling with Bearer abc.def-123": f"calling with Bearer {MASK}",
    }
    for line, masked in cases.items():
        assert artefact_text(POLICY, line) == masked


def test_labels_and_references_survive() -> None:
    for line in [
        "POST /oauth2/token: 500 Internal Server Error",
        "check ignored_auth passed; token bucket refilled",
        '{"token_count": 3, "author": "ann", "authorization": ""}',
        'curl -H "Authorization: $INTERLOCK_AUTHORIZATION" http://x/',
        '{"api_key": "$INTERLOCK_X_API_KEY"}',
    ]:
        assert artefact_text(POLICY, line) == line


def test_a_run_directory_is_scrubbed_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "services").mkdir()
    log = tmp_path / "services" / "vault.log"
    log.write_bytes(b"token tok-9876 used\n\xff\xfe not utf-8 s3cr3t-value\nno newline at the end tok-9876")
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps({"headers": {"X-Api-Key": "abc-1234"}, "note": "sent tok-9876", "n": 1}, indent=1)
    )
    lines = tmp_path / "samples.jsonl"
    lines.write_text('{"secret": "tok-9876x", "n": 1}\nAuthorization: Basic abcd\n{"ok": true}\n')
    page = tmp_path / "locust-report.html"
    page.write_text("<script>\n  token: e.token,\n</script>\n<td>tok-9876</td>\n")
    png = tmp_path / "plot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\0\0 tok-9876")
    clean = tmp_path / "clean.log"
    clean.write_text("nothing to hide\n")
    os.chmod(log, 0o640)
    before = clean.stat()

    report = scrub_tree(tmp_path, POLICY)

    assert log.read_bytes() == (
        f"token {MASK} used\n".encode()
        + b"\xff\xfe not utf-8 "
        + f"{MASK}\nno newline at the end {MASK}".encode()
    )
    assert oct(log.stat().st_mode & 0o777) == "0o640"
    assert json.loads(job.read_text()) == {"headers": {"X-Api-Key": MASK}, "note": f"sent {MASK}", "n": 1}
    assert lines.read_text() == f'{{"secret":"{MASK}","n":1}}\nAuthorization: {MASK}\n{{"ok": true}}\n'
    assert page.read_text() == f"<script>\n  token: e.token,\n</script>\n<td>{MASK}</td>\n"  # script intact
    assert png.read_bytes().endswith(b"tok-9876")  # binary: left alone
    assert clean.stat().st_ino == before.st_ino and clean.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in report.masked) == [
        "job.json",
        "locust-report.html",
        "samples.jsonl",
        "vault.log",
    ]
    assert [p.name for p in report.binary] == ["plot.png"] and report.files == 6 and not report.problems
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["services", "vault.log", "job.json", "samples.jsonl", "locust-report.html", "plot.png", "clean.log"]
    )  # no temporary file left, names kept


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.log"
    outside.write_text("tok-9876\n")
    run = tmp_path / "run"
    run.mkdir()
    (run / "link.log").symlink_to(outside)
    assert scrub_tree(run, POLICY).files == 0
    assert outside.read_text() == "tok-9876\n"


@pytest.mark.parametrize("offset", range(14))
def test_a_secret_across_the_cut_of_an_overlong_line_is_still_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offset: int
) -> None:
    monkeypatch.setattr(scrub, "MAX_BLOCK", 16)
    path = tmp_path / "long.log"
    text = "x" * offset + "s3cr3t-value" + "y" * 40 + "tok-9876" + "z" * 7 + "\nend\n"
    path.write_text(text)
    assert scrub_file(path, POLICY) == "masked"
    assert path.read_text() == text.replace("s3cr3t-value", MASK).replace("tok-9876", MASK)


def test_a_file_that_cannot_be_scrubbed_is_a_problem_and_the_rest_are_still_scrubbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.log").write_text("tok-9876\n")
    (tmp_path / "b.log").write_text("tok-9876\n")
    real = scrub.scrub_file

    def flaky(path: Path, policy: RedactionPolicy) -> str:
        if path.name == "a.log":
            raise OSError("vanished")
        return real(path, policy)

    monkeypatch.setattr(scrub, "scrub_file", flaky)
    report = scrub_tree(tmp_path, POLICY)
    assert len(report.problems) == 1 and "a.log: OSError: vanished" in report.problems[0]
    assert (tmp_path / "b.log").read_text() == f"{MASK}\n"
