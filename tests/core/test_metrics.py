"""One metric engine: the same samples give the same value in chaos, load and fuzz, for every metric.

Each cross-stage test feeds one set of samples through each stage's own entry point (chaos
``measure``, load ``metrics_of`` / ``under_fault.amplification``, fuzz ``BudgetBook`` and
``budgets.metrics``) and compares the values with ``==``: one engine gives bit-identical numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.core.metrics import (
    PERCENTILE_FAMILY,
    REGISTRY,
    Distribution,
    MetricKind,
    lookup,
    percentile,
    percentile_name,
    provider_traffic,
    quantile_of,
)
from interlock.core.thresholds import DEFAULT_METRIC_KINDS, parse_threshold
from interlock.faults.observation import Observation
from interlock.stages.chaos import experiment as chaos_experiment
from interlock.stages.chaos.journal import CallRecord
from interlock.stages.chaos.metrics import CHAOS_METRICS, WAIVED_WITHOUT_DATA, measure
from interlock.stages.chaos.metrics.registry import _only, declare
from interlock.stages.fuzz.checks import budgets
from interlock.stages.fuzz.checks.exchange import Exchange
from interlock.stages.load import under_fault
from interlock.stages.load.metrics import Bucket, Timeline, metrics_of
from interlock.stages.load.profile import LOAD_METRICS
from interlock.stages.load.schedule import Phase

REPO = Path(__file__).resolve().parents[2]

#: Response times in whole ms (Locust's histograms are keyed by whole ms), with repeats and a tail.
SAMPLES = [12, 7, 12, 15, 40, 100, 250, 1000, 7, 33, 12, 15, 18, 2400, 61, 7, 90, 12, 300, 45]
#: Whether each sample's call succeeded.
OK = [True] * 5 + [False] + [True] * 7 + [False, True, True, False, True, True, True]
QUANTILES = (50.0, 90.0, 95.0, 99.0, 99.9, 99.99999)
DURATION_METRICS = ["avg", "min", "max", "med", *(percentile_name(q) for q in QUANTILES)]


def chaos_calls(samples: list[int], ok: list[bool]) -> list[CallRecord]:
    """Calls whose ``duration_ms`` is exactly each sample (all start at 0: durations only)."""
    calls = [
        CallRecord(index=i + 1, started=0.0, finished=ms / 1000, status=200 if good else 503, ok=good)
        for i, (ms, good) in enumerate(zip(samples, ok, strict=True))
    ]
    assert [c.duration_ms for c in calls] == samples  # the same samples, not approximately
    return calls


def chaos_values(samples: list[int], ok: list[bool]) -> dict[str, float | None]:
    gates = [parse_threshold(f"{percentile_name(q)} < 1s") for q in QUANTILES]
    return measure(chaos_calls(samples, ok), [], gates=gates)


def load_values(samples: list[int], ok: list[bool]) -> dict[str, float]:
    """Two seconds' buckets, as the Locust child reports them, holding the samples between them."""
    half = len(samples) // 2
    buckets = []
    for part, part_ok in ((samples[:half], ok[:half]), (samples[half:], ok[half:])):
        bucket = Bucket()
        bucket.add(len(part), part_ok.count(False), dict(Counter(part)))
        buckets.append(bucket)
    return metrics_of(buckets, seconds=2, quantiles=QUANTILES)


def fuzz_values(samples: list[int]) -> dict[str, float]:
    book = budgets.BudgetBook({"*": [budgets.parse_budget("p(99.99999) < 1ms")]})
    for ms in samples:
        budgets.response_time_budget(_exchange(float(ms)), book)
    return budgets.metrics(book.samples["GET /x"], QUANTILES)


def _exchange(elapsed_ms: float) -> Exchange:
    return Exchange(
        operation="GET /x",
        method="GET",
        url="http://127.0.0.1/x",
        request_headers={},
        request_body=None,
        status=200,
        response_headers={},
        body=b"",
        elapsed_ms=elapsed_ms,
    )


# ------------------------------------------------------------------ the same value in every stage


@pytest.mark.parametrize("metric", DURATION_METRICS)
def test_duration_metrics_are_the_same_in_chaos_load_and_fuzz(metric: str) -> None:
    chaos, load, fuzz = chaos_values(SAMPLES, OK), load_values(SAMPLES, OK), fuzz_values(SAMPLES)
    assert chaos[metric] == load[metric] == fuzz[metric]
    expected = {"avg": sum(SAMPLES) / len(SAMPLES), "min": 7, "max": 2400, "med": percentile(SAMPLES, 50)}
    q = quantile_of(metric)
    assert chaos[metric] == pytest.approx(expected[metric] if q is None else percentile(SAMPLES, q))


def test_p95_interpolates_between_closest_ranks_everywhere() -> None:
    # 20 samples: rank 0.95 * 19 = 18.05, between the 19th (1000) and 20th (2400) smallest.
    expected = 1000 + (2400 - 1000) * 0.05
    for values in (chaos_values(SAMPLES, OK), load_values(SAMPLES, OK), fuzz_values(SAMPLES)):
        assert values["p(95)"] == pytest.approx(expected)


