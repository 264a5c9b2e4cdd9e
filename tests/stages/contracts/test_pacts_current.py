"""The committed pacts are exactly what checkout's consumer tests write today."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.slow


def test_committed_pacts_match_the_consumer_tests(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "contracts", "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PACT_DIR": str(tmp_path), "PACT_DO_NOT_TRACK": "true"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    committed = sorted(p.name for p in (REPO / "contracts" / "pacts").glob("*.json"))
    assert (
        sorted(p.name for p in tmp_path.glob("*.json"))
        == committed
        == ["checkout-inventory.json", "checkout-payments-messages.json", "checkout-payments.json"]
    )
    for name in committed:
        assert (tmp_path / name).read_text() == (REPO / "contracts" / "pacts" / name).read_text(), (
            f"contracts/pacts/{name} is stale: run `make pacts` and commit it"
        )
