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
* ``retry_after: honoured`` -> under a 429 with ``Retry-After``, no retry comes sooner
  (``retry_after_violations``);
* ``auth: bearer`` -> when the proxy expires every token it has seen, the consumer renews its token
  once and succeeds, never sending the rejected token again (``stale_credential_retries``);
* ``bulkhead`` -> a sibling integration of the same consumer made slow, under concurrent traffic
  through it, leaves this one's calls successful and within budget (``success_rate``, ``p(99)``).

``provider-down`` is measured on the provider's side too (attempts, breaker) when the run's proxy
counts refused connections (the embedded one; not behind a real Toxiproxy).
* ``trace: traceparent`` -> every provider request carries the trace id of the probe call that
  caused it, in steady state and under every fault that lets requests through
  (``trace_propagation``).
"""

from __future__ import annotations

from collections.abc import Mapping

from interlock.faults.fabric import down_is_counted
from interlock.faults.model import AuthExpiry, Background, Fault, HttpErrorToxic, Toxic
from interlock.stages.chaos.experiment import Experiment, Probe, Recovery
from interlock.stages.chaos.policy import ResiliencePolicy

#: Scheduling and proxy slack on top of the declared budget (absolute floor, fraction of budget).
SLACK_MIN_S = 0.3
SLACK_FRACTION = 0.3
#: Extra recovery time on top of the breaker's reset (or on its own without a breaker).
RECOVERY_SLACK_S = 5.0
#: A slow provider is this much slower than the budget, so waiting for it always breaks the budget.
LATENCY_OVER_BUDGET_MS = 500
#: The Retry-After of the ``retry-after`` fault's 429s, in seconds.
RETRY_AFTER_S = 1
#: Concurrent background callers through the slow sibling in a bulkhead fault.
BULKHEAD_CONCURRENCY = 8
#: The gate a ``trace: traceparent`` policy adds (see docs/chaos.md, ``trace_propagation``).
TRACED = "trace_propagation >= 99%"


def catalogue_experiment(
    integration: str,
    policy: ResiliencePolicy,
    probe: Probe,
    *,
    down_counted: bool | None = None,
    siblings: Mapping[str, Probe] | None = None,
) -> Experiment:
    """The standard faults for ``integration``, with expectations from ``policy``.

    ``down_counted``: the run's proxy counts refused connections (default: from ``TOXIPROXY_URL``).
    ``siblings`` (for ``bulkhead: true``): the consumer's other integrations and the request that
    sends traffic through each.
    """
    if down_counted is None:
        down_counted = down_is_counted()
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
        Fault(
            name="provider-down", down=True, expect=_down_expectations(policy, within_budget, down_counted)
        ),
        *_protocol_faults(policy, within_budget),
    ]
    faults += bulkhead_faults(policy, siblings or {}, within_budget)
    steady_state = ["success_rate >= 99%", within_budget]
    if policy.trace is not None:
        steady_state.append(TRACED)
        for fault in faults:
            # not under down (no request is read) nor with a background (no provider-side figures)
            if not fault.down and fault.background is None:
                fault.expect.append(TRACED)
    reset = policy.breaker.reset if policy.breaker is not None else 0.0
    return Experiment(
        integration=integration,
        probe=probe,
        calls=policy.calls,
        steady_state=steady_state,
        faults=faults,
        recovery=Recovery(within_s=reset + RECOVERY_SLACK_S),
    )


def _down_expectations(policy: ResiliencePolicy, within_budget: str, counted: bool) -> list[str]:
    """Under ``down`` the attempts are gated too, when the proxy can count them."""
    if not counted:
        return [within_budget]
    expect = [within_budget, f"amplification <= {policy.attempts}"]
    if policy.breaker is not None:
        expect.append(f"fail_fast_after <= {policy.breaker.failures}")
    return expect


def _protocol_faults(policy: ResiliencePolicy, within_budget: str) -> list[Fault]:
    """The faults of the policy's protocol promises (``retry_after``, ``auth``), when it makes them."""
    faults = []
    if policy.retry_after == "honoured":
        faults.append(
            Fault(
                name="retry-after",
                http_error=HttpErrorToxic(status=429, retry_after=RETRY_AFTER_S),
                expect=[within_budget, "retry_after_violations == 0"],
            )
        )
    if policy.auth == "bearer":
        faults.append(
            Fault(
                name="expired-token",
                auth_expiry=AuthExpiry(),
                expect=["success_rate >= 90%", "stale_credential_retries == 0"],
            )
        )
    return faults


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
