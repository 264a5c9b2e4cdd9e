"""``interlock history`` through the real CLI: the runs the gate recorded, and bad input as exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.scripted_runs import three_runs
from tests.helpers import interlock

pytestmark = pytest.mark.slow


def test_history_lists_the_recorded_runs_and_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    runs = three_runs(tmp_path)
    home = str(tmp_path / ".interlock")
    table = interlock("history", "--home", home, "--limit", "2")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "run",
        "started",
        "(UTC)",
        "verdict",
        "integration",
        "contracts",
        "fuzz",
        "chaos",
        "load",
    ]
    assert lines[1].startswith(runs[2].verdict.run_id) and "failed" in lines[1]
    assert "checkout-payments" in lines[1] and lines[1].endswith("FAILED (1)")  # load, with its finding
    assert runs[0].verdict.run_id not in table.stdout  # --limit 2: the oldest is not read

    listed = json.loads(interlock("history", "--home", home, "--json", "-i", "ledger-alone").stdout)
    assert [r["run_id"] for r in listed] == [r.verdict.run_id for r in reversed(runs)]
    assert [i["integration"] for r in listed for i in r["integrations"]] == ["ledger-alone"] * 3

    unknown = interlock("history", "--home", home, "-i", "checkout-payment")
    assert unknown.returncode == 2 and "did you mean 'checkout-payments'" in unknown.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "history.sqlite").write_bytes(b"\x00garbage" * 512)
    damaged = interlock("history", "--home", str(tmp_path / "bad"))
    assert damaged.returncode == 2 and "Traceback" not in damaged.stderr
    assert len(damaged.stderr.strip().splitlines()) == 1 and "history.sqlite" in damaged.stderr
