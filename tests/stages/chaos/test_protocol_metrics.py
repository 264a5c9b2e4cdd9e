"""The metrics of Retry-After, 401 and down, over hand-made calls and observations: each definition
and its edges (docs/chaos.md)."""

from __future__ import annotations

from interlock.stages.chaos.journal import CallRecord, Observation
from interlock.stages.chaos.metrics import measure
from interlock.stages.chaos.metrics.protocol import retry_after_violations, stale_credential_retries

T0 = 1_700_000_000.0


def call(i: int, start: float, status: int | None = 201) -> CallRecord:
    ok = status is not None and 200 <= status < 300
    return CallRecord(index=i, started=T0 + start, finished=T0 + start + 0.05, status=status, ok=ok)


def attempt(
    seq: int,
    start: float,
    end: float | None = None,
    *,
    status: int | None = 201,
    retry_after: float | None = None,
    key: str | None = "k",
    path: str = "/payments",
    credential: str | None = None,
    reached: bool = True,
    refused: bool = False,
) -> Observation:
    return Observation(
        seq=seq,
        started=T0 + start,
        finished=None if end is None else T0 + end,
        method="" if refused else "POST",
        path="" if refused else path,
        idempotency_key=None if refused else key,
        status=status,
        retry_after=retry_after,
        caller=credential,
        scheme="bearer" if credential else None,
        reached_provider=reached,
        refused=refused,
    )


def test_a_retry_sooner_than_retry_after_is_a_violation() -> None:
    early = [attempt(1, 0.0, 0.01, status=429, retry_after=2), attempt(2, 0.5, 0.51)]
    on_time = [attempt(1, 0.0, 0.01, status=429, retry_after=2), attempt(2, 2.01, 2.02)]
    assert retry_after_violations(early) == [early[1]]
    assert retry_after_violations(on_time) == []
    # Within 10 ms of the time asked for is on time (timers and clocks are coarse).
    assert retry_after_violations([attempt(1, 0.0, 0.01, retry_after=1), attempt(2, 1.005, 1.006)]) == []


def test_retry_after_counts_from_the_end_of_the_answer_and_only_for_the_same_request() -> None:
    # A slow 503 ends at 1.0 s: the retry at 1.5 s came 0.5 s after it, sooner than 1 s.
    assert (
        len(retry_after_violations([attempt(1, 0.0, 1.0, status=503, retry_after=1), attempt(2, 1.5)])) == 1
    )
    # Another request (another key, another path) is no retry of the 429'd one.
    other_key = [attempt(1, 0.0, 0.01, status=429, retry_after=5), attempt(2, 0.1, key="k2")]
    other_path = [attempt(1, 0.0, 0.01, status=429, retry_after=5), attempt(2, 0.1, path="/refunds")]
    assert retry_after_violations(other_key) == retry_after_violations(other_path) == []
    # An answer without Retry-After asks for nothing.
    assert retry_after_violations([attempt(1, 0.0, 0.01, status=503), attempt(2, 0.02)]) == []


def test_retry_after_violations_per_phase_is_per_call() -> None:
    calls = [call(1, 0.0, 503), call(2, 1.0)]
    # The second call's request is the first of its call: no retry, so no violation, however soon.
    observations = [attempt(1, 0.0, 0.01, status=429, retry_after=30), attempt(2, 1.0, 1.01)]
    assert measure(calls, observations)["retry_after_violations"] == 0
    observations.append(attempt(3, 1.02, 1.03))  # ... but the first call's own retry would have been
    observations[1] = attempt(2, 0.2, 0.21)
    assert measure(calls, observations)["retry_after_violations"] == 1


def test_a_request_repeated_with_the_credential_that_got_401_is_stale() -> None:
    stale = [attempt(1, 0.0, 0.01, status=401, credential="aa"), attempt(2, 0.1, 0.11, credential="aa")]
    renewed = [attempt(1, 0.0, 0.01, status=401, credential="aa"), attempt(2, 0.1, 0.11, credential="bb")]
    assert stale_credential_retries(stale) == [stale[1]]
    assert stale_credential_retries(renewed) == []
    # Repeating twice is two stale retries; a 401 without a credential has none to be stale.
    twice = [*stale, attempt(3, 0.2, 0.21, status=401, credential="aa")]
    assert len(stale_credential_retries(twice)) == 2
    anonymous = [attempt(1, 0.0, 0.01, status=401), attempt(2, 0.1, 0.11)]
    assert stale_credential_retries(anonymous) == []


def test_stale_credentials_are_per_request_and_per_call() -> None:
    # Another path with the same token is not a repeat of the rejected request.
    other = [
        attempt(1, 0.0, 0.01, status=401, credential="aa"),
        attempt(2, 0.1, 0.11, credential="aa", path="/x"),
    ]
    assert stale_credential_retries(other) == []
    calls = [call(1, 0.0, 502), call(2, 1.0)]
    # The next call sends the old token again: a new call, not a retry (the call before failed).
    observations = [
        attempt(1, 0.0, 0.01, status=401, credential="aa"),
        attempt(2, 1.0, 1.01, credential="aa"),
    ]
    assert measure(calls, observations)["stale_credential_retries"] == 0
    observations.append(attempt(3, 0.5, 0.51, status=401, credential="aa"))
    assert measure(calls, observations)["stale_credential_retries"] == 1


def test_under_down_the_attempts_are_what_the_provider_side_counts() -> None:
    """Refused connection attempts: a consumer without a breaker never stops making them."""
    refused = {"status": None, "reached": False, "refused": True}
    calls = [call(i, float(i), 503) for i in range(4)]
    # Calls 0 and 1 try three times each (waits 50 and 100 ms), then the breaker is open: no attempt.
    observations = [
        attempt(1, 0.0, 0.0, **refused),
        attempt(2, 0.05, 0.05, **refused),
        attempt(3, 0.15, 0.15, **refused),
        attempt(4, 1.0, 1.0, **refused),
        attempt(5, 1.05, 1.05, **refused),
        attempt(6, 1.15, 1.15, **refused),
    ]
    m = measure(calls, observations)
    assert m["proxy_requests"] == 6 and m["provider_requests"] == 0 and m["amplification"] == 1.5
    assert m["retries"] == 4 and round(m["retry_gap_min"] or 0) == 50 and round(m["retry_gap_avg"] or 0) == 75
    assert m["fail_fast_after"] == 2
    assert m["duplicate_writes"] == m["retry_after_violations"] == m["stale_credential_retries"] == 0
    no_breaker = [*observations, attempt(7, 2.0, 2.0, **refused), attempt(8, 3.0, 3.0, **refused)]
    assert measure(calls, no_breaker)["fail_fast_after"] == 5  # calls + 1: it never failed fast