@pytest.mark.parametrize("metric", ["success_rate", "error_rate"])
def test_outcome_rates_are_the_same_in_chaos_and_load(metric: str) -> None:
    # 3 failures of 20, and 1 of 3 (where 1 - 2/3 != 1/3 in floats)
    for samples, ok in ((SAMPLES, OK), ([10, 20, 30], [True, False, True])):
        chaos, load = chaos_values(samples, ok), load_values(samples, ok)
        assert chaos[metric] == load[metric]
    assert chaos_values(SAMPLES, OK)["error_rate"] == 3 / 20
    assert chaos_values([10, 20, 30], [True, False, True])["error_rate"] == 1 / 3


def test_p_99_99999_is_stored_under_the_name_its_gate_reads() -> None:
    gate = parse_threshold("p(99.99999) < 1ms")
    assert gate.metric == "p(99.99999)" == percentile_name(gate.quantile or 0)
    for values in (chaos_values(SAMPLES, OK), load_values(SAMPLES, OK), fuzz_values(SAMPLES)):
        result = gate.evaluate({k: v for k, v in values.items() if v is not None})
        assert result.actual is not None and result.actual == pytest.approx(2400, rel=1e-4)
        assert not result.passed
    book = budgets.BudgetBook({"*": [budgets.parse_budget("p(99.99999) < 1ms")]})
    for ms in SAMPLES:
        book.record(_exchange(float(ms)))
    [(_, _, message, _)] = book.evaluate()
    assert message == "p(99.99999) = 2400ms, expected < 1ms over 20 responses"  # not "no data"


# --- the provider's side: chaos (per consumer call) and load under a fault (per request sent)

T0 = 1_700_000_000.0


@dataclass
class ProviderCase:
    calls: int
    #: (call index the request belongs to, reached the provider)
    requests: list[tuple[int, bool]]


PROVIDER_CASES = [
    ProviderCase(4, [(0, True), (1, True), (2, True), (3, True)]),  # no retries
    ProviderCase(3, [(0, True), (0, True), (0, True), (1, True), (2, True), (2, True)]),  # retries
    ProviderCase(2, [(0, False), (0, False), (0, False), (1, False)]),  # the proxy answered (http_error)
    ProviderCase(3, [(0, False), (0, True), (1, False), (1, False), (1, True), (2, True)]),  # mixed
]


def _observations(case: ProviderCase) -> list[Observation]:
    return [
        Observation(
            seq=i, started=T0 + call + 0.01 * (i + 1), reached_provider=reached, method="GET", path="/"
        )
        for i, (call, reached) in enumerate(case.requests)
    ]


def chaos_provider_values(case: ProviderCase) -> dict[str, float | None]:
    calls = [
        CallRecord(index=i + 1, started=T0 + i, finished=T0 + i + 0.5, ok=True) for i in range(case.calls)
    ]
    return measure(calls, _observations(case))


def load_provider_values(case: ProviderCase) -> dict[str, float]:
    """The same consumer calls as load requests, one per second, and the same proxy observations."""
    timeline = Timeline(started=T0, ended=T0 + case.calls)
    for second in range(case.calls):
        bucket = Bucket()
        bucket.add(1, 0, {500: 1})
        timeline.rows[(int(T0) + second, "GET /")] = bucket
    return under_fault.amplification(timeline, _observations(case), Phase("during-fault", 0, case.calls))


@pytest.mark.parametrize("metric", ["provider_requests", "proxy_requests", "amplification"])
@pytest.mark.parametrize("case", PROVIDER_CASES)
def test_provider_side_metrics_are_the_same_in_chaos_and_load(case: ProviderCase, metric: str) -> None:
    chaos, load = chaos_provider_values(case), load_provider_values(case)
    assert chaos[metric] == load[metric]
    reached = sum(r for _, r in case.requests)
    expected = {
        "provider_requests": reached,
        "proxy_requests": len(case.requests),
        "amplification": len(case.requests) / case.calls,
    }
    assert chaos[metric] == expected[metric]


def test_provider_requests_are_those_that_reached_the_provider() -> None:
    @dataclass
    class Seen:
        reached_provider: bool

    values = provider_traffic([Seen(True), Seen(False), Seen(True)], consumer_calls=2)
    assert values == {"proxy_requests": 3, "provider_requests": 2, "amplification": 1.5}
    assert "amplification" not in provider_traffic([Seen(True)], consumer_calls=0)


# ------------------------------------------------------------------ one percentile definition


@given(
    st.dictionaries(st.integers(0, 10_000), st.integers(1, 20), min_size=1, max_size=30),
    st.floats(0, 100),
)
def test_a_histogram_has_exactly_the_percentiles_of_its_samples(histogram: dict[int, int], q: float) -> None:
    expanded = [float(v) for v, n in histogram.items() for _ in range(n)]
    ordered = sorted(expanded)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    by_hand = ordered[low] + ((ordered[low + 1] - ordered[low]) * (rank - low) if rank > low else 0.0)
    assert Distribution.from_histogram(histogram).percentile(q) == percentile(expanded, q) == by_hand


