"""Down, Retry-After and expired tokens, end to end: each broken checkout fails the real chaos stage on
the metric that names its defect, and the example's checkout passes every gate.

One interlock run holds every consumer (each its own checkout with its own integration towards the
example payments, with its token endpoint on), all running the same experiment: DESIGN.md's
``provider-down`` (``fail_fast_after`` under ``down``, counted by the embedded proxy), a 429 with
``Retry-After`` and expired Bearer tokens.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, interlock, processes_of_run
from tests.stages.chaos.manifests import absolute_spec_file

pytestmark = pytest.mark.slow

EXPERIMENT = """\
integration: {integration}
probe: {{method: POST, path: /orders, json: {{sku: SKU-1, qty: 1}}, timeout: 5s}}
calls: 3
steady_state: ["success_rate >= 99%"]
recovery: {{within: 5s, streak: 2}}
faults:
  - name: provider-down
    down: true
    calls: 6
    expect: ["fail_fast_after <= 5"]
  - name: rate-limited
    http_error: {{status: 429, retry_after: 2, probability: 1.0}}
    calls: 3
    expect: ["retry_after_violations == 0"]
  - name: token-expired
    auth_expiry: {{}}
    calls: 4
    expect: ["success_rate >= 90%", "stale_credential_retries == 0"]
"""
VARIANTS = "tests.fixtures.checkout_protocol_variants"
#: consumer -> (checkout app, --factory?, env overrides, (fault, metric) it must fail on, or None)
CONSUMERS: dict[str, tuple[str, bool, dict[str, str], tuple[str, str] | None]] = {
    "healthy": ("examples.shop.checkout:app", False, {}, None),
    "no-breaker": (
        "examples.shop.checkout:app",
        False,
        {"CHECKOUT_BREAKER_FAIL_MAX": "1000000"},
        ("provider-down", "fail_fast_after"),
    ),
    "early-retry": (f"{VARIANTS}:early_retry", True, {}, ("rate-limited", "retry_after_violations")),
    "stale-token": (f"{VARIANTS}:stale_token", True, {}, ("token-expired", "stale_credential_retries")),
}


def consumers_manifest(tmp_path: Path) -> Path:
    example: dict[str, Any] = yaml.safe_load((REPO / "interlock.yaml").read_text())
    checkout = example["services"]["checkout"]
    payments = example["services"]["payments"]
    absolute_spec_file(payments)
    client = {k: v for k, v in payments["env"].items() if k.startswith("PAYMENTS_CLIENT_")}
    assert set(client) == {"PAYMENTS_CLIENT_ID", "PAYMENTS_CLIENT_SECRET"}  # the example has tokens on
    knobs = {k: v for k, v in checkout["env"].items() if k.startswith("CHECKOUT_")}
    services: dict[str, Any] = {
        "payments": {**payments, "env": {**payments["env"], "PYTHONPATH": str(REPO)}},
        "inventory": {
            "run": "python -m uvicorn tests.fixtures.checkout_variants:well_stocked_inventory"
            " --host 127.0.0.1 --port {port}",
            "env": {"PYTHONPATH": str(REPO)},
        },
    }
    integrations = []
    for name, (app, factory, env, _) in CONSUMERS.items():
        run = checkout["run"].replace("examples.shop.checkout:app", app)
        services[name] = {
            "run": run + (" --factory" if factory else ""),
            "env": {
                **knobs,
                **client,
                **env,
                "PYTHONPATH": str(REPO),
                "PAYMENTS_URL": f"{{proxy:{name}-payments}}",
                "INVENTORY_URL": "{url:inventory}",
            },
        }
        experiment = tmp_path / f"{name}.yaml"
        experiment.write_text(EXPERIMENT.format(integration=f"{name}-payments"))
        integrations.append(
            {"name": f"{name}-payments", "consumer": name, "provider": "payments", "chaos": str(experiment)}
        )
    path = tmp_path / "interlock.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "services": services, "integrations": integrations}, sort_keys=False)
    )
    return path


@pytest.fixture(scope="module")
def protocol_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    tmp_path = tmp_path_factory.mktemp("protocol")
    proc = interlock(
        "chaos",
        "--confirm",
        "0",  # broken consumers fail for good: a confirmation re-run would only cost time
        "--manifest",
        str(consumers_manifest(tmp_path)),
        "--report-dir",
        str(tmp_path / "r"),
        "--plain",
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run_dir = (tmp_path / "r" / "latest").resolve()
    return json.loads((run_dir / "verdict.json").read_text()), run_dir


def checks_of(verdict: dict[str, Any], consumer: str) -> dict[str, dict[str, Any]]:
    integration = next(i for i in verdict["integrations"] if i["integration"] == f"{consumer}-payments")
    return {c["name"]: c for c in integration["stages"][0]["checks"]}


@pytest.mark.parametrize("consumer", [c for c, spec in CONSUMERS.items() if spec[3] is not None])
def test_a_broken_consumer_fails_on_the_metric_that_names_its_defect(
    protocol_run: tuple[dict[str, Any], Path], consumer: str
) -> None:
    verdict, _ = protocol_run
    fault, metric = CONSUMERS[consumer][3]  # type: ignore[misc]
    checks = checks_of(verdict, consumer)
    assert checks[f"{consumer}: steady state"]["status"] == "passed"
    failed = checks[f"{consumer}: {fault}"]
    assert failed["status"] == "failed", failed
    assert any(f["title"].startswith(f"{fault}: {metric}") for f in failed["findings"]), failed["findings"]


def test_the_example_checkout_passes_every_gate(protocol_run: tuple[dict[str, Any], Path]) -> None:
    verdict, run_dir = protocol_run
    checks = checks_of(verdict, "healthy")
    assert {name: c["status"] for name, c in checks.items()} == {
        f"healthy: {n}": "passed" for n in ("steady state", "provider-down", "rate-limited", "token-expired")
    }, checks
    journal = json.loads((run_dir / "chaos" / "healthy-payments" / "journal-healthy.json").read_text())
    phases = {p["name"]: p for p in journal["phases"]}
    down = phases["provider-down"]
    # Down is measured: the proxy counted the refused attempts until checkout's breaker opened.
    attempts = down["observations"]
    assert attempts and all(o["refused"] and not o["reached_provider"] for o in attempts)
    assert down["metrics"]["proxy_requests"] == len(attempts) and down["metrics"]["provider_requests"] == 0
    assert 1 <= down["metrics"]["fail_fast_after"] <= 5
    # The token was renewed once: a 401 for the old one, one token request, the retry with a new one.
    expired = phases["token-expired"]["observations"]
    rejected = [o for o in expired if o["status"] == 401]
    assert len(rejected) == 1 and rejected[0]["scheme"] == "bearer"
    assert [o["scheme"] for o in expired if o["path"] == "/oauth/token"] == ["basic"]
    assert {o["caller"] for o in expired if o["path"] == "/payments" and o["status"] == 201} - {
        rejected[0]["caller"]
    }
    # No artefact carries the client secret (nor, so, a Basic credential made of it).
    secret = "example-only-not-a-real-secret"
    assert not [p for p in run_dir.rglob("*") if p.is_file() and secret in p.read_text(errors="replace")]


def test_no_process_is_left_after_the_run(protocol_run: tuple[dict[str, Any], Path]) -> None:
    assert processes_of_run(protocol_run[0]["run_id"]) == []
