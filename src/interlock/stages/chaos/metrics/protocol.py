"""Chaos metrics of how the consumer treats what the provider's answers ask of it.

* ``retry_after_violations``: a ``Retry-After`` says when to come back; a retry that comes sooner
  adds load to a provider that asked for less, and usually fails again.
* ``stale_credential_retries``: a ``401`` says the credential is no good; sending the same request
  with the same credential again cannot succeed.

Both read the proxy's observations per consumer call (``PhaseData.per_call``). Definitions in full
are in docs/chaos.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise

from interlock.faults.observation import Observation
from interlock.stages.chaos.metrics.registry import PhaseData, chaos_metric

#: A retry this much earlier than asked still counts as on time (clocks and timers are coarse).
RETRY_AFTER_TOLERANCE_S = 0.010
UNAUTHORIZED = 401


@chaos_metric("retry_after_violations", provider_side=True)
def retry_after_violation_count(phase: PhaseData) -> float:
    return float(sum(len(retry_after_violations(observations)) for observations in phase.per_call))


@chaos_metric("stale_credential_retries", provider_side=True)
def stale_credential_retry_count(phase: PhaseData) -> float:
    return float(sum(len(stale_credential_retries(observations)) for observations in phase.per_call))


def retry_after_violations(observations: Iterable[Observation]) -> list[Observation]:
    """The retries of one call that started sooner than the ``Retry-After`` of the attempt before.

    Attempts are grouped as for ``retries`` (method, path, Idempotency-Key); an attempt's answer
    ends when the proxy saw it end (``finished``), which is before the consumer saw it.
    """
    violations = []
    for group in _attempts(observations):
        for before, after in pairwise(group):
            if before.retry_after is None:
                continue
            ended = before.finished if before.finished is not None else before.started
            if after.started < ended + before.retry_after - RETRY_AFTER_TOLERANCE_S:
                violations.append(after)
    return violations


def stale_credential_retries(observations: Iterable[Observation]) -> list[Observation]:
    """Requests of one call that repeat (method, path, credential) of a request answered ``401``."""
    rejected: set[tuple[str, str, str]] = set()
    stale = []
    for obs in sorted(observations, key=lambda o: o.started):
        if obs.caller is None:
            continue
        request = (obs.method.upper(), obs.path, obs.caller)
        if request in rejected:
            stale.append(obs)
        if obs.status == UNAUTHORIZED:
            rejected.add(request)
    return stale


def _attempts(observations: Iterable[Observation]) -> Sequence[list[Observation]]:
    groups: dict[tuple[str, str, str | None], list[Observation]] = defaultdict(list)
    for obs in observations:
        groups[(obs.method.upper(), obs.path, obs.idempotency_key)].append(obs)
    for group in groups.values():
        group.sort(key=lambda o: o.started)
    return list(groups.values())
