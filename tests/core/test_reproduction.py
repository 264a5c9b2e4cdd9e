"""Reports show paths relative to the manifest and re-run commands that work from here."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from interlock.core.manifest import Manifest
from interlock.core.reproduction import display_path, rerun_command


class _Manifest:
    """The one thing rerun_command reads of a manifest: where it is."""

    def __init__(self, path: Path) -> None:
        self.path = path


def test_display_path_is_relative_inside_the_base_and_unchanged_outside(tmp_path: Path) -> None:
    base = tmp_path / "repo"
    (base / "contracts").mkdir(parents=True)
    assert display_path(base / "contracts" / "p.json", base) == "contracts/p.json"
    outside = tmp_path / "elsewhere" / "p.json"
    assert display_path(outside, base) == str(outside)


def test_the_default_manifest_is_not_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = cast(Manifest, _Manifest((tmp_path / "interlock.yaml").resolve()))
    assert rerun_command(manifest, "fuzz", "a-b", "--seed 7") == "interlock fuzz --only a-b --seed 7"


def test_another_manifest_is_named_relative_to_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path)
    manifest = cast(Manifest, _Manifest((tmp_path / "ci" / "staging.yaml").resolve()))
    assert rerun_command(manifest, "chaos", "a-b") == "interlock chaos --only a-b --manifest ci/staging.yaml"
