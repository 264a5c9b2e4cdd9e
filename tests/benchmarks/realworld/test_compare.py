"""Comparing the two tools' findings over rounds, on the recorded httpbin reports."""

from __future__ import annotations

from pathlib import Path

from benchmarks.realworld.compare import AppComparison, Round, render, stability
from benchmarks.realworld.reports import Failure, ToolRun, parse_interlock_verdict, parse_st_junit

SAMPLES = Path(__file__).parent / "samples"


def recorded_round(st_seconds: float = 40.0, interlock_seconds: float = 44.0) -> Round:
    return Round(
        st=parse_st_junit(SAMPLES / "st-httpbin.junit.xml"),
        interlock=parse_interlock_verdict(SAMPLES / "interlock-httpbin.verdict.json"),
        st_seconds=st_seconds,
        interlock_seconds=interlock_seconds,
        st_exit=1,
        interlock_exit=3,
    )


def test_the_recorded_httpbin_round_partitions_into_both_only_st_and_only_interlock() -> None:
    app = AppComparison("httpbin", [recorded_round()])

    both, only_st, only_ours = app.partition()

    assert both == [
        ("DELETE /anything/{anything}", "ST301"),
        ("GET /drip", "ST101"),
        ("GET /drip", "ST103"),
        ("GET /drip", "ST105"),
        ("GET /status/{codes}", "ST202"),
    ]
    assert only_st == []
    assert only_ours == []  # interlock's own check (IL103) is not compared: st has no such check


def test_own_check_findings_are_listed_one_per_cause() -> None:
    app = AppComparison("httpbin", [recorded_round()])

    own = app.own_checks()

    assert list(own) == [
        ("GET /uuid", "IL103", "GET repeated gave a different body"),
        ("GET /uuid", "IL103", "different result"),
    ]
    assert all(count == 1 for count, _ in own.values())


def test_a_difference_found_in_some_rounds_only_is_marked_as_flipping() -> None:
    noisy = recorded_round()
    noisy.st = ToolRun(failures=[*noisy.st.failures, Failure("GET /image", "ST103")])
    app = AppComparison("httpbin", [recorded_round(), noisy, recorded_round()])

    assert app.hits("st")[("GET /image", "ST103")] == 1
    assert app.partition()[1] == [("GET /image", "ST103")]
    text = "\n".join(render([app]).splitlines())
    assert "GET /image  ST103 status_code_conformance  [1/3 / 0/3; flips in st]" in text
    assert "GET /drip  ST101 not_a_server_error (Server error)  [3/3 / 3/3]" in text


def test_stability_says_whether_a_key_flipped() -> None:
    assert stability(2, 3) == "2/3 (flips)"
    assert stability(3, 3) == "3/3"
    assert stability(1, 1) == ""


def test_render_gives_counts_own_checks_errors_and_the_time_ratio_per_app_and_overall() -> None:
    httpbin = AppComparison("httpbin", [recorded_round(40.0, 44.0), recorded_round(50.0, 50.0)])
    kinto = AppComparison("kinto", [recorded_round(100.0, 90.0)])

    text = render([httpbin, kinto])

    assert "== httpbin: 2 round(s)" in text
    # medians: httpbin st 45.0 / interlock 47.0; kinto 100 / 90; overall (47 + 90) / (45 + 100)
    assert (
        "in both 5, only st 0, only interlock 0;  wall time (median) st 45.0s, interlock 47.0s, ratio 1.04"
        in text
    )
    assert "ratio 0.90" in text
    assert "OVERALL  in both 10, only st 0, only interlock 0;  wall time interlock/st 0.94" in text
    assert "GET /uuid  IL103 idempotency: GET repeated gave a different body" in text
    assert "interlock: httpbin fuzz run: httpbin: fuzzing could not test everything" in text
    assert "st: GET /bytes/{n}: Schema Error" in text
