"""Tests for the threshold language (interlock.core.thresholds)."""

from __future__ import annotations

import math
import operator
import pickle
import statistics
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.core.thresholds import (
    DEFAULT_METRIC_KINDS,
    MetricKind,
    ThresholdError,
    parse_threshold,
    parse_thresholds,
    percentile,
)

OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

# ---------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("p(95) < 300ms", "p(95)", "<", 300.0),
        ("p(99.9) <= 1.5s", "p(99.9)", "<=", 1500.0),
        ("error_rate < 1%", "error_rate", "<", 0.01),
        ("success_rate >= 99%", "success_rate", ">=", 0.99),
        ("rps > 50", "rps", ">", 50.0),
        ("amplification <= 3", "amplification", "<=", 3.0),
        ("duplicate_writes == 0", "duplicate_writes", "==", 0.0),
        ("fail_fast_after <= 5", "fail_fast_after", "<=", 5.0),
        ("avg < 200ms", "avg", "<", 200.0),
        ("max < 2s", "max", "<", 2000.0),
        ("recovery_s <= 10", "recovery_s", "<=", 10.0),
        ("error_rate != 0", "error_rate", "!=", 0.0),
        # whitespace-insensitive, canonical percentile names, bare numbers
        ("p(95)<300ms", "p(95)", "<", 300.0),
        ("  p ( 095.50 )\t>=  .5 s ", "p(95.5)", ">=", 500.0),
        ("p(100) < 1", "p(100)", "<", 1.0),
        ("med < 250", "med", "<", 250.0),
        ("error_rate < 0.01", "error_rate", "<", 0.01),
        ("min > 0.5ms", "min", ">", 0.5),
        ("_x9 == 1.", "_x9", "==", 1.0),
    ],
)
def test_valid_expressions(text: str, metric: str, op: str, value: float) -> None:
    t = parse_threshold(text)
    assert (t.metric, t.op, t.value) == (metric, op, value)
    assert t.source == text


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("", 0, "empty expression"),
        ("   ", 0, "empty expression"),
        ("p(95) <", 7, "expected a number"),
        ("p(95)", 5, "expected a comparison operator"),
        ("p(0) < 1ms", 2, "percentile must be > 0"),
        ("p(101) < 1ms", 2, "percentile must be > 0"),
        ("p(100.0001) < 1ms", 2, "percentile must be > 0"),
        ("p() < 1ms", 2, "expected a percentile"),
        ("p(95 < 1ms", 5, "expected ')'"),
        ("p(95) < 300mss", 11, "unknown unit 'mss'"),
        ("p(95) < 3MS", 9, "did you mean 'ms'?"),
        ("p(95) << 3", 6, "unknown operator '<<'"),
        ("p(95) = 3", 6, "did you mean '=='?"),
        ("p(95) < -3", 8, "cannot be negative"),
        ("error_rate < 300ms", 16, "does not fit ratio metric"),
        ("p(95) < 1%", 9, "does not fit duration metric"),
        ("rps > 5s", 7, "does not fit number metric"),
        ("error_rate < 2", 13, "write percentages with '%'"),
        ("error_rate < 101%", 13, "above 100%"),
        ("95 < p(1)", 0, "expected a metric name"),
        ("Error_rate < 1%", 0, "lowercase"),
        ("p95 < 300ms", 0, "'p(95)'"),
        ("p(95) < 300ms and", 14, "unexpected trailing text 'and'"),
        ("p(95) < 300ms )", 14, "unexpected trailing text ')'"),
        ("rps > 5 5", 8, "unexpected trailing text '5'"),
        ("rps > 1e3", 7, "unknown unit 'e'"),
        ("rps > " + "9" * 400, 6, "too large"),
        ("error-rate < 1%", 5, "expected a comparison operator"),
    ],
)
def test_invalid_expressions(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ThresholdError) as info:
        parse_threshold(text)
    err = info.value
    assert (err.expression, err.column) == (text, column)
    assert fragment in err.reason
    assert str(err) == f'invalid threshold "{text}": {err.reason} at column {column}'


def test_error_message_matches_documented_format() -> None:
    with pytest.raises(ThresholdError) as info:
        parse_threshold("p(95) < 300mss")
    assert str(info.value) == "invalid threshold \"p(95) < 300mss\": unknown unit 'mss' at column 11"


def test_error_message_is_one_line_even_with_line_breaks() -> None:
    with pytest.raises(ThresholdError) as info:
        parse_threshold("p(95)\n<\u2028300mss")
    assert len(str(info.value).splitlines()) == 1


