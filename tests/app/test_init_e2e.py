"""End to end: ``interlock init`` on a system with nothing of interlock's, and the proof it runs.

The shop test runs ``interlock init`` once with its own verification (``verify --stages
contracts,fuzz``) against the real services; the base-path test runs the generated setup's fuzz
stage with few examples, which is what it is about.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.app.test_init import SHOP_FLAGS, shop_project
from tests.helpers import REPO, interlock

pytestmark = pytest.mark.slow

#: The services' code is importable (the user's own project), nothing else of the repository is used.
ENV = {"PYTHONPATH": str(REPO)}


def _verdict(root: Path) -> dict:
    return json.loads((root / "reports" / "latest" / "verdict.json").read_text())


def test_init_on_the_bare_shop_produces_a_setup_that_passes(tmp_path: Path) -> None:
    root = shop_project(tmp_path)
    flags = [flag.replace("python -m", f"{sys.executable} -m") for flag in SHOP_FLAGS]
    proc = interlock("init", "--plain", *flags, cwd=root, env=ENV, timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    verdict = _verdict(root)
    assert verdict["status"] == "passed"
    stages = {
        (i["integration"], s["stage"]): s["status"] for i in verdict["integrations"] for s in i["stages"]
    }
    assert stages == {
        (name, stage): "passed"
        for name in ("checkout-inventory", "checkout-payments")
        for stage in ("contracts", "fuzz")
    }
    assert "Proving the setup: interlock verify --stages contracts,fuzz" in proc.stdout
    assert "run the faults: interlock chaos" in proc.stdout


def test_init_on_a_provider_under_a_base_path_produces_a_working_fuzz_suite(tmp_path: Path) -> None:
    """The spec says ``servers: [{url: /v1}]``: init writes base_path: /v1 and fuzzing lands there."""
    from tests.fixtures.base_path_service import openapi_3

    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "openapi.json").write_text(json.dumps(openapi_3()))
    log = tmp_path / "requests.log"
    proc = interlock(
        "init", "--no-verify", "--integration", "items",
        "--run", f"items={sys.executable} -m tests.fixtures.base_path_service {{port}}",
        "--env", f"items:REQUEST_LOG={log}",
        cwd=tmp_path, env=ENV,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "base_path: /v1" in (tmp_path / "interlock.yaml").read_text()
    # The generated suite and manifest as they are; fewer examples than the ci profile's keep it short.
    proc = interlock("fuzz", "--plain", "--max-examples", "5", cwd=tmp_path, env=ENV, timeout=200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    verdict = _verdict(tmp_path)
    [integration] = verdict["integrations"]
    assert {s["stage"]: s["status"] for s in integration["stages"]}["fuzz"] == "passed"
    requests = log.read_text().splitlines()
    api = [line for line in requests if "/items" in line]
    assert api and all(" /v1/items" in line for line in api), requests[:20]
