"""Chaos metrics: pure functions from a phase's probe calls and provider observations to numbers.

Calls are sequential, so each provider request is attributed to the consumer call that was the
latest to start before it (a consumer that keeps retrying after the probe gave up is charged to
the call that caused it, until the next call starts). Definitions, in the units the thresholds
language uses (durations in ms):

* ``calls``: consumer calls in the phase.
* ``success_rate`` / ``error_rate``: share of calls the consumer answered with an expected status
  (2xx unless the probe says otherwise) / the rest, timeouts of the probe included.
* ``p(N)``, ``avg``, ``min``, ``max``, ``med``: consumer call duration, over every call.
* ``provider_requests``: requests the consumer sent towards the provider (seen at the proxy,
  whether or not a toxic stopped them).
* ``amplification``: ``provider_requests / calls``.
* ``duplicate_writes``: per consumer call and per write route (method + path), the writes that
  *reached the provider* beyond the first, where requests repeating an Idempotency-Key already
  seen do not count (the provider deduplicates them): ``unkeyed + distinct keys - 1``.
* ``retries``: requests that repeat an earlier one of the same call (same method, path and
  Idempotency-Key).
* ``retry_gap_min`` / ``retry_gap_avg``: the wait before each retry: its start minus the end of
  the attempt before it as the proxy saw it (the provider's or the proxy's answer; its start when
  it never ended). Under a latency toxic that includes the consumer's timeout.
* ``backoff_growth``: mean wait before the 2nd and later retries / mean wait before the 1st
  retry (> 1 means the waits grow).
* ``fail_fast_after``: consumer calls that still sent requests to the provider before the first
  call that sent none; ``calls + 1`` when every call did (the consumer never failed fast).
* ``recovery_s`` (measured by the runner): seconds from rollback to the end of the first probe of
  the first streak of consecutive successful probes.

A metric with no data (no retries, so no retry gaps) is ``None``; gates on it then fail unless
the runner waives them (see :data:`WAIVED_WITHOUT_DATA`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence

from interlock.core.thresholds import Threshold, percentile
from interlock.faults.observation import Observation
from interlock.stages.chaos.journal import CallRecord

#: Metrics that only exist when the consumer retried: no retries is not a failure of their gates.
WAIVED_WITHOUT_DATA = frozenset({"retry_gap_min", "retry_gap_avg", "backoff_growth"})
#: Percentiles always recorded in the journal, whatever the gates ask for.
JOURNAL_PERCENTILES = (50.0, 95.0, 99.0)


def attribute(calls: Sequence[CallRecord], observations: Iterable[Observation]) -> list[list[Observation]]:
    """Provider requests per call: each goes to the latest call that started before it."""
    per_call: list[list[Observation]] = [[] for _ in calls]
    starts = [c.started for c in calls]
    for obs in sorted(observations, key=lambda o: o.started):
        index = _latest_before(starts, obs.started)
        if index is not None:
            per_call[index].append(obs)
    return per_call


def _latest_before(starts: Sequence[float], at: float) -> int | None:
    found = None
    for i, started in enumerate(starts):
        if started <= at:
            found = i
        else:
            break
    return found


def measure(
    calls: Sequence[CallRecord],
    observations: Iterable[Observation],
    *,
    writes: Iterable[str] = ("POST", "PUT", "PATCH"),
    gates: Iterable[Threshold] = (),
) -> dict[str, float | None]:
    """Every chaos metric of one phase (percentiles: those ``gates`` ask for plus the journal's)."""
    per_call = attribute(calls, observations)
    values: dict[str, float | None] = {"calls": float(len(calls))}
    values |= consumer_metrics(calls, [g.quantile for g in gates if g.quantile is not None])
    values |= provider_metrics(per_call, {m.upper() for m in writes})
    return values


def consumer_metrics(calls: Sequence[CallRecord], quantiles: Iterable[float] = ()) -> dict[str, float | None]:
    if not calls:
        return {}
    durations = [c.duration_ms for c in calls]
    ok = sum(c.ok for c in calls)
    values: dict[str, float | None] = {
        "success_rate": ok / len(calls),
        "error_rate": 1 - ok / len(calls),
        "avg": statistics.fmean(durations),
        "min": min(durations),
        "max": max(durations),
        "med": statistics.median(durations),
    }
    for q in sorted({*JOURNAL_PERCENTILES, *quantiles}):
        values[f"p({_q_name(q)})"] = percentile(durations, q)
    return values


def _q_name(q: float) -> str:
    return str(int(q)) if float(q).is_integer() else format(q, "g")


def provider_metrics(per_call: Sequence[Sequence[Observation]], writes: set[str]) -> dict[str, float | None]:
    if not per_call:
        return {}
    requests = sum(len(obs) for obs in per_call)
    gaps = [retry_gaps(obs) for obs in per_call]
    all_gaps = [gap for call_gaps in gaps for _, gap in call_gaps]
    first = [gap for call_gaps in gaps for n, gap in call_gaps if n == 1]
    later = [gap for call_gaps in gaps for n, gap in call_gaps if n >= 2]
    return {
        "provider_requests": float(requests),
        "amplification": requests / len(per_call),
        "duplicate_writes": float(sum(duplicate_writes(obs, writes) for obs in per_call)),
        "retries": float(len(all_gaps)),
        "retry_gap_min": min(all_gaps) if all_gaps else None,
        "retry_gap_avg": statistics.fmean(all_gaps) if all_gaps else None,
        "backoff_growth": statistics.fmean(later) / max(statistics.fmean(first), 1.0)
        if first and later
        else None,
        "fail_fast_after": float(fail_fast_after(per_call)),
    }


def duplicate_writes(observations: Iterable[Observation], writes: set[str]) -> int:
    """Writes of one call that reached the provider more than once per route (see module doc)."""
    unkeyed: dict[tuple[str, str], int] = defaultdict(int)
    keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    for obs in observations:
        if obs.method.upper() not in writes or not obs.reached_provider:
            continue
        route = (obs.method.upper(), obs.path)
        if obs.idempotency_key:
            keys[route].add(obs.idempotency_key)
        else:
            unkeyed[route] += 1
    return sum(max(0, unkeyed[route] + len(keys[route]) - 1) for route in {*unkeyed, *keys})


def retry_gaps(observations: Iterable[Observation]) -> list[tuple[int, float]]:
    """``(n, wait_ms)`` before the n-th retry of each request of one call."""
    attempts: dict[tuple[str, str, str | None], list[Observation]] = defaultdict(list)
    for obs in observations:
        attempts[(obs.method.upper(), obs.path, obs.idempotency_key)].append(obs)
    gaps = []
    for group in attempts.values():
        group.sort(key=lambda o: o.started)
        for n, (before, after) in enumerate(zip(group, group[1:], strict=False), start=1):
            ended = before.finished if before.finished is not None else before.started
            gaps.append((n, max(0.0, (after.started - min(ended, after.started)) * 1000)))
    return gaps


def fail_fast_after(per_call: Sequence[Sequence[Observation]]) -> int:
    """Calls that reached the proxy before the first that did not; ``len + 1`` if none stopped."""
    for index, observations in enumerate(per_call):
        if not observations:
            return index
    return len(per_call) + 1
