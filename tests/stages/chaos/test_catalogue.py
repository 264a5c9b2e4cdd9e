"""The fault catalogue derives its expectations from the declared policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest
from interlock.stages.chaos.catalogue import catalogue_experiment
from interlock.stages.chaos.experiment import Probe, check_gates
from interlock.stages.chaos.policy import BreakerPolicy, ResiliencePolicy, load_policy

PROBE = Probe(method="POST", path="/orders")


def test_expectations_follow_the_policy() -> None:
    policy = ResiliencePolicy(
        budget="1s", retries=2, backoff="40ms", breaker=BreakerPolicy(failures=4, reset="2s")
    )
    exp = catalogue_experiment("a-b", policy, PROBE, down_counted=True)
    check_gates(exp, None, down_counted=True)  # every derived gate is a valid one
    faults = {f.name: f for f in exp.faults}
    assert set(faults) == {
        "slow-provider",
        "provider-503",
        "connection-reset",
        "lost-response",
        "truncated-response",
        "provider-down",
    }
    assert faults["slow-provider"].toxics[0].attributes == {"latency": 1500}
    assert "p(99) < 1300ms" in faults["slow-provider"].expect
    assert {"amplification <= 3", "fail_fast_after <= 4", "retry_gap_avg >= 10ms"} <= set(
        faults["provider-503"].expect
    )
    assert "duplicate_writes == 0" in faults["lost-response"].expect
    # The embedded proxy counts what a down provider refuses: attempts and the breaker are gated.
    assert faults["provider-down"].down and faults["provider-down"].expect == [
        "p(99) < 1300ms",
        "amplification <= 3",
        "fail_fast_after <= 4",
    ]
    assert exp.recovery.within_s == 7.0


def test_behind_a_real_toxiproxy_down_is_gated_on_the_consumer_side_only() -> None:
    policy = ResiliencePolicy(budget="1s", retries=2, breaker=BreakerPolicy(failures=4, reset="2s"))
    exp = catalogue_experiment("a-b", policy, PROBE, down_counted=False)
    check_gates(exp, None, down_counted=False)
    assert next(f for f in exp.faults if f.down).expect == ["p(99) < 1300ms"]


def test_retry_after_and_bearer_promises_add_their_faults() -> None:
    plain = catalogue_experiment("a-b", ResiliencePolicy(budget="1s"), PROBE)
    assert not {"retry-after", "expired-token"} & {f.name for f in plain.faults}
    policy = ResiliencePolicy(budget="1s", retry_after="honoured", auth="bearer")
    exp = catalogue_experiment("a-b", policy, PROBE, down_counted=True)
    check_gates(exp, None, down_counted=True)
    faults = {f.name: f for f in exp.faults}
    error = faults["retry-after"].http_error
    assert error is not None and (error.status, error.retry_after, error.probability) == (429, 1, 1.0)
    assert "retry_after_violations == 0" in faults["retry-after"].expect
    assert faults["expired-token"].auth_expiry is not None
    assert faults["expired-token"].expect == ["success_rate >= 90%", "stale_credential_retries == 0"]


def test_without_breaker_or_backoff_there_are_no_such_gates() -> None:
    exp = catalogue_experiment("a-b", ResiliencePolicy(budget=2, retries=0), PROBE)
    gates = [g for f in exp.faults for g in f.expect]
    assert not any(g.startswith(("fail_fast_after", "retry_gap")) for g in gates)
    assert "amplification <= 1" in gates and "p(99) < 2600ms" in gates


def manifest_with(tmp_path: Path, resilience: str) -> Path:
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
services:
  p:
    run: python -m http.server {{port}}
  c:
    run: python -m http.server {{port}}
    env: {{P_URL: "{{proxy:c-p}}"}}
integrations:
  - name: c-p
    consumer: c
    provider: p
    resilience:
{resilience}""")
    return path


def test_policy_from_the_manifest(tmp_path: Path) -> None:
    manifest = load_manifest(
        manifest_with(tmp_path, "      budget: 800ms\n      breaker: {failures: 3, reset: 1s}\n")
    )
    policy = load_policy(manifest, manifest.integrations[0])
    assert (
        policy is not None and policy.budget == 0.8 and policy.breaker == BreakerPolicy(failures=3, reset=1)
    )


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        ("      budget: 1s\n      retrys: 2\n", 14, "unknown key 'retrys' (did you mean 'retries'?)"),
        ("      retries: 2\n", 12, "missing required key 'budget'"),
        ("      budget: 1s\n      breaker: {failures: 0, reset: 1s}\n", 14, "breaker.failures"),
        ("      budget: 1s\n      auth: basic\n", 14, "resilience.auth"),
        ("      budget: 1s\n      retry_after: ignored\n", 14, "resilience.retry_after"),
    ],
)
def test_bad_policy_points_at_the_manifest_line(tmp_path: Path, body: str, line: int, problem: str) -> None:
    path = manifest_with(tmp_path, body)
    manifest = load_manifest(path)
    with pytest.raises(ConfigError) as info:
        load_policy(manifest, manifest.integrations[0])
    assert str(info.value).startswith(f"{path.resolve()}:{line}: ") and problem in str(info.value), str(
        info.value
    )
