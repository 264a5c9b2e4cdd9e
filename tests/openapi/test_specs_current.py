"""The committed OpenAPI files are exactly what the example providers serve today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.shop import specs
from tests.helpers import REPO


@pytest.mark.parametrize("provider", sorted(specs.PROVIDERS))
def test_committed_spec_matches_the_app(provider: str, tmp_path: Path) -> None:
    committed = specs.spec_path(provider, REPO / "examples" / "shop")
    written = specs.write_all(tmp_path)
    fresh = next(p for p in written if p.parent.name == provider)
    assert committed.is_file(), f"{committed} is missing: run `make specs` and commit it"
    assert fresh.read_text() == committed.read_text(), (
        f"{committed.relative_to(REPO)} is stale: run `make specs` and commit it"
    )
    assert json.loads(committed.read_text())["openapi"].startswith("3.")


def test_the_manifest_points_at_the_files() -> None:
    from interlock.core.manifest import load_manifest

    manifest = load_manifest(REPO / "interlock.yaml")
    for provider in specs.PROVIDERS:
        assert manifest.resolve(manifest.services[provider].openapi or "") == specs.spec_path(
            provider, REPO / "examples" / "shop"
        )
