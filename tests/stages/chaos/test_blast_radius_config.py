"""Blast-radius faults (``on:``, ``background:``) as files write them, the bulkhead catalogue entry,
and the timeline picture drawn from a journal."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest
from interlock.faults.observation import Observation
from interlock.stages.chaos.catalogue import catalogue_experiment
from interlock.stages.chaos.experiment import Probe, check_gates, load_experiment
from interlock.stages.chaos.journal import CallRecord, GateRecord, Journal, PhaseRecord
from interlock.stages.chaos.plots import plot_experiment
from interlock.stages.chaos.policy import ResiliencePolicy, load_policy, sibling_probes
from interlock.stages.chaos.stage import ChaosStage
from tests.helpers import interlock
from tests.stages.chaos.manifests import example_manifest

BLAST = """\
integration: checkout-inventory
probe: {{method: GET, path: /availability/SKU-1}}
faults:
  - name: payments-slow
    on: {on}
    toxics: [{{type: latency, stream: downstream, attributes: {{latency: 3000}}}}]
    background: {background}
    expect: [{expect}]
"""
BACKGROUND = "{probe: {method: POST, path: /orders, json: {sku: SKU-1, qty: 1}}, concurrency: 8}"


def write(
    tmp_path: Path,
    *,
    on: str = "checkout-payments",
    background: str = BACKGROUND,
    expect: str = '"p(99) < 500ms"',
) -> Path:
    path = tmp_path / "blast.yaml"
    path.write_text(BLAST.format(on=on, background=background, expect=expect))
    return path


def test_a_blast_radius_fault_loads_as_the_issue_writes_it(tmp_path: Path) -> None:
    experiment = load_experiment(write(tmp_path))
    fault = experiment.faults[0]
    assert fault.on == "checkout-payments"
    assert fault.background is not None and fault.background.concurrency == 8
    assert fault.background.warmup == 0.5
    probe = experiment.background_probe(fault)
    assert probe == Probe(method="POST", path="/orders", json={"sku": "SKU-1", "qty": 1})


@pytest.mark.parametrize(
    ("background", "expect", "line", "problem"),
    [
        ("{probe: {path: orders}, concurrency: 8}", '"p(99) < 500ms"', 7, "must be a URL path"),
        ("{probe: {path: /orders}, concurrency: 0}", '"p(99) < 500ms"', 7, "concurrency"),
        ("{probe: {path: /orders}, concurency: 2}", '"p(99) < 500ms"', 7, "did you mean 'concurrency'"),
        (BACKGROUND, '"amplification <= 3"', 8, "cannot be measured with background traffic"),
    ],
)
def test_bad_background_points_at_the_line(
    tmp_path: Path, background: str, expect: str, line: int, problem: str
) -> None:
    path = write(tmp_path, background=background, expect=expect)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ") and problem in message, message


def test_on_must_name_an_integration_of_the_manifest(tmp_path: Path) -> None:
    experiment = write(tmp_path, on="checkout-paymnts")
    manifest = example_manifest(tmp_path, chaos={"checkout-inventory": experiment})
    proc = interlock("chaos", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r"), "--plain")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0] == (
        f"interlock: {experiment}:5: faults.0.on: no integration 'checkout-paymnts' in interlock.yaml"
        " (did you mean 'checkout-payments'?) (integrations: checkout-payments, checkout-inventory)"
    )


def sibling_manifest(tmp_path: Path, *, second: str) -> Path:
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
services:
  p:
    run: python -m http.server {{port}}
  q:
    run: python -m http.server {{port}}
  c:
    run: python -m http.server {{port}}
    env: {{P_URL: "{{proxy:c-p}}"{', Q_URL: "{proxy:c-q}"' if second else ""}}}
integrations:
  - name: c-p
    consumer: c
    provider: p
    resilience: {{budget: 1s, bulkhead: true, probe: {{path: /p-only}}}}
{second}""")
    return path


