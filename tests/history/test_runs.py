"""The run history: what a run leaves in the store, bounded reads, changes since green, a damaged file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.verdict import CheckResult, IntegrationVerdict, RunVerdict, StageResult, Status
from interlock.history.runs import record_of
from interlock.history.store import DB_FILE, Store
from interlock.history.trends import histories


def verdict(run_id: str, p99: float, status: Status = Status.PASSED) -> RunVerdict:
    load = StageResult(
        stage="load",
        integration="a-b",
        checks=[CheckResult(name="SLO run: p(99) < 300ms", status=status, figures={"p(99)": p99})],
    )
    fuzz = StageResult(stage="fuzz", integration="a-b", figures={"fuzz_coverage": 0.5})
    other = StageResult(stage="load", integration="c-d", checks=[CheckResult(name="x", status=Status.PASSED)])
    return RunVerdict(
        run_id=run_id,
        tool_version="0",
        manifest="m",
        profile="ci",
        stages=["fuzz", "load"],
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        integrations=[
            IntegrationVerdict(integration="a-b", consumer="a", provider="b", stages=[fuzz, load]),
            IntegrationVerdict(integration="c-d", provider="d", stages=[other]),
        ],
    )


def test_a_run_is_kept_with_its_stages_and_figures_and_read_back_newest_first(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        for n in range(5):
            store.record_run(record_of(verdict(f"r{n}", 100 + n)))
        store.record_run(record_of(verdict("r4", 999)))  # recorded again: replaced, not doubled
        runs = store.recent_runs(3)
        assert [r.run_id for r in runs] == ["r4", "r3", "r2"]
        ab = runs[0].integration("a-b")
        assert ab is not None and ab.consumer == "a" and [s.stage for s in ab.stages] == ["fuzz", "load"]
        assert {(f.stage, f.subject, f.metric, f.value) for f in ab.figures} == {
            ("fuzz", "", "fuzz_coverage", 0.5),
            ("load", "SLO run: p(99) < 300ms", "p(99)", 999.0),
        }
        only = store.recent_runs(10, "c-d")
        assert len(only) == 5 and all([i.integration for i in r.integrations] == ["c-d"] for r in only)
        assert store.recent_runs(10**9) and len(store.recent_runs(10**9)) == 5  # capped, not unbounded


def test_changes_since_the_last_green_run(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        for run_id, p99, status in [
            ("r1", 100, Status.PASSED),
            ("r2", 400, Status.FAILED),
            ("r3", 420, Status.FAILED),
        ]:
            record = record_of(verdict(run_id, p99, status))
            store.record_run(record)
        ab = histories(store, record, 10)[0]
        assert ab.integration == "a-b" and [c.run_id for c in ab.runs] == ["r1", "r2", "r3"]
        assert ab.changes[0].startswith("failed since run r2 (last green: run r1, 2026-01-01 00:00:00 UTC)")
        assert "load: passed in run r1, failed now" in ab.changes
        assert "load run p(99) up from 100ms to 420ms" in ab.changes
        trend = next(t for t in ab.trends if t.metric == "p(99)")
        assert (trend.subject, trend.values) == ("run", (100.0, 400.0, 420.0))
        green = record_of(verdict("r4", 105))
        store.record_run(green)
        assert histories(store, green, 2)[0].changes == ("green again: failed in run r3",)
        assert [c.run_id for c in histories(store, green, 2)[0].runs] == ["r3", "r4"]


def test_a_failure_with_no_green_run_before_says_so(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        record = record_of(verdict("r1", 500, Status.FAILED))
        store.record_run(record)
        assert histories(store, record)[0].changes == ("failed since this run: no green run recorded before",)


def test_a_damaged_store_is_one_line_naming_the_file(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        for n in range(50):
            store.record_run(record_of(verdict(f"r{n}", 100)))
    db = sqlite3.connect(tmp_path / DB_FILE)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray((tmp_path / DB_FILE).read_bytes())
    for page in range(2, len(data) // 4096):  # every page but the schema's: headers smashed
        data[page * 4096 : page * 4096 + 16] = b"\xff" * 16
    (tmp_path / DB_FILE).write_bytes(bytes(data))
    with pytest.raises(ConfigError) as raised, Store(tmp_path) as store:
        store.recent_runs(10)
    message = str(raised.value)
    assert message.startswith(str(tmp_path / DB_FILE)) and "\n" not in message


def test_a_file_that_is_no_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / DB_FILE).write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match=r"file is not a database \(move the damaged file away"):
        Store(tmp_path)
