"""Each broken variant of checkout's client fails the real chaos stage, on the metric that names its problem.

One interlock run holds every variant: each is its own checkout service with its own integration
towards the example payments provider, and each runs the example's own experiment
(chaos/checkout-payments.yaml). Only checkout's tuning (its env knobs) or, for unkeyed writes, its
code differs. Services start once, in parallel, which keeps this test's cost to one run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, interlock, processes_of_run
from tests.stages.chaos.manifests import consumer_variant_base

pytestmark = pytest.mark.slow

#: variant -> (checkout app, env overrides, the metric its finding must name, the fault it fails in)
BROKEN_CONSUMERS: dict[str, tuple[str, dict[str, str], str, str]] = {
    "no-timeout": (
        "examples.shop.checkout:app",
        {"CHECKOUT_ATTEMPT_TIMEOUT_S": "30", "CHECKOUT_BUDGET_S": "60"},
        "p(99)",
        "slow-provider",
    ),
    "retries-without-backoff-or-limit": (
        "examples.shop.checkout:app",
        {
            "CHECKOUT_MAX_ATTEMPTS": "100",
            "CHECKOUT_BACKOFF_BASE_S": "0.0001",
            "CHECKOUT_BACKOFF_CAP_S": "0.0001",
            "CHECKOUT_BREAKER_FAIL_MAX": "1000000",
        },
        "amplification",
        "provider-503",
    ),
    "no-circuit-breaker": (
        "examples.shop.checkout:app",
        {"CHECKOUT_BREAKER_FAIL_MAX": "1000000"},
        "fail_fast_after",
        "provider-503",
    ),
    "writes-retried-without-idempotency-key": (
        "tests.fixtures.checkout_variants:unkeyed_writes",
        {},
        "duplicate_writes",
        "slow-provider",
    ),
    "breaker-that-never-closes": (
        "examples.shop.checkout:app",
        {"CHECKOUT_BREAKER_RESET_S": "100000"},
        "recovery_s",
        "slow-provider",
    ),
}


def variants_manifest(tmp_path: Path) -> Path:
    checkout, knobs, services = consumer_variant_base()
    experiment = (REPO / "chaos" / "checkout-payments.yaml").read_text()
    integrations = []
    for variant, (app, env, _, _) in BROKEN_CONSUMERS.items():
        services[variant] = {
            "run": checkout["run"].replace("examples.shop.checkout:app", app),
            "env": {
                **knobs,
                **env,
                "PYTHONPATH": str(REPO),
                "PAYMENTS_URL": f"{{proxy:{variant}-payments}}",
                "INVENTORY_URL": "{url:inventory}",
            },
        }
        chaos = tmp_path / f"{variant}.yaml"
        chaos.write_text(
            experiment.replace("integration: checkout-payments", f"integration: {variant}-payments")
        )
        integrations.append(
            {"name": f"{variant}-payments", "consumer": variant, "provider": "payments", "chaos": str(chaos)}
        )
    path = tmp_path / "interlock.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "services": services, "integrations": integrations}, sort_keys=False)
    )
    return path


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    tmp_path = tmp_path_factory.mktemp("broken")
    proc = interlock(
        "chaos",
        "--manifest",
        str(variants_manifest(tmp_path)),
        "--report-dir",
        str(tmp_path / "r"),
        "--plain",
        "--confirm",  # each variant is broken for good: a confirmation re-run would only cost CI time
        "0",
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run_dir = (tmp_path / "r" / "latest").resolve()
    return json.loads((run_dir / "verdict.json").read_text()), (run_dir / "summary.md").read_text()


@pytest.mark.parametrize("variant", list(BROKEN_CONSUMERS))
def test_broken_consumer_fails_on_the_metric_that_names_its_problem(
    broken_run: tuple[dict[str, Any], str], variant: str
) -> None:
    verdict, summary = broken_run
    _, _, metric, fault = BROKEN_CONSUMERS[variant]
    integration = next(i for i in verdict["integrations"] if i["integration"] == f"{variant}-payments")
    assert integration["status"] == "failed"
    checks = {c["name"]: c for c in integration["stages"][0]["checks"]}
    assert checks[f"{variant}: steady state"]["status"] == "passed"
    failed = checks[f"{variant}: {fault}"]
    assert failed["status"] == "failed"
    assert any(f["title"].startswith(f"{fault}: {metric}") for f in failed["findings"]), failed["findings"]
    # ... and summary.md, what CI shows, names it under this variant's section.
    section = summary.split(f"## ❌ {variant}-payments · chaos", 1)[1].split("\n## ", 1)[0]
    assert f"### {variant}: {fault}" in section and f"**error: {fault}: {metric}" in section, section


def test_no_process_is_left_after_the_broken_run(broken_run: tuple[dict[str, Any], str]) -> None:
    assert processes_of_run(broken_run[0]["run_id"]) == []
