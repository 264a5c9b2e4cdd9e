"""Provider-only integrations (no ``consumer:``): what each stage does with them, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import Manifest, load_manifest
from interlock.stages.chaos.stage import ChaosStage
from interlock.stages.contracts.stage import ContractsStage
from interlock.stages.fuzz.stage import FuzzStage
from interlock.stages.load.profile import load_profile
from interlock.stages.load.stage import target_of


def manifest(tmp_path: Path, extra: str = "") -> Manifest:
    (tmp_path / "openapi.yaml").write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n")
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
services:
  items:
    run: python -m items --port {{port}}
    openapi: openapi.yaml
integrations:
  - name: items-api
    provider: items
{extra}""")
    return load_manifest(path)


def test_fuzz_needs_the_provider_and_chaos_nothing(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    (integration,) = m.integrations
    assert FuzzStage().services_needed(m, integration) == ["items"]
    assert ContractsStage().services_needed(m, integration) == []  # no pacts
    chaos = ChaosStage(catalogue=True)
    chaos.preflight(m, integration)
    assert chaos.services_needed(m, integration) == [] and not chaos.needs_fault_proxy(m, integration)


def test_a_chaos_file_without_a_consumer_is_bad_input_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "chaos.yaml").write_text("integration: items-api\n")
    m = manifest(tmp_path, "    chaos: chaos.yaml\n")
    with pytest.raises(
        ConfigError, match="chaos needs a consumer: 'items-api' names only the provider"
    ) as raised:
        ChaosStage().preflight(m, m.integrations[0])
    assert (raised.value.path, raised.value.line) == (m.path, 9)


def test_a_locustfile_without_a_target_loads_the_provider(tmp_path: Path) -> None:
    (tmp_path / "load.py").write_text("")
    profile_path = tmp_path / "load.yaml"
    profile_path.write_text("locustfile: load.py\nshape: {type: ramp, users: 1, duration: 1s}\n")
    m = manifest(tmp_path, "    load: load.yaml\n")
    assert target_of(load_profile(profile_path), m.integrations[0]) == "items"
