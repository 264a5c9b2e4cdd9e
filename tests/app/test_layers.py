"""The layer rules stay true: import-linter's contracts cover every stage, and the code keeps them.

`make check` runs `lint-imports` too; these tests make a new stage package that is missing from the
independence contract, or an import that breaks a layer, fail the test suite as well.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.helpers import REPO

SRC = REPO / "src" / "interlock"


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_every_stage_package_is_independent_of_the_others() -> None:
    packages = sorted(
        f"interlock.stages.{p.name}" for p in (SRC / "stages").iterdir() if (p / "__init__.py").is_file()
    )
    independence = next(c for c in _contracts() if c["type"] == "independence")
    assert sorted(independence["modules"]) == packages  # type: ignore[arg-type]


def test_every_top_level_package_is_in_a_layer() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in str(layer).split("|")}  # type: ignore[union-attr]
    packages = {f"interlock.{p.name}" for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert packages == named


def test_the_code_keeps_the_contracts() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
