"""A chaos run through the real Toxiproxy 2.12.0 binary (``TOXIPROXY_URL``) gates both ways.

One interlock run, two consumers of the example payments provider: the example checkout (its
timeouts, retries and breaker) and a variant without a timeout. The faults that matter are the
real server's own: a ``latency`` toxic and ``enabled: false``. So the verdict depends on what
the real Toxiproxy did to the traffic, and interlock's recorder behind it supplies the
provider-side observations. Skipped where the binary is absent (a user's clone).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.helpers import REPO, interlock, processes_of_run
from tests.real_toxiproxy import real_toxiproxy
from tests.stages.chaos.manifests import consumer_variant_base

pytestmark = pytest.mark.slow

#: Short: the steady state, a fault applied as a real toxic, and one as a disabled proxy.
EXPERIMENT = """\
integration: {integration}
probe: {{method: POST, path: /orders, json: {{sku: SKU-1, qty: 1}}, timeout: 5s}}
calls: 4
steady_state: ["success_rate >= 99%", "p(95) < 500ms"]
recovery: steady_state within 5s
faults:
  - name: slow-provider
    toxics: [{{type: latency, stream: downstream, attributes: {{latency: 1500}}}}]
    calls: 3
    expect: ["p(99) < 1300ms", "amplification <= 3", "duplicate_writes == 0"]
  - name: provider-down
    down: true
    calls: 3
    expect: ["p(99) < 1300ms"]
"""

#: consumer -> its env overrides on top of the example checkout's knobs
CONSUMERS = {
    "checkout": {},
    "no-timeout": {"CHECKOUT_ATTEMPT_TIMEOUT_S": "30", "CHECKOUT_BUDGET_S": "60"},
}


def manifest(tmp_path: Path) -> Path:
    checkout, knobs, services = consumer_variant_base()
    integrations = []
    for consumer, env in CONSUMERS.items():
        integration = f"{consumer}-payments"
        services[consumer] = {
            "run": checkout["run"],
            "env": {
                **knobs,
                **env,
                "PYTHONPATH": str(REPO),
                "PAYMENTS_URL": f"{{proxy:{integration}}}",
                "INVENTORY_URL": "{url:inventory}",
            },
        }
        experiment = tmp_path / f"{integration}.yaml"
        experiment.write_text(EXPERIMENT.format(integration=integration))
        integrations.append(
            {"name": integration, "consumer": consumer, "provider": "payments", "chaos": str(experiment)}
        )
    path = tmp_path / "interlock.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "services": services, "integrations": integrations}, sort_keys=False)
    )
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Path, str]]:
    """The verdict, the run directory and the real server's URL (still up, to inspect it)."""
    tmp_path = tmp_path_factory.mktemp("real-toxiproxy")
    with real_toxiproxy(tmp_path / "toxiproxy.log") as server:
        proc = interlock(
            "chaos",
            "--confirm",
            "0",  # broken consumers fail for good: a confirmation re-run would only cost time
            "--manifest",
            str(manifest(tmp_path)),
            "--report-dir",
            str(tmp_path / "r"),
            "--plain",
            env={"TOXIPROXY_URL": server},
            timeout=240,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr  # the variant fails, nothing crashes
        run_dir = (tmp_path / "r" / "latest").resolve()
        yield json.loads((run_dir / "verdict.json").read_text()), run_dir, server


def checks_of(verdict: dict[str, Any], integration: str) -> dict[str, dict[str, Any]]:
    found = next(i for i in verdict["integrations"] if i["integration"] == integration)
    return {c["name"]: c for c in found["stages"][0]["checks"]}


def test_the_resilient_consumer_passes_through_the_real_toxiproxy(
    run: tuple[dict[str, Any], Path, str],
) -> None:
    verdict, run_dir, server = run
    checks = checks_of(verdict, "checkout-payments")
    assert {name: c["status"] for name, c in checks.items()} == {
        "checkout-payments: steady state": "passed",
        "checkout-payments: slow-provider": "passed",
        "checkout-payments: provider-down": "passed",
    }
    journal = json.loads(
        (run_dir / "chaos" / "checkout-payments" / "journal-checkout-payments.json").read_text()
    )
    assert journal["proxy"]["mode"] == "toxiproxy" and journal["proxy"]["control"] == server
    phases = {p["name"]: p for p in journal["phases"]}
    # The real server's latency toxic held the answers back: payments was reached, checkout gave up.
    slow = phases["slow-provider"]
    assert slow["observations"] and all(o["reached_provider"] for o in slow["observations"])
    assert not phases["provider-down"]["observations"]  # a disabled proxy: nothing got through


def test_the_consumer_without_a_timeout_fails_on_the_real_servers_latency(
    run: tuple[dict[str, Any], Path, str],
) -> None:
    verdict, _, _ = run
    checks = checks_of(verdict, "no-timeout-payments")
    assert checks["no-timeout-payments: steady state"]["status"] == "passed"
    slow = checks["no-timeout-payments: slow-provider"]
    assert slow["status"] == "failed"
    assert [f["title"].split(" = ")[0] for f in slow["findings"]] == ["slow-provider: p(99)"], slow[
        "findings"
    ]
    assert checks["no-timeout-payments: provider-down"]["status"] == "passed"


def test_the_real_server_is_left_clean_and_no_process_remains(run: tuple[dict[str, Any], Path, str]) -> None:
    verdict, _, server = run
    assert httpx.get(f"{server}/proxies").json() == {}
    assert processes_of_run(verdict["run_id"]) == []