def test_bulkhead_in_the_catalogue_faults_each_sibling_under_its_traffic(tmp_path: Path) -> None:
    second = "  - {name: c-q, consumer: c, provider: q, resilience: {budget: 1s, probe: {method: POST, path: /q}}}\n"
    manifest = load_manifest(sibling_manifest(tmp_path, second=second))
    integration = manifest.integrations[0]
    policy = load_policy(manifest, integration)
    assert policy is not None and policy.bulkhead
    siblings = sibling_probes(manifest, integration, policy)
    assert siblings == {"c-q": Probe(method="POST", path="/q")}
    exp = catalogue_experiment("c-p", policy, Probe(path="/p-only"), siblings=siblings)
    check_gates(exp, None)
    fault = next(f for f in exp.faults if f.name == "bulkhead-c-q")
    assert fault.on == "c-q" and fault.toxics[0].attributes == {"latency": 1500}
    assert fault.background is not None and fault.background.concurrency == 8
    assert exp.background_probe(fault) == Probe(method="POST", path="/q")
    assert fault.expect == ["success_rate >= 99%", "p(99) < 1300ms"]
    # Without the promise there is no such fault; the other entries are untouched.
    plain = catalogue_experiment("c-p", ResiliencePolicy(budget=1), Probe(path="/p-only"))
    assert not any(f.on or f.background for f in plain.faults)


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        ("", "resilience.bulkhead needs another integration of the consumer 'c'"),
        ("  - {name: c-q, consumer: c, provider: q}\n", "needs traffic through 'c-q'"),
    ],
)
def test_bulkhead_without_a_sibling_to_slow_down_is_a_config_error(
    tmp_path: Path, second: str, problem: str
) -> None:
    manifest = load_manifest(sibling_manifest(tmp_path, second=second))
    policy = load_policy(manifest, manifest.integrations[0])
    assert policy is not None
    with pytest.raises(ConfigError, match=problem):
        sibling_probes(manifest, manifest.integrations[0], policy)


def _call(index: int, at: float, ms: float, status: int | None, ok: bool) -> CallRecord:
    return CallRecord(index=index, started=at, finished=at + ms / 1000, status=status, ok=ok)


def _obs(seq: int, at: float, *, reached: bool = True) -> Observation:
    return Observation(
        seq=seq, started=at, finished=at + 0.01, method="POST", path="/x", reached_provider=reached
    )


def test_the_timeline_picture_draws_every_kind_of_phase(tmp_path: Path) -> None:
    t0 = time.time()
    steady = PhaseRecord(name="steady state", kind="steady_state", started=t0)
    steady.calls = [_call(i, t0 + 0.1 * i, 20, 201, True) for i in range(1, 5)]
    steady.observations = [_obs(i, t0 + 0.1 * i + 0.005) for i in range(1, 5)]
    storm = PhaseRecord(
        name="provider-503", kind="fault", started=t0 + 1, applied_at=t0 + 1, rolled_back_at=t0 + 2
    )
    storm.calls = [_call(1, t0 + 1.1, 900, 503, False), _call(2, t0 + 1.5, 5000, None, False)]
    storm.observations = [_obs(10 + i, t0 + 1.1 + 0.05 * i, reached=False) for i in range(4)]
    storm.gates = [
        GateRecord(expression="p(99) < 1300ms", metric="p(99)", actual=5000, passed=False, message="")
    ]
    blast = PhaseRecord(
        name="payments-slow", kind="fault", started=t0 + 3, applied_at=t0 + 3, rolled_back_at=t0 + 4, on="c-p"
    )
    blast.calls = [_call(1, t0 + 3.5, 30, 200, True)]
    blast.background = [_call(i, t0 + 3 + 0.1 * i, 1000, 503, False) for i in range(1, 6)]
    recovery = PhaseRecord(name="recovery after payments-slow", kind="recovery", started=t0 + 4.1)
    recovery.calls = [_call(i, t0 + 4.1 + 0.05 * i, 15, 200, True) for i in range(1, 4)]
    journal = Journal(experiment="e", integration="c-i", started=t0, phases=[steady, storm, blast, recovery])
    path = plot_experiment(journal, tmp_path / "timeline-e.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_a_background_probe_credential_is_a_secret_of_the_run(tmp_path: Path) -> None:
    background = "{probe: {method: POST, path: /orders, headers: {Authorization: Bearer s3cret-token}}}"
    experiment = write(tmp_path, background=background)
    manifest = load_manifest(example_manifest(tmp_path, chaos={"checkout-inventory": experiment}))
    integration = manifest.integration("checkout-inventory")
    secrets = ChaosStage().secrets(manifest, integration)
    assert any("s3cret-token" in secret.value for secret in secrets), secrets
