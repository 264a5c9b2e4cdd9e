"""End to end: imperfect specs, redirects and spent budgets, as real APIs have them.

The provider (tests/fixtures/imperfect_provider.py) has a Swagger 2.0 spec with two operations
schemathesis cannot test (``type: int``; an undefined path parameter), an undocumented redirect,
and in one variant a real bug. Plain ``st run`` from the project's venv runs on the same fixture
where the two must agree (redirects).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import running
from tests.stages.fuzz.test_gate import findings, fuzz

pytestmark = pytest.mark.slow

BROKEN = ("GET /legacy", "GET /orders/{order_id}")


def checks(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The first integration's fuzz checks by name (both integrations get the same ones)."""
    return {c["name"]: c for c in verdict["integrations"][0]["stages"][0]["checks"]}


def test_broken_operations_are_warnings_and_the_rest_is_fuzzed(tmp_path: Path) -> None:
    with running("tests.fixtures.imperfect_provider:clean") as url:
        proc, verdict = fuzz(tmp_path, url, "", "--max-examples", "5", "--exclude-operation", "GET /moved")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    by_name = checks(verdict)
    assert "payments fuzz run" not in by_name
    items = by_name["payments GET /items"]
    assert items["status"] == "passed" and items["message"].startswith(
        tuple(f"{n} requests" for n in range(1, 999))
    )
    assert "phases: examples, coverage, fuzzing" in items["message"]
    legacy = by_name["payments GET /legacy"]["findings"]
    assert [f["severity"] for f in legacy] == ["warning"]
    assert legacy[0]["title"].startswith("GET /legacy: not tested: Schema Error: Invalid `type` definition")
    orders = by_name["payments GET /orders/{order_id}"]["findings"]
    assert any("Path parameter 'order_id' is not defined" in f["title"] for f in orders), orders
    coverage = by_name["payments coverage"]
    assert coverage["status"] == "passed" and coverage["findings"][0]["severity"] == "warning"
    assert all(f"spec problem: {op}" in coverage["findings"][0]["detail"] for op in BROKEN)
    assert "2 of 3 operations not fully tested because of problems in the spec" in proc.stdout
    summary = (tmp_path / "reports" / "latest" / "summary.md").read_text()
    assert "GET /legacy: not tested" in summary and "Path parameter 'order_id' is not defined" in summary

    with running("tests.fixtures.imperfect_provider:crashing") as url:
        proc, verdict = fuzz(tmp_path, url, "", "--max-examples", "10", "--exclude-operation", "GET /moved")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    crash = findings(verdict, "not_a_server_error")
    assert crash and all(f["title"].startswith("GET /items: ") for f in crash)
    by_name = checks(verdict)
    assert "payments fuzz run" not in by_name and by_name["payments GET /items"]["status"] == "failed"
    assert [f["severity"] for f in by_name["payments GET /legacy"]["findings"]] == ["warning"]


def st_codes(url: str, *args: str) -> set[str]:
    """The failure codes plain `st run` (the project's schemathesis) reports for GET /moved."""
    st = Path(sys.executable).with_name("st")
    checks = "status_code_conformance,content_type_conformance"
    command = [str(st), "run", f"{url}/openapi.json", "--url", url, "-n", "5", "--seed", "1"]
    out = subprocess.run(
        [*command, "--include-path", "/moved", "--checks", checks, *args],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return set(re.findall(r"^- (ST\d+) ", out, re.MULTILINE))


def interlock_codes(verdict: dict[str, Any]) -> set[str]:
    return {m for f in findings(verdict) for m in re.findall(r"\((ST\d+)\)", f["detail"])}


def test_redirects_follow_st_run_by_default_and_max_redirects_changes_it(tmp_path: Path) -> None:
    suite = 'include: ["GET /moved"]\nchecks: {disable: [no_leakage]}\n'
    with running("tests.fixtures.imperfect_provider:clean") as url:
        _, followed = fuzz(tmp_path, url, suite, "--max-examples", "5")
        _, not_followed = fuzz(tmp_path, url, suite, "--max-examples", "5", "--max-redirects", "0")
        st_default, st_zero = st_codes(url), st_codes(url, "--max-redirects", "0")
    # st run by default follows the same-host 302 to an HTML page: an undocumented content type
    assert st_default == interlock_codes(followed) == {"ST105"}, (st_default, interlock_codes(followed))
    # with --max-redirects 0 the 302 itself is the answer: an undocumented status, no content type
    assert st_zero == interlock_codes(not_followed) == {"ST103", "ST104"}, (
        st_zero,
        interlock_codes(not_followed),
    )
    statuses = findings(not_followed, "status_code_conformance")
    assert statuses and "status 302" in statuses[0]["detail"]


def test_a_budget_too_small_says_what_it_left_untested_and_fails_when_required(tmp_path: Path) -> None:
    args = ("--max-examples", "50", "--time-budget", "2s", "--exclude-operation", "GET /moved")
    with running("tests.fixtures.imperfect_provider:many") as url:
        warned_proc, warned = fuzz(tmp_path, url, "", *args)
        strict_proc, _ = fuzz(tmp_path, url, "", *args, "--require-coverage")
        suite_proc, suite = fuzz(tmp_path, url, "coverage: {require: complete}\n", *args)
    assert warned_proc.returncode == 0, warned_proc.stdout + warned_proc.stderr
    # how far 2 s gets depends on the machine's load; that it ends the run before 33 operations does not
    line = next(x for x in warned_proc.stdout.splitlines() if "time budget 2s ended the run" in x)
    assert re.search(
        r"warning: fuzz payments: time budget 2s ended the run: \d+ of 33 operations not fuzzed(, \d+ partly)?"
        r"(, stateful phase not run)?; raise --time-budget or use --profile full",
        line,
    ), line
    coverage = checks(warned)["payments coverage"]
    assert coverage["status"] == "passed" and coverage["findings"][0]["severity"] == "warning"
    assert "not fuzzed:   GET /extra/29" in coverage["findings"][0]["detail"]
    assert strict_proc.returncode == 1, strict_proc.stdout + strict_proc.stderr
    assert suite_proc.returncode == 1 and checks(suite)["payments coverage"]["status"] == "failed"
