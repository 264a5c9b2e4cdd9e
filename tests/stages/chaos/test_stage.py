"""What the chaos stage runs for an integration, and the inputs it refuses before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest
from interlock.stages.chaos.stage import ChaosStage
from tests.helpers import REPO

EXPERIMENT = (REPO / "chaos" / "checkout-payments.yaml").read_text()
POLICY = """    resilience:
      probe: {method: POST, path: /orders}
      budget: 1s
"""


def manifest(
    tmp_path: Path,
    *,
    env: str = '"{proxy:checkout-payments}"',
    chaos: bool = True,
    policy: bool = False,
    integration: str = "checkout-payments",
) -> Path:
    (tmp_path / "exp.yaml").write_text(
        EXPERIMENT.replace("integration: checkout-payments", f"integration: {integration}")
    )
    path = tmp_path / "interlock.yaml"
    path.write_text(
        f"""\
version: 1
services:
  payments:
    run: python -m uvicorn examples.shop.payments:app --port {{port}}
  checkout:
    run: python -m uvicorn examples.shop.checkout:app --port {{port}}
    env:
      PAYMENTS_URL: {env}
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
"""
        + ("    chaos: exp.yaml\n" if chaos else "")
        + (POLICY if policy else "")
    )
    return path


def plan(path: Path, catalogue: bool = False) -> list[str]:
    m = load_manifest(path)
    stage = ChaosStage(catalogue=catalogue)
    stage.preflight(m, m.integrations[0])
    return [label for label, _ in stage.experiments(m, m.integrations[0])]


def test_what_runs(tmp_path: Path) -> None:
    assert plan(manifest(tmp_path)) == ["exp"]
    assert plan(manifest(tmp_path, policy=True)) == ["exp"]  # the experiment file is enough ...
    assert plan(manifest(tmp_path, policy=True), catalogue=True) == ["exp", "catalogue"]  # ... unless asked
    assert plan(manifest(tmp_path, chaos=False, policy=True)) == ["catalogue"]  # a policy alone is tested
    assert plan(manifest(tmp_path, chaos=False)) == []
    m = load_manifest(manifest(tmp_path, chaos=False))
    assert ChaosStage().services_needed(m, m.integrations[0]) == []  # nothing to do, nothing to start


def test_the_consumer_must_go_through_the_fault_proxy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r'use "\{proxy:checkout-payments\}" in services.checkout.env'):
        plan(manifest(tmp_path, env='"{url:payments}"'))


def test_an_experiment_for_another_integration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="this experiment is for integration 'checkout-inventory'"):
        plan(manifest(tmp_path, integration="checkout-inventory"))
