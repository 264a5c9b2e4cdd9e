"""Blast radius end to end: payments made slow under background orders, measured on a call that
needs only inventory.

One interlock run holds two consumers, each with its own routes to the same real providers through
the real embedded proxy: the example checkout (a bulkhead per dependency) and a variant whose
dependencies share one small connection pool. Both run the same experiment; only the bulkhead
differs, so the one failing and the other passing is the bulkhead's doing. Both have their circuit
breaker turned off (``CHECKOUT_BREAKER_FAIL_MAX``): a breaker that opens on the slow payments would
free the shared pool now and then and hide the missing bulkhead behind luck of timing.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, interlock, processes_of_run
from tests.stages.chaos.manifests import consumer_variant_base

pytestmark = pytest.mark.slow

CONSUMERS = {
    "bulkhead": "examples.shop.checkout:app",
    "shared-pool": "tests.fixtures.checkout_shared_pool:app",
}

EXPERIMENT = """\
integration: {name}-inventory
probe: {{method: GET, path: /availability/SKU-1, timeout: 5s}}
calls: 6
steady_state: ["success_rate >= 99%", "p(99) < 500ms"]
recovery: steady_state within 5s
faults:
  - name: payments-slow
    on: {name}-payments
    toxics: [{{type: latency, stream: downstream, attributes: {{latency: 3000}}}}]
    background: {{probe: {{method: POST, path: /orders, json: {{sku: SKU-1, qty: 1}}}}, concurrency: 8}}
    expect: ["p(99) < 500ms"]
"""


def blast_manifest(tmp_path: Path) -> Path:
    checkout, knobs, services = consumer_variant_base()
    services["inventory"]["health"] = "/health"
    integrations = []
    for name, app in CONSUMERS.items():
        services[name] = {
            "run": checkout["run"].replace("examples.shop.checkout:app", app),
            "health": "/health",
            "env": {
                **knobs,
                "CHECKOUT_BREAKER_FAIL_MAX": "1000000",
                "PYTHONPATH": str(REPO),
                "PAYMENTS_URL": f"{{proxy:{name}-payments}}",
                "INVENTORY_URL": f"{{proxy:{name}-inventory}}",
            },
        }
        experiment = tmp_path / f"{name}.yaml"
        experiment.write_text(EXPERIMENT.format(name=name))
        integrations += [
            {"name": f"{name}-payments", "consumer": name, "provider": "payments"},
            {
                "name": f"{name}-inventory",
                "consumer": name,
                "provider": "inventory",
                "chaos": str(experiment),
            },
        ]
    path = tmp_path / "interlock.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "services": services, "integrations": integrations}, sort_keys=False)
    )
    return path


@pytest.fixture(scope="module")
def blast_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, float]:
    tmp_path = tmp_path_factory.mktemp("blast")
    started = time.monotonic()
    proc = interlock(
        "chaos",
        "--confirm",
        "0",  # broken consumers fail for good: a confirmation re-run would only cost time
        "--manifest",
        str(blast_manifest(tmp_path)),
        "--report-dir",
        str(tmp_path / "r"),
        "--plain",
        timeout=180,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run_dir = (tmp_path / "r" / "latest").resolve()
    return json.loads((run_dir / "verdict.json").read_text()), run_dir, elapsed


def _stage(verdict: dict[str, Any], integration: str) -> dict[str, Any]:
    found = next(i for i in verdict["integrations"] if i["integration"] == integration)
    stage: dict[str, Any] = found["stages"][0]
    return stage


def _journal(run_dir: Path, stage: dict[str, Any]) -> dict[str, Any]:
    path = next(a for a in stage["artefacts"] if a.endswith(".json"))
    journal: dict[str, Any] = json.loads((run_dir / path).read_text())
    return journal


def test_a_consumer_without_a_bulkhead_fails_the_gate_naming_the_metric(
    blast_run: tuple[dict[str, Any], Path, float],
) -> None:
    verdict, _, elapsed = blast_run
    print(f"blast-radius run took {elapsed:.1f}s")
    checks = {c["name"]: c for c in _stage(verdict, "shared-pool-inventory")["checks"]}
    assert checks["shared-pool: steady state"]["status"] == "passed"
    failed = checks["shared-pool: payments-slow"]
    assert failed["status"] == "failed"
    finding = next(f for f in failed["findings"] if f["title"].startswith("payments-slow: p(99)"))
    print(finding["title"])
    assert "on shared-pool-payments" in finding["detail"] and "background (not measured)" in finding["detail"]


def test_the_example_with_a_bulkhead_per_dependency_stays_fast(
    blast_run: tuple[dict[str, Any], Path, float],
) -> None:
    verdict, run_dir, _ = blast_run
    stage = _stage(verdict, "bulkhead-inventory")
    assert [c["status"] for c in stage["checks"]] == ["passed", "passed"], stage["checks"]
    fault = next(p for p in _journal(run_dir, stage)["phases"] if p["kind"] == "fault")
    # The fault went on the payments route, and the background ran through the whole window.
    assert fault["on"] == "bulkhead-payments" and fault["fault"]["on"] == "bulkhead-payments"
    assert len(fault["background"]) >= 8, fault["background"]
    assert all(fault["applied_at"] <= c["started"] <= fault["rolled_back_at"] for c in fault["background"])
    # Payments was slow: background orders failed or took the checkout budget; the probe did not.
    assert max(c["finished"] - c["started"] for c in fault["background"]) > 0.4
    assert fault["metrics"]["p(99)"] < 500 and fault["metrics"]["success_rate"] == 1.0
    # Background figures are reported apart, and no provider-side figure is claimed for the phase.
    assert fault["background_metrics"]["calls"] == len(fault["background"])
    assert "amplification" not in fault["metrics"]


def test_each_experiment_has_its_timeline_picture(blast_run: tuple[dict[str, Any], Path, float]) -> None:
    verdict, run_dir, _ = blast_run
    report = (run_dir / "report.html").read_text()
    for name in CONSUMERS:
        stage = _stage(verdict, f"{name}-inventory")
        pictures = [a for a in stage["artefacts"] if a.endswith(".png")]
        assert pictures == [f"chaos/{name}-inventory/timeline-{name}.png"], stage["artefacts"]
        data = (run_dir / pictures[0]).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        # report.html carries the picture itself, not a link to it.
        assert base64.b64encode(data).decode("ascii") in report


def test_no_process_is_left(blast_run: tuple[dict[str, Any], Path, float]) -> None:
    assert processes_of_run(blast_run[0]["run_id"]) == []
