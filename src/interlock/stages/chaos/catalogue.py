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
* ``trace: traceparent`` -> every provider request carries the trace id of the probe call that
  caused it, in steady state and under every fault that lets requests through
  (``trace_propagation``).
"""

from __future__ import annotations

from interlock.faults.model import Fault, HttpErrorToxic, Toxic
from interlock.stages.chaos.experiment import Experiment, Probe, Recovery
from interlock.stages.chaos.policy import ResiliencePolicy

#: Scheduling and proxy slack on top of the declared budget (absolute floor, fraction of budget).
SLACK_MIN_S = 0.3
SLACK_FRACTION = 0.3
#: Extra recovery time on top of the breaker's reset (or on its own without a breaker).
RECOVERY_SLACK_S = 5.0
#: A slow provider is this much slower than the budget, so waiting for it always breaks the budget.
LATENCY_OVER_BUDGET_MS = 500
#: The gate a ``trace: traceparent`` policy adds (see docs/chaos.md, ``trace_propagation``).
TRACED = "trace_propagation >= 99%"


def catalogue_experiment(integration: str, policy: ResiliencePolicy, probe: Probe) -> Experiment:
    """The standard faults for ``integration``, with expectations from ``policy``."""
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
    steady_state = ["success_rate >= 99%", within_budget]
    if policy.trace is not None:
        steady_state.append(TRACED)
        for fault in faults:
            if not fault.down:  # no request reaches the proxy
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
