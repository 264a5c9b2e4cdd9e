"""Chaos metrics over hand-made calls and observations: each definition, including the edge cases."""

from __future__ import annotations

import pytest

from interlock.stages.chaos.experiment import parse_gate
from interlock.stages.chaos.journal import CallRecord, Observation
from interlock.stages.chaos.metrics import attribute, duplicate_writes, fail_fast_after, measure, retry_gaps

T0 = 1_700_000_000.0


def call(i: int, start: float, ms: float, status: int | None = 201) -> CallRecord:
    return CallRecord(
        index=i,
        started=T0 + start,
        finished=T0 + start + ms / 1000,
        status=status,
        ok=status is not None and 200 <= status < 300,
    )


def obs(
    seq: int,
    start: float,
    end: float | None = None,
    *,
    method: str = "POST",
    path: str = "/payments",
    key: str | None = None,
    reached: bool = True,
    status: int | None = 201,
) -> Observation:
    return Observation(
        seq=seq,
        started=T0 + start,
        finished=None if end is None else T0 + end,
        method=method,
        path=path,
        idempotency_key=key,
        reached_provider=reached,
        status=status,
    )


def test_consumer_side_rates_and_percentiles() -> None:
    calls = [
        call(i, i, ms, status) for i, (ms, status) in enumerate([(10, 201), (20, 201), (30, 503), (40, 201)])
    ]
    m = measure(calls, [], gates=[parse_gate("p(90) < 1s")])
    assert m["calls"] == 4 and m["success_rate"] == 0.75 and m["error_rate"] == 0.25
    assert m["p(50)"] == pytest.approx(25.0) and m["p(90)"] == pytest.approx(37.0)
    assert m["max"] == pytest.approx(40.0) and m["avg"] == pytest.approx(25.0)


def test_observations_go_to_the_latest_call_started_before_them() -> None:
    calls = [call(1, 0.0, 100), call(2, 1.0, 100)]
    early, first, straggler, second = obs(1, -0.5), obs(2, 0.01), obs(3, 0.5), obs(4, 1.01)
    per_call = attribute(calls, [second, first, straggler, early])
    assert [[o.seq for o in c] for c in per_call] == [[2, 3], [4]]


def test_amplification_counts_every_request_sent_even_those_a_toxic_stopped() -> None:
    calls = [call(1, 0, 50, 503), call(2, 1, 50, 503)]
    seen = [
        obs(1, 0.01, reached=False, status=503),
        obs(2, 0.02, reached=False, status=503),
        obs(3, 0.03, reached=False, status=503),
        obs(4, 1.01, reached=False, status=503),
    ]
    m = measure(calls, seen)
    assert m["proxy_requests"] == 4 and m["amplification"] == 2.0
    assert m["provider_requests"] == 0  # the proxy answered them all: none reached the provider
    assert m["duplicate_writes"] == 0  # nothing reached the provider


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["k", "k", "k"], 0),  # retried with the same key: the provider deduplicates
        ([None, None], 1),  # retried without a key: charged twice
        ([None, None, None], 2),
        (["k1", "k2"], 1),  # a new key per attempt is a new write too
        (["k"], 0),
    ],
)
def test_duplicate_writes(keys: list[str | None], expected: int) -> None:
    assert duplicate_writes([obs(i, i * 0.1, key=k) for i, k in enumerate(keys)], {"POST"}) == expected


def test_reads_and_writes_that_did_not_reach_are_not_duplicate_writes() -> None:
    seen = [
        obs(1, 0.0),
        obs(2, 0.1, reached=False),
        obs(3, 0.2, method="GET", path="/payments/1"),
        obs(4, 0.3, method="GET", path="/payments/1"),
    ]
    assert duplicate_writes(seen, {"POST"}) == 0


def test_retry_gaps_and_backoff_growth() -> None:
    # attempts end at .1, .4, 1.0; retries start 50ms, 100ms and 200ms after the previous attempt ended
    seen = [
        obs(1, 0.0, 0.1, key="k"),
        obs(2, 0.15, 0.4, key="k"),
        obs(3, 0.5, 1.0, key="k"),
        obs(4, 1.2, 1.3, key="k"),
    ]
    assert [(n, round(g)) for n, g in retry_gaps(seen)] == [(1, 50), (2, 100), (3, 200)]
    m = measure([call(1, 0, 1300, 503)], seen)
    assert m["retries"] == 3 and m["retry_gap_min"] == pytest.approx(50, rel=1e-3)
    assert m["retry_gap_avg"] == pytest.approx(350 / 3, rel=1e-3)
    assert m["backoff_growth"] == pytest.approx(150 / 50, rel=1e-3)


def test_an_attempt_never_seen_to_end_is_measured_from_its_start() -> None:
    assert [round(g) for _, g in retry_gaps([obs(1, 0.0, None, key="k"), obs(2, 0.3, None, key="k")])] == [
        300
    ]


def test_no_retries_means_no_gap_metrics_rather_than_zero() -> None:
    m = measure([call(1, 0, 10)], [obs(1, 0.001, 0.005, key="k")])
    assert m["retries"] == 0 and m["retry_gap_avg"] is None and m["backoff_growth"] is None


def test_fail_fast_after() -> None:
    reached, silent = [obs(1, 0)], []
    assert fail_fast_after([reached, reached, silent, reached]) == 2  # the first call that did not reach
    assert fail_fast_after([silent, reached]) == 0
    assert fail_fast_after([reached, reached, reached]) == 4  # never stopped: calls + 1


def test_gates_evaluate_against_measured_metrics() -> None:
    m = measure([call(1, 0, 10, 503), call(2, 1, 10, 503)], [obs(1, 0.001), obs(2, 0.002), obs(3, 1.001)])
    values = {k: v for k, v in m.items() if v is not None}
    assert parse_gate("amplification <= 1").evaluate(values).passed is False
    assert parse_gate("fail_fast_after <= 1").evaluate(values).message == "fail_fast_after = 3, expected <= 1"
    assert parse_gate("error_rate < 1%").evaluate(values).passed is False