def test_error_is_a_value_error_and_pickles() -> None:
    err = ThresholdError("p(95) <", 7, "expected a number")
    assert isinstance(err, ValueError)
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.expression, clone.column, clone.reason, str(clone)) == (
        err.expression,
        err.column,
        err.reason,
        str(err),
    )


def test_known_metrics_rejects_unknown_names_with_a_suggestion() -> None:
    known = ["error_rate", "rps"]
    with pytest.raises(ThresholdError) as info:
        parse_threshold("eror_rate < 1%", known_metrics=known)
    assert info.value.column == 0
    assert "unknown metric 'eror_rate', did you mean 'error_rate'?" in info.value.reason
    assert "(known: error_rate, rps)" in info.value.reason
    assert parse_threshold("rps > 1", known_metrics=known).metric == "rps"


def test_known_metrics_percentiles() -> None:
    with pytest.raises(ThresholdError, match="unknown metric 'p\\(95\\)'"):
        parse_threshold("p(95) < 1s", known_metrics=["error_rate"])
    assert parse_threshold("p(99.9) < 1s", known_metrics=["p"]).metric == "p(99.9)"
    assert parse_threshold("p(95) < 1s", known_metrics=["p(95)"]).metric == "p(95)"
    with pytest.raises(ThresholdError):
        parse_threshold("p(99) < 1s", known_metrics=["p(95)"])


def test_kind_table_is_extensible_without_mutation() -> None:
    kinds = {**DEFAULT_METRIC_KINDS, "ttfb": MetricKind.DURATION}
    assert parse_threshold("ttfb < 1.5s", kinds=kinds).value == 1500.0
    with pytest.raises(ThresholdError):
        parse_threshold("ttfb < 1.5s")  # the default table is untouched
    with pytest.raises(TypeError):
        DEFAULT_METRIC_KINDS["ttfb"] = MetricKind.DURATION  # type: ignore[index]


def test_parse_thresholds() -> None:
    parsed = parse_thresholds(["p(95) < 300ms", "error_rate < 1%"])
    assert [t.metric for t in parsed] == ["p(95)", "error_rate"]
    with pytest.raises(ThresholdError) as info:
        parse_thresholds(["rps > 1", "rps >"])
    assert info.value.expression == "rps >"
    with pytest.raises(TypeError):
        parse_thresholds("p(95) < 300ms")


def test_equality_is_semantic_and_str_is_canonical() -> None:
    assert parse_threshold("p(95) < 1.5s") == parse_threshold("p( 95.0 )<1500ms")
    assert parse_threshold("error_rate < 1%") == parse_threshold("error_rate < 0.01")
    assert str(parse_threshold("p ( 095.50 )<.5s")) == "p(95.5) < 0.5s"
    assert str(parse_threshold("avg<200")) == "avg < 200"
    assert parse_threshold("p(99) < 1s").quantile == 99.0
    assert parse_threshold("rps > 1").quantile is None


@pytest.mark.parametrize(
    ("text", "values", "passed", "message"),
    [
        ("p(95) < 300ms", {"p(95)": 412.0}, False, "p(95) = 412ms, expected < 300ms"),
        ("p(99.9) <= 1.5s", {"p(99.9)": 1234.5}, True, "p(99.9) = 1.2345s, expected <= 1.5s"),
        ("avg < 200", {"avg": 150.25}, True, "avg = 150.25ms, expected < 200ms"),
        ("error_rate < 1%", {"error_rate": 0.025}, False, "error_rate = 2.5%, expected < 1%"),
        ("error_rate < 0.01", {"error_rate": 0.005}, True, "error_rate = 0.005, expected < 0.01"),
        ("rps > 50", {"rps": 72}, True, "rps = 72, expected > 50"),
        ("p(95) < 300ms", {}, False, "p(95): no data"),
        ("p(95) < 300ms", {"p(95)": math.nan}, False, "p(95): no data"),
    ],
)
def test_evaluate_messages(text: str, values: dict[str, float], passed: bool, message: str) -> None:
    result = parse_threshold(text).evaluate(values)
    assert (result.passed, result.message, str(result)) == (passed, message, message)
    assert result.actual == (None if "no data" in message else values[result.threshold.metric])


# -------------------------------------------------------------- properties

