"""Every address chaos and load would send faults, probes or load to is checked at preflight.

Preflight runs before any process starts, so a manifest pointing a harmful stage at another host
is refused with one line at the service's ``base_url`` and nothing else happens.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import Manifest, load_manifest
from interlock.stages.chaos.stage import ChaosStage
from interlock.stages.load.stage import LoadStage

REMOTE = "http://staging.example.invalid:8080"
CHAOS = """\
integration: shop
probe: {path: /orders}
faults:
  - {name: down, down: true, expect: ["p(99) < 1s"]}
"""


def shop(
    tmp_path: Path,
    *,
    payments: str = "run: python -m payments --port {port}",
    checkout: str = "run: python -m checkout --port {port}",
    integration: str = "consumer: checkout, provider: payments, chaos: chaos.yaml",
    allow_remote: bool = False,
    load: str | None = None,
) -> Manifest:
    (tmp_path / "chaos.yaml").write_text(CHAOS)
    (tmp_path / "load.py").write_text("")
    if load is not None:
        (tmp_path / "load.yaml").write_text(load)
        integration += ", load: load.yaml"
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
allow_remote: {str(allow_remote).lower()}
services:
  payments:
    {payments}
  checkout:
    {checkout}
    env: {{PAYMENTS_URL: "{{proxy:shop}}"}}
integrations:
  - {{name: shop, {integration}}}
""")
    return load_manifest(path)


def refusal(manifest: Manifest, stage: ChaosStage | LoadStage) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        stage.preflight(manifest, manifest.integrations[0])
    return raised.value


def test_chaos_refuses_a_remote_provider_at_its_base_url(tmp_path: Path) -> None:
    m = shop(tmp_path, payments=f"base_url: {REMOTE}")
    error = refusal(m, ChaosStage())
    assert (error.path, error.line) == (m.path, 5)
    assert error.message.startswith(
        f"chaos would send faults to service 'payments' (the provider of shop) at {REMOTE}, which is"
        " not on this machine"
    )
    assert "\n" not in str(error)


def test_chaos_refuses_a_remote_consumer_it_would_probe(tmp_path: Path) -> None:
    m = shop(tmp_path, checkout=f"base_url: {REMOTE}")
    error = refusal(m, ChaosStage())
    assert (error.path, error.line) == (m.path, 7)
    assert "chaos would send probes to service 'checkout' (the consumer of shop)" in error.message


def test_the_catalogue_alone_is_checked_too(tmp_path: Path) -> None:
    m = shop(
        tmp_path,
        payments=f"base_url: {REMOTE}",
        integration="consumer: checkout, provider: payments,"
        " resilience: {probe: {path: /orders}, budget: 1s, retries: 0}",
    )
    assert "faults to service 'payments'" in refusal(m, ChaosStage(catalogue=True)).message


def test_a_provider_only_chaos_file_names_the_remote_provider(tmp_path: Path) -> None:
    m = shop(tmp_path, payments=f"base_url: {REMOTE}", integration="provider: payments, chaos: chaos.yaml")
    assert "chaos would send faults to service 'payments'" in refusal(m, ChaosStage()).message


def test_load_refuses_a_remote_target(tmp_path: Path) -> None:
    m = shop(
        tmp_path,
        payments=f"base_url: {REMOTE}",
        load="target: payments\nlocustfile: load.py\nshape: {type: ramp, users: 1, duration: 2s}\n",
    )
    error = refusal(m, LoadStage())
    assert (error.path, error.line) == (m.path, 5)
    assert "load would send load to service 'payments' (the load target of shop)" in error.message


def test_load_under_fault_refuses_a_remote_provider_behind_a_local_target(tmp_path: Path) -> None:
    m = shop(
        tmp_path,
        payments=f"base_url: {REMOTE}",
        load="target: checkout\nlocustfile: load.py\nshape: {type: ramp, users: 1, duration: 3s}\n"
        "under_fault: down\n",
    )
    error = refusal(m, LoadStage())
    assert "load would send faults to service 'payments' (the provider of shop, faulted under load)" in (
        error.message
    )


def test_allow_remote_lifts_the_rule(tmp_path: Path) -> None:
    m = shop(
        tmp_path,
        payments=f"base_url: {REMOTE}",
        allow_remote=True,
        load="target: payments\nlocustfile: load.py\nshape: {type: ramp, users: 1, duration: 2s}\n",
    )
    ChaosStage().preflight(m, m.integrations[0])
    LoadStage().preflight(m, m.integrations[0])


def test_loopback_targets_pass(tmp_path: Path) -> None:
    m = shop(
        tmp_path,
        payments="base_url: http://localhost:8080",
        load="target: checkout\nlocustfile: load.py\nshape: {type: ramp, users: 1, duration: 3s}\n"
        "under_fault: down\n",
    )
    ChaosStage().preflight(m, m.integrations[0])
    LoadStage().preflight(m, m.integrations[0])
