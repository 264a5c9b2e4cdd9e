"""Chaos metrics measured on the provider's side of the proxy: what the consumer's calls sent there.

Each provider request is charged to one consumer call (see
:func:`interlock.stages.chaos.metrics.attribute`); these metrics read ``PhaseData.per_call``.
Definitions in full are in docs/chaos.md.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise

from interlock.core.metrics import provider_traffic
from interlock.faults.observation import Observation
from interlock.stages.chaos.metrics.registry import PhaseData, Values, chaos_metric, chaos_metrics
from interlock.stages.chaos.tracing import carried_ids


@chaos_metrics("proxy_requests", "provider_requests", "amplification", provider_side=True)
def traffic(phase: PhaseData) -> Values:
    """Requests the proxy saw / that reached the provider, and ``proxy_requests`` per call."""
    return provider_traffic(phase.observations, len(phase.per_call))


@chaos_metric("duplicate_writes", provider_side=True)
def duplicate_write_count(phase: PhaseData) -> float:
    return float(sum(duplicate_writes(obs, phase.writes) for obs in phase.per_call))


@chaos_metric("retries", provider_side=True)
def retries(phase: PhaseData) -> float:
    return float(len(_all_gaps(phase)))


@chaos_metric("retry_gap_min", provider_side=True, waived_without_data=True)
def retry_gap_min(phase: PhaseData) -> float | None:
    gaps = [gap for _, gap in _all_gaps(phase)]
    return min(gaps) if gaps else None


@chaos_metric("retry_gap_avg", provider_side=True, waived_without_data=True)
def retry_gap_avg(phase: PhaseData) -> float | None:
    gaps = [gap for _, gap in _all_gaps(phase)]
    return statistics.fmean(gaps) if gaps else None


@chaos_metric("backoff_growth", provider_side=True, waived_without_data=True)
def backoff_growth(phase: PhaseData) -> float | None:
    """Mean wait before the 2nd and later retries / mean wait before the 1st (floored at 1 ms)."""
    gaps = _all_gaps(phase)
    first = [gap for n, gap in gaps if n == 1]
    later = [gap for n, gap in gaps if n >= 2]
    if not (first and later):
        return None
    return statistics.fmean(later) / max(statistics.fmean(first), 1.0)


@chaos_metric("fail_fast_after", provider_side=True, after_fault=True)
def fail_fast(phase: PhaseData) -> float:
    return float(fail_fast_after(phase.per_call))


@chaos_metric(
    "trace_propagation",
    provider_side=True,
    waived_without_data=True,
    no_data="no request reached the proxy during this phase",
)
def trace_propagation(phase: PhaseData) -> float | None:
    """Requests the proxy saw that carry an id a probe call sent / requests the proxy saw."""
    observations = [o for o in phase.observations if not o.refused]  # a refused connection sent nothing
    sent = phase.earlier_ids.union(*(call.trace_ids for call in phase.calls))
    if not observations or not sent:
        return None
    return sum(bool(carried_ids(obs) & sent) for obs in observations) / len(observations)


def _all_gaps(phase: PhaseData) -> list[tuple[int, float]]:
    return [gap for observations in phase.per_call for gap in retry_gaps(observations)]


def duplicate_writes(observations: Iterable[Observation], writes: set[str] | frozenset[str]) -> int:
    """Writes of one call that reached the provider more than once per route (see docs/chaos.md)."""
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
        for n, (before, after) in enumerate(pairwise(group), start=1):
            ended = before.finished if before.finished is not None else before.started
            gaps.append((n, max(0.0, (after.started - min(ended, after.started)) * 1000)))
    return gaps


def fail_fast_after(per_call: Sequence[Sequence[Observation]]) -> int:
    """Calls that reached the proxy before the first that did not; ``len + 1`` if none stopped."""
    for index, observations in enumerate(per_call):
        if not observations:
            return index
    return len(per_call) + 1