decimal_text = st.decimals(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False)
decimal_text = decimal_text.map(lambda d: format(d, "f"))
any_float_text = st.floats(min_value=0, allow_nan=False, allow_infinity=False).map(
    lambda x: format(Decimal(repr(x)), "f")
)
space = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def threshold_texts(draw: st.DrawFn) -> str:
    """Valid expressions across all kinds, units and spacing."""
    kind = draw(st.sampled_from(list(MetricKind)))
    if kind is MetricKind.DURATION:
        q = draw(st.decimals(min_value=0, max_value=100, places=3).filter(lambda d: d > 0))
        metric = draw(st.sampled_from(["avg", "min", "max", "med", f"p({q})", f"p ( {q} )"]))
        unit = draw(st.sampled_from(["", "ms", "s"]))
        number = draw(any_float_text)
    elif kind is MetricKind.RATIO:
        metric = draw(st.sampled_from(["error_rate", "success_rate"]))
        unit = draw(st.sampled_from(["", "%"]))
        ratio = draw(st.decimals(min_value=0, max_value=100 if unit else 1, places=6))
        number = format(ratio, "f")
    else:
        head = draw(st.sampled_from("abcdefghijklmnoqrstuvwxyz_"))  # no "p": p95 is rejected
        tail = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", max_size=12))
        metric = head + tail
        if metric in DEFAULT_METRIC_KINDS:
            metric = f"n_{metric}"
        unit, number = "", draw(any_float_text)
    op = draw(st.sampled_from(list(OPERATORS)))
    s = draw(space)
    return f"{s}{metric}{s}{op}{draw(space)}{number}{draw(space)}{unit}{s}"


@given(threshold_texts())
def test_str_round_trips(text: str) -> None:
    try:
        t = parse_threshold(text)
    except ThresholdError as err:
        assert "too large" in err.reason  # e.g. 1e308 s overflows ms
        return
    again = parse_threshold(str(t))
    assert again == t
    assert str(again) == str(t)
    assert again.unit == t.unit


@given(decimal_text)
def test_seconds_equal_thousand_milliseconds(n: str) -> None:
    ms = format(Decimal(n).scaleb(3), "f")
    assert parse_threshold(f"avg < {n}s").value == parse_threshold(f"avg < {ms}ms").value


@given(st.decimals(min_value=0, max_value=100, allow_nan=False, allow_infinity=False))
def test_percent_is_hundredth(n: Decimal) -> None:
    value = parse_threshold(f"error_rate < {n:f}%").value
    assert value == parse_threshold(f"error_rate < {n.scaleb(-2):f}").value  # exact
    assert math.isclose(value, float(n) / 100, rel_tol=1e-15, abs_tol=1e-300)


@given(threshold_texts(), st.floats(allow_nan=False) | st.floats(0, 2000))
def test_evaluate_agrees_with_operator(text: str, actual: float) -> None:
    try:
        t = parse_threshold(text)
    except ThresholdError:
        return
    for candidate in (actual, t.value):  # also hit the boundary exactly
        result = t.evaluate({t.metric: candidate})
        assert result.passed is OPERATORS[t.op](candidate, t.value)
        assert result.actual == candidate
        assert result.message.startswith(f"{t.metric} = ")


@settings(max_examples=300)
@given(st.text() | st.text(alphabet="p()0123456789.<>=!-ms% _aerx\t\n"))
def test_arbitrary_text_parses_or_raises_threshold_error(text: str) -> None:
    try:
        t = parse_threshold(text)
    except ThresholdError as err:
        assert err.expression == text
        assert 0 <= err.column <= len(text)
        assert len(str(err).splitlines()) == 1
    else:
        assert parse_threshold(str(t)) == t


# -------------------------------------------------------------- percentile


def reference_percentile(samples: list[float], q: float) -> float:
    """Linear interpolation via the standard library ('inclusive' is R type 7)."""
    if len(samples) == 1:
        return samples[0]
    k = round(q * 10)
    if k == 0:
        return min(samples)
    if k == 1000:
        return max(samples)
    return statistics.quantiles(samples, n=1000, method="inclusive")[k - 1]


@given(
    st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=50),
    st.integers(0, 1000).map(lambda k: k / 10),
)
def test_percentile_matches_reference(samples: list[float], q: float) -> None:
    got = percentile(samples, q)
    assert got == pytest.approx(reference_percentile(samples, q), rel=1e-9, abs=1e-9)
    assert min(samples) - 1e-6 <= got <= max(samples) + 1e-6


def test_percentile_examples_and_errors() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5, 1, 3], 0) == 1 and percentile([5, 1, 3], 100) == 5
    assert percentile([10.0], 95) == 10.0
    for bad in (-1, 100.5, math.nan):
        with pytest.raises(ValueError):
            percentile([1.0], bad)
    with pytest.raises(ValueError):
        percentile([], 50)
