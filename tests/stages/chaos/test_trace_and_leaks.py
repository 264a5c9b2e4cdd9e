"""End to end: trace propagation and secret hygiene, with real checkouts, the real payments and proxy.

One ``interlock chaos`` run holds three checkouts, each its own integration towards the example
payments provider through the embedded fault proxy: the example checkout (propagates the trace,
logs no secret), one that starts a new trace for every outbound request, and one that logs its API
key and the bearer token it sends. Each runs the same small experiment gating
``trace_propagation`` in steady state and under 503s (so retries must carry the trace too).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, interlock
from tests.stages.chaos.manifests import consumer_variant_base

pytestmark = pytest.mark.slow

API_KEY = "pk-live-Vq83Lm2Xz7Rt"
VARIANTS = {
    "healthy": "examples.shop.checkout:app",
    "untraced": "tests.fixtures.checkout_untraced:app",
    "leaky": "tests.fixtures.checkout_leaky:app",
}
EXPERIMENT = {
    "probe": {"method": "POST", "path": "/orders", "json": {"sku": "SKU-1", "qty": 1}, "timeout": "5s"},
    "calls": 4,
    "steady_state": ["success_rate >= 99%", "trace_propagation >= 99%"],
    "recovery": "steady_state within 5s",
    "faults": [
        {
            "name": "provider-503",
            "http_error": {"status": 503},
            "calls": 1,
            "expect": ["trace_propagation >= 99%"],
        }
    ],
}


def manifest(tmp_path: Path) -> Path:
    checkout, knobs, services = consumer_variant_base()
    integrations = []
    for variant, app in VARIANTS.items():
        services[variant] = {
            "run": checkout["run"].replace("examples.shop.checkout:app", app),
            "env": {
                **knobs,
                "PYTHONPATH": str(REPO),
                "PAYMENTS_URL": f"{{proxy:{variant}-payments}}",
                "INVENTORY_URL": "{url:inventory}",
                "PAYMENTS_API_KEY": API_KEY,
            },
        }
        experiment = tmp_path / f"{variant}.yaml"
        experiment.write_text(yaml.safe_dump({"integration": f"{variant}-payments", **EXPERIMENT}))
        integrations.append(
            {
                "name": f"{variant}-payments",
                "consumer": variant,
                "provider": "payments",
                "chaos": str(experiment),
            }
        )
    path = tmp_path / "interlock.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "services": services, "integrations": integrations}))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, str]:
    tmp_path = tmp_path_factory.mktemp("trace")
    proc = interlock(
        "chaos",
        "--confirm",
        "0",  # broken consumers fail for good: a confirmation re-run would only cost time
        "--manifest",
        str(manifest(tmp_path)),
        "--report-dir",
        str(tmp_path / "r"),
        "--plain",
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run_dir = (tmp_path / "r" / "latest").resolve()
    return json.loads((run_dir / "verdict.json").read_text()), run_dir, proc.stdout + proc.stderr


def checks_of(verdict: dict[str, Any], variant: str) -> dict[str, dict[str, Any]]:
    integration = next(i for i in verdict["integrations"] if i["integration"] == f"{variant}-payments")
    return {c["name"]: c for stage in integration["stages"] for c in stage["checks"]}


def test_the_healthy_checkout_propagates_the_trace_and_logs_no_secret(
    run: tuple[dict[str, Any], Path, str],
) -> None:
    verdict, run_dir, _ = run
    checks = checks_of(verdict, "healthy")
    assert set(checks) == {"healthy: steady state", "healthy: provider-503"}
    assert all(c["status"] == "passed" for c in checks.values()), checks
    journal = json.loads((run_dir / "chaos" / "healthy-payments" / "journal-healthy.json").read_text())
    steady, fault = journal["phases"][0], journal["phases"][1]
    assert steady["metrics"]["trace_propagation"] == 1.0 and fault["metrics"]["trace_propagation"] == 1.0
    assert fault["metrics"]["proxy_requests"] == 3  # the 503s were retried, each retry traced
    sent = {call["trace_ids"][0] for call in steady["calls"]}
    assert len(sent) == 4  # a fresh trace per call ...
    carried = {o["traceparent"].split("-")[1] for o in steady["observations"]}
    assert carried == sent  # ... carried by its provider requests
    parents = {c["index"]: None for c in steady["calls"]}
    assert parents and all(o["traceparent"].split("-")[2] != "0" * 16 for o in steady["observations"])


def test_a_checkout_that_starts_new_traces_fails_trace_propagation(
    run: tuple[dict[str, Any], Path, str],
) -> None:
    verdict, _, _ = run
    steady = checks_of(verdict, "untraced")["untraced: steady state"]
    assert steady["status"] == "failed"
    (finding,) = steady["findings"]
    assert finding["title"].startswith("steady state: trace_propagation = 0"), finding["title"]
    assert "not propagated: 4 of 4 requests" in finding["detail"]
    assert "carried '00-" in finding["detail"]


def test_a_checkout_that_logs_its_secrets_fails_secret_hygiene(run: tuple[dict[str, Any], Path, str]) -> None:
    verdict, run_dir, console = run
    checks = checks_of(verdict, "leaky")
    assert checks["leaky: steady state"]["status"] == "passed"  # it does propagate the trace
    hygiene = checks["secret hygiene: service logs"]
    assert hygiene["status"] == "failed"
    titles = sorted(f["title"] for f in hygiene["findings"])
    assert len(titles) == 2, titles
    assert titles[0].startswith("leaky logged a secret (sent through the fault proxy: authorization header)")
    assert titles[1] == "leaky logged a secret (services.leaky.env.PAYMENTS_API_KEY) at services/leaky.log:1"
    assert all(f["stage"] == "chaos" for f in hygiene["findings"])
    # The findings and every other file of the report name the secrets, never their values.
    log = (run_dir / "services" / "leaky.log").read_text()
    assert "PAYMENTS_API_KEY=[REDACTED]" in log and "Authorization: [REDACTED]" in log
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path
    assert API_KEY not in console
    # The healthy and the untraced checkout got the same API key and logged nothing of it.
    assert "secret hygiene: service logs" not in checks_of(verdict, "healthy")
    assert "secret hygiene: service logs" not in checks_of(verdict, "untraced")
