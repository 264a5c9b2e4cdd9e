"""The built-in fault catalogue: standard faults with expectations derived from a resilience policy.

``interlock chaos --catalogue`` turns an integration's declared :class:`ResiliencePolicy` into an
ordinary :class:`Experiment`, so it runs through the same runner, journal and gates as a
hand-written one. Each expectation follows from one promise of the policy:

* ``budget``  -> no call may take longer than the budget plus scheduling slack (``p(99)``);
* ``retries`` -> at most ``retries + 1`` provider requests per consumer call (``amplification``);
* ``backoff`` -> retries are spaced, on average, by at least a quarter of the first backoff
  (full jitter spreads the first wait over [0, backoff]) (``retry_gap_avg``);
* ``breaker`` -> after ``failures`` failed attempts the consumer stops calling a failing
  provider (``fail_fast_after``), and recovers within ``reset`` plus slack (``recovery_s``);
* writes must never reach the provider twice (``duplicate_writes == 0``), whatever the policy;
* ``bulkhead`` -> a sibling integration of the same consumer made slow, under concurrent traffic
  through it, leaves this one's calls successful and within budget (``success_rate``, ``p(99)``).
"""

from __future__ import annotations

from collections.abc import Mapping

from interlock.faults.model import Background, Fault, HttpErrorToxic, Toxic
from interlock.stages.chaos.experiment import Experiment, Probe, Recovery
from interlock.stages.chaos.policy import ResiliencePolicy

#: Scheduling and proxy slack on top of the declared budget (absolute floor, fraction of budget).
SLACK_MIN_S = 0.3
SLACK_FRACTION = 0.3
#: Extra recovery time on top of the breaker's reset (or on its own without a breaker).
RECOVERY_SLACK_S = 5.0
#: A slow provider is this much slower than the budget, so waiting for it always breaks the budget.
LATENCY_OVER_BUDGET_MS = 500
#: Concurrent background callers through the slow sibling in a bulkhead fault.
BULKHEAD_CONCURRENCY = 8


def catalogue_experiment(
    integration: str,
    policy: ResiliencePolicy,
    probe: Probe,
    *,
    siblings: Mapping[str, Probe] | None = None,
) -> Experiment:
    """The standard faults for ``integration``, with expectations from ``policy``.

    ``siblings`` (for ``bulkhead: true``): the consumer's other integrations and the request that
    sends traffic through each.
    """
    budget_ms = round(policy.budget * 1000)
    bound_ms = budget_ms + round(max(SLACK_MIN_S, SLACK_FRACTION * policy.budget) * 1000)
    within_budget = f"p(99) < {bound_ms}ms"
    bounded = f"amplification <= {policy.attempts}"
    no_duplicates = "duplicate_writes == 0"

    failing = [within_budget, bounded]
    if policy.breaker is not None:
        failing.append(f"fail_fast_after <= {policy.breaker.failures}")
    if policy.backoff is not None and policy.retries > 0:
        failing.append(f"retry_gap_avg >= {round(policy.backoff * 1000 / 4)}ms")

    faults = [
        Fault(
            name="slow-provider",
            expect=[within_budget, bounded, no_duplicates],
            toxics=[Toxic(type="latency", attributes={"latency": budget_ms + LATENCY_OVER_BUDGET_MS})],
        ),
        Fault(name="provider-503", http_error=HttpErrorToxic(status=503), expect=failing),
        Fault(
            name="connection-reset",
            expect=[within_budget, bounded, no_duplicates],
            toxics=[Toxic(type="reset_peer", stream="downstream", attributes={"timeout": 0})],
        ),
        Fault(
            name="lost-response",
            expect=[within_budget, bounded, no_duplicates],
            toxics=[Toxic(type="timeout", stream="downstream", attributes={"timeout": 0})],
        ),
        Fault(
            name="truncated-response",
            expect=[within_budget, bounded, no_duplicates],
            toxics=[Toxic(type="limit_data", stream="downstream", attributes={"bytes": 16})],
        ),
        Fault(name="provider-down", down=True, expect=[within_budget]),
    ]
    faults += bulkhead_faults(policy, siblings or {}, within_budget)
    reset = policy.breaker.reset if policy.breaker is not None else 0.0
    return Experiment(
        integration=integration,
        probe=probe,
        calls=policy.calls,
        steady_state=["success_rate >= 99%", within_budget],
        faults=faults,
        recovery=Recovery(within_s=reset + RECOVERY_SLACK_S),
    )


def bulkhead_faults(
    policy: ResiliencePolicy, siblings: Mapping[str, Probe], within_budget: str
) -> list[Fault]:
    """One blast-radius fault per sibling: it is slow, busy with background calls, and this
    integration's probe must stay successful and within budget."""
    if not policy.bulkhead:
        return []
    latency = round(policy.budget * 1000) + LATENCY_OVER_BUDGET_MS
    return [
        Fault(
            name=f"bulkhead-{sibling}",
            on=sibling,
            toxics=[Toxic(type="latency", attributes={"latency": latency})],
            background=Background(
                probe=probe.model_dump(mode="json", by_alias=True), concurrency=BULKHEAD_CONCURRENCY
            ),
            expect=["success_rate >= 99%", within_budget],
        )
        for sibling, probe in siblings.items()
    ]