def test_distribution_statistics_and_errors() -> None:
    d = Distribution.from_histogram({10: 90, 200: 9, 1000: 1, 5: 0})
    assert (d.count, d.min, d.max, d.at(89), d.at(90), d.at(99)) == (100, 10, 1000, 10, 200, 1000)
    assert d.mean == (900 + 1800 + 1000) / 100
    assert d.median == 10 and d.percentile(99) == pytest.approx(208)
    assert Distribution.of([3, 1, 2]) == Distribution.from_histogram({1: 1, 2: 1, 3: 1})
    with pytest.raises(ValueError, match="no samples"):
        Distribution().percentile(50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        d.percentile(101)
    with pytest.raises(IndexError):
        d.at(100)


# ------------------------------------------------------------------ one name for a percentile


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("95", "p(95)"),
        ("095.50", "p(95.5)"),
        ("99.99999", "p(99.99999)"),
        ("0.00001", "p(0.00001)"),
        ("100.000", "p(100)"),
        ("99.999999999999999999", "p(100)"),  # more digits than a float holds: named as computed
    ],
)
def test_the_parser_names_percentiles_as_the_stages_key_them(written: str, name: str) -> None:
    gate = parse_threshold(f"p({written}) < 1s")
    assert gate.metric == name
    assert gate.quantile is not None and percentile_name(gate.quantile) == name


@given(st.decimals(min_value=0, max_value=100, allow_nan=False, allow_infinity=False).filter(lambda d: d > 0))
def test_every_parsed_percentile_name_is_the_measured_name(q: Decimal) -> None:
    gate = parse_threshold(f"p({q:f}) < 1s")
    assert gate.quantile is not None
    assert percentile_name(gate.quantile) == gate.metric
    assert quantile_of(gate.metric) == gate.quantile


def test_a_percentile_that_rounds_to_zero_is_rejected() -> None:
    with pytest.raises(ValueError, match="percentile must be > 0"):
        parse_threshold(f"p(0.{'0' * 400}1) < 1s")


# ------------------------------------------------------------------ the registry


def test_every_stage_names_only_registered_metrics() -> None:
    for name in (*CHAOS_METRICS, *LOAD_METRICS, *budgets.BUDGET_METRICS):
        assert name in REGISTRY, name
    assert lookup("p(99.9)") is REGISTRY[PERCENTILE_FAMILY] and lookup("ttfb") is None


def test_the_parser_reads_kinds_from_the_registry() -> None:
    for name, metric in REGISTRY.items():
        text = f"{percentile_name(95) if name == PERCENTILE_FAMILY else name} >= 0"
        assert parse_threshold(text).kind is metric.kind
        assert parse_threshold(text, kinds=chaos_experiment.METRIC_KINDS).kind is metric.kind
        if name in LOAD_METRICS:
            assert parse_threshold(text, kinds=DEFAULT_METRIC_KINDS).kind is metric.kind
    assert DEFAULT_METRIC_KINDS["retry_gap_avg"] is MetricKind.DURATION
    assert parse_threshold("duplicate_writes == 0").kind is MetricKind.COUNT


def test_chaos_validation_reads_the_chaos_declarations() -> None:
    assert set(CHAOS_METRICS) == chaos_experiment.KNOWN_METRICS
    assert {"recovery_s", "fail_fast_after"} == chaos_experiment.AFTER_FAULT_METRICS
    assert {
        "proxy_requests",
        "provider_requests",
        "amplification",
        "duplicate_writes",
        "retries",
        "retry_gap_min",
        "retry_gap_avg",
        "backoff_growth",
        "fail_fast_after",
        "retry_after_violations",
        "stale_credential_retries",
        "trace_propagation",
    } == chaos_experiment.PROVIDER_METRICS
    assert {"retry_gap_min", "retry_gap_avg", "backoff_growth", "trace_propagation"} == WAIVED_WITHOUT_DATA


def test_a_chaos_metric_must_be_registered_once_and_measure_only_what_it_declares() -> None:
    with pytest.raises(ValueError, match=r"not in interlock\.core\.metrics\.REGISTRY"):
        declare("ttfb")
    with pytest.raises(ValueError, match="declared twice"):
        declare("calls")

    def sneaky(_phase: object) -> dict[str, float | None]:
        return {"calls": 1.0, "retries": 2.0}

    with pytest.raises(ValueError, match="measured 'retries', which it did not declare"):
        _only(("calls",), sneaky)(None)  # type: ignore[arg-type]


def test_every_metric_is_documented() -> None:
    """Each stage's metric table names exactly the metrics it measures (no row goes stale)."""
    chaos_doc = (REPO / "docs" / "chaos.md").read_text()
    table = chaos_doc.split("## Metrics and their exact definitions", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| ([^|]+) \|", table, re.MULTILINE)) - {"metric", "---"}
    names = {n.strip("` ") for row in documented for n in row.split(",")}
    assert names == {"p(N)" if n == PERCENTILE_FAMILY else n for n in CHAOS_METRICS}
    load_doc = (REPO / "docs" / "load.md").read_text()
    for name in ("provider_requests", "proxy_requests", "amplification"):
        assert f"`{name}`" in load_doc
