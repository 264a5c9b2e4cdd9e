"""The embedded verification store: SQLite under ``.interlock/`` (or ``$INTERLOCK_HOME``).

It holds what a Pact Broker holds, for teams without one: pacticipant versions and branches,
the pacts each consumer version has (by content hash, so a verification of the same content
counts for every consumer version that has it), every verification with its per-interaction
results, and deployments. sqlite3 from the standard library is enough: a handful of small
tables, one writer at a time, and WAL mode so a reader never blocks a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from interlock.core.errors import ConfigError
from interlock.history.runs import GREEN, FigureRecord, IntegrationRecord, RunRecord, StageRecord

HOME_ENV = "INTERLOCK_HOME"
HOME_DIR = ".interlock"
DB_FILE = "history.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    pacticipant TEXT NOT NULL, number TEXT NOT NULL, branch TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (pacticipant, number));
CREATE TABLE IF NOT EXISTS pacts (
    consumer TEXT NOT NULL, consumer_version TEXT NOT NULL, provider TEXT NOT NULL,
    sha TEXT NOT NULL, published_at TEXT NOT NULL,
    PRIMARY KEY (consumer, consumer_version, provider));
CREATE TABLE IF NOT EXISTS verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer TEXT NOT NULL, consumer_version TEXT NOT NULL, consumer_branch TEXT,
    provider TEXT NOT NULL, provider_version TEXT NOT NULL, provider_branch TEXT,
    pact_sha TEXT NOT NULL, success INTEGER NOT NULL, verified_at TEXT NOT NULL, run_id TEXT);
CREATE TABLE IF NOT EXISTS interaction_results (
    verification_id INTEGER NOT NULL REFERENCES verifications(id),
    interaction_key TEXT NOT NULL, description TEXT NOT NULL,
    success INTEGER NOT NULL, pending INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS interaction_results_key ON interaction_results (interaction_key, success);
CREATE TABLE IF NOT EXISTS deployments (
    pacticipant TEXT NOT NULL, version TEXT NOT NULL, environment TEXT NOT NULL,
    deployed_at TEXT NOT NULL, undeployed_at TEXT);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL UNIQUE, started_at TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL, exit_code INTEGER NOT NULL, profile TEXT NOT NULL,
    stages TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_integrations (
    seq INTEGER NOT NULL REFERENCES runs(seq), integration TEXT NOT NULL, consumer TEXT,
    provider TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (integration, seq));
CREATE TABLE IF NOT EXISTS run_stages (
    seq INTEGER NOT NULL REFERENCES runs(seq), integration TEXT NOT NULL, stage TEXT NOT NULL,
    status TEXT NOT NULL, checks INTEGER NOT NULL, findings INTEGER NOT NULL, duration_s REAL NOT NULL);
CREATE INDEX IF NOT EXISTS run_stages_seq ON run_stages (seq, integration);
CREATE TABLE IF NOT EXISTS run_figures (
    seq INTEGER NOT NULL REFERENCES runs(seq), integration TEXT NOT NULL, stage TEXT NOT NULL,
    subject TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS run_figures_seq ON run_figures (seq, integration);
"""

GREEN_STATUSES = sorted(GREEN)
#: The most runs one read returns, whatever is asked: the history is always read bounded.
MAX_RUNS = 1000


def home_dir(base: Path, override: Path | None = None) -> Path:
    """Where the store lives: ``override``, else ``$INTERLOCK_HOME``, else ``base/.interlock``."""
    if override is not None:
        return override
    env = os.environ.get(HOME_ENV)
    return Path(env) if env else base / HOME_DIR


def pact_sha(content: bytes) -> str:
    """The identity of a pact's content, whitespace and key order aside."""
    data = json.loads(content)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class InteractionOutcome:
    key: str
    description: str
    success: bool
    pending: bool


@dataclass(frozen=True)
class Verification:
    consumer: str
    consumer_version: str
    consumer_branch: str | None
    provider: str
    provider_version: str
    provider_branch: str | None
    pact_sha: str
    success: bool
    verified_at: str


class Store:
    """One SQLite file; every method is one short transaction."""

    def __init__(self, home: Path) -> None:
        self.home = home
        try:
            home.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(home / DB_FILE, timeout=10.0, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            damaged = isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)
            hint = (
                "move the damaged file away to start a new one"
                if damaged
                else f"set {HOME_ENV} to a writable directory"
            )
            raise ConfigError(f"cannot open the verification store: {exc} ({hint})", home / DB_FILE) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------------

    def add_version(self, pacticipant: str, number: str, branch: str | None) -> None:
        with self._transaction() as db:
            self._add_version(db, pacticipant, number, branch)

    @staticmethod
    def _add_version(db: sqlite3.Connection, pacticipant: str, number: str, branch: str | None) -> None:
        db.execute(
            "INSERT INTO versions VALUES (?, ?, ?, ?) ON CONFLICT (pacticipant, number) DO UPDATE"
            " SET branch = coalesce(excluded.branch, versions.branch)",
            (pacticipant, number, branch, _now()),
        )

    def publish_pact(self, consumer: str, version: str, branch: str | None, provider: str, sha: str) -> None:
        """Record that ``consumer`` at ``version`` has this pact with ``provider`` (replacing any other)."""
        with self._transaction() as db:
            self._add_version(db, consumer, version, branch)
            db.execute(
                "INSERT INTO pacts VALUES (?, ?, ?, ?, ?) ON CONFLICT (consumer, consumer_version, provider)"
                " DO UPDATE SET sha = excluded.sha, published_at = excluded.published_at",
                (consumer, version, provider, sha, _now()),
            )

    def record_verification(
        self, v: Verification, interactions: Sequence[InteractionOutcome], run_id: str | None = None
    ) -> int:
        with self._transaction() as db:
            self._add_version(db, v.consumer, v.consumer_version, v.consumer_branch)
            self._add_version(db, v.provider, v.provider_version, v.provider_branch)
            known = db.execute(
                "SELECT 1 FROM pacts WHERE consumer=? AND consumer_version=? AND provider=?",
                (v.consumer, v.consumer_version, v.provider),
            ).fetchone()
            if not known:
                db.execute(
                    "INSERT INTO pacts VALUES (?, ?, ?, ?, ?)",
                    (v.consumer, v.consumer_version, v.provider, v.pact_sha, _now()),
                )
            cursor = db.execute(
                "INSERT INTO verifications (consumer, consumer_version, consumer_branch, provider,"
                " provider_version, provider_branch, pact_sha, success, verified_at, run_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    v.consumer,
                    v.consumer_version,
                    v.consumer_branch,
                    v.provider,
                    v.provider_version,
                    v.provider_branch,
                    v.pact_sha,
                    int(v.success),
                    v.verified_at or _now(),
                    run_id,
                ),
            )
            verification_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO interaction_results VALUES (?, ?, ?, ?, ?)",
                [
                    (verification_id, i.key, i.description, int(i.success), int(i.pending))
                    for i in interactions
                ],
            )
        return verification_id

    def record_deployment(self, pacticipant: str, version: str, environment: str) -> None:
        """``version`` now runs in ``environment`` and replaces whatever version ran there before."""
        with self._transaction() as db:
            self._add_version(db, pacticipant, version, None)
            db.execute(
                "UPDATE deployments SET undeployed_at=? WHERE pacticipant=? AND environment=?"
                " AND undeployed_at IS NULL",
                (_now(), pacticipant, environment),
            )
            db.execute(
                "INSERT INTO deployments VALUES (?, ?, ?, ?, NULL)",
                (pacticipant, version, environment, _now()),
            )

    # -- reading ---------------------------------------------------------------------------------

    def passed_on_branch(self, consumer: str, provider: str, branch: str, keys: Sequence[str]) -> set[str]:
        """Those ``keys`` (interactions) that ever passed against ``provider`` built from ``branch``."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        rows = self._db.execute(
            f"SELECT DISTINCT ir.interaction_key FROM interaction_results ir JOIN verifications v"
            f" ON v.id = ir.verification_id WHERE v.consumer=? AND v.provider=? AND v.provider_branch=?"
            f" AND ir.success=1 AND ir.interaction_key IN ({marks})",
            (consumer, provider, branch, *keys),
        )
        return {row[0] for row in rows}

    def has_verified_on_branch(self, consumer: str, provider: str, branch: str) -> bool:
        """Whether ``provider`` built from ``branch`` was ever verified against ``consumer``'s pacts."""
        return (
            self._db.execute(
                "SELECT 1 FROM verifications WHERE consumer=? AND provider=? AND provider_branch=? LIMIT 1",
                (consumer, provider, branch),
            ).fetchone()
            is not None
        )

    def has_version(self, pacticipant: str, number: str) -> bool:
        return (
            self._db.execute(
                "SELECT 1 FROM versions WHERE pacticipant=? AND number=?", (pacticipant, number)
            ).fetchone()
            is not None
        )

    def pacticipants(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT pacticipant FROM versions ORDER BY 1")]

    def knows(self, pacticipant: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM versions WHERE pacticipant=?", (pacticipant,)).fetchone()
            is not None
        )

    def version_branch(self, pacticipant: str, number: str) -> str | None:
        row = self._db.execute(
            "SELECT branch FROM versions WHERE pacticipant=? AND number=?", (pacticipant, number)
        ).fetchone()
        return row[0] if row else None

    def pacts_of_consumer(self, consumer: str, version: str) -> list[sqlite3.Row]:
        return list(
            self._db.execute(
                "SELECT * FROM pacts WHERE consumer=? AND consumer_version=? ORDER BY provider",
                (consumer, version),
            )
        )

    def pact(self, consumer: str, version: str, provider: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM pacts WHERE consumer=? AND consumer_version=? AND provider=?",
            (consumer, version, provider),
        ).fetchone()
        return row

    def consumers_of(self, provider: str) -> list[str]:
        return [
            r[0]
            for r in self._db.execute(
                "SELECT DISTINCT consumer FROM pacts WHERE provider=? ORDER BY 1", (provider,)
            )
        ]

    def version_for_pact(self, consumer: str, provider: str, sha: str) -> str | None:
        """The latest consumer version published with exactly this pact content."""
        row = self._db.execute(
            "SELECT consumer_version FROM pacts WHERE consumer=? AND provider=? AND sha=?"
            " ORDER BY published_at DESC, rowid DESC LIMIT 1",
            (consumer, provider, sha),
        ).fetchone()
        return row[0] if row else None

    def deployed(self, pacticipant: str, environment: str) -> list[str]:
        return [
            r[0]
            for r in self._db.execute(
                "SELECT version FROM deployments WHERE pacticipant=? AND environment=?"
                " AND undeployed_at IS NULL ORDER BY deployed_at",
                (pacticipant, environment),
            )
        ]

    def environments(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT environment FROM deployments ORDER BY 1")]

    def latest_on_branch(
        self, pacticipant: str, branch: str, *, with_pact_for: str | None = None
    ) -> str | None:
        """The newest version of ``pacticipant`` built from ``branch``.

        With ``with_pact_for``, only versions that have a pact with that provider count.
        """
        query = "SELECT v.number FROM versions v WHERE v.pacticipant=? AND v.branch=?"
        args: list[str] = [pacticipant, branch]
        if with_pact_for is not None:
            query += (
                " AND EXISTS (SELECT 1 FROM pacts p WHERE p.consumer=v.pacticipant"
                " AND p.consumer_version=v.number AND p.provider=?)"
            )
            args.append(with_pact_for)
        row = self._db.execute(query + " ORDER BY v.created_at DESC, v.rowid DESC LIMIT 1", args).fetchone()
        return row[0] if row else None

    def latest_verification(
        self, consumer: str, consumer_version: str, provider: str, provider_version: str
    ) -> Verification | None:
        """The newest verification by ``provider_version`` of the pact ``consumer_version`` has.

        A verification of the same pact content for another consumer version counts too, as in
        a Pact Broker: the provider verified the content, whoever published it.
        """
        pact = self.pact(consumer, consumer_version, provider)
        row = self._db.execute(
            "SELECT * FROM verifications WHERE consumer=? AND provider=? AND provider_version=?"
            " AND (consumer_version=? OR pact_sha=?) ORDER BY id DESC LIMIT 1",
            (consumer, provider, provider_version, consumer_version, pact["sha"] if pact else ""),
        ).fetchone()
        if row is None:
            return None
        return Verification(
            row["consumer"],
            row["consumer_version"],
            row["consumer_branch"],
            row["provider"],
            row["provider_version"],
            row["provider_branch"],
            row["pact_sha"],
            bool(row["success"]),
            row["verified_at"],
        )

    # -- runs: every run's verdict and key figures ---------------------------------------------

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """A damaged store file is one line naming it (exit 2), never a traceback."""
        try:
            yield
        except (sqlite3.DatabaseError, ValueError, IndexError) as exc:  # bad pages, bad rows
            raise ConfigError(
                f"the run history is unreadable: {exc} (move the file away to start a new one)",
                self.home / DB_FILE,
            ) from None

    def record_run(self, run: RunRecord) -> None:
        """Keep ``run``'s verdict and figures (a run recorded twice replaces its rows)."""
        with self._guarded(), self._transaction() as db:
            old = db.execute("SELECT seq FROM runs WHERE run_id=?", (run.run_id,)).fetchone()
            if old is not None:
                for table in ("run_figures", "run_stages", "run_integrations", "runs"):
                    db.execute(f"DELETE FROM {table} WHERE seq=?", (old[0],))
            seq = db.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, status, exit_code, profile, stages)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.started_at,
                    run.finished_at,
                    run.status,
                    run.exit_code,
                    run.profile,
                    json.dumps(list(run.stages)),
                ),
            ).lastrowid
            for i in run.integrations:
                db.execute(
                    "INSERT INTO run_integrations VALUES (?, ?, ?, ?, ?)",
                    (seq, i.integration, i.consumer, i.provider, i.status),
                )
                db.executemany(
                    "INSERT INTO run_stages VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (seq, i.integration, s.stage, s.status, s.checks, s.findings, s.duration_s)
                        for s in i.stages
                    ],
                )
                db.executemany(
                    "INSERT INTO run_figures VALUES (?, ?, ?, ?, ?, ?)",
                    [(seq, i.integration, f.stage, f.subject, f.metric, f.value) for f in i.figures],
                )

    def recent_runs(self, limit: int, integration: str | None = None) -> list[RunRecord]:
        """The newest ``limit`` runs (at most :data:`MAX_RUNS`), newest first; with ``integration``,
        only runs that covered it, each holding that integration only."""
        limit = max(0, min(limit, MAX_RUNS))
        if integration is None:
            query, args = "SELECT * FROM runs ORDER BY seq DESC LIMIT ?", (limit,)
        else:
            query = (
                "SELECT r.* FROM runs r JOIN run_integrations i ON i.seq = r.seq"
                " WHERE i.integration=? ORDER BY r.seq DESC LIMIT ?"
            )
            args = (integration, limit)  # type: ignore[assignment]
        with self._guarded():
            return self._runs_of(list(self._db.execute(query, args)), integration)

    def recorded_integrations(self) -> list[str]:
        """Every integration some recorded run covered."""
        with self._guarded():
            return [
                r[0] for r in self._db.execute("SELECT DISTINCT integration FROM run_integrations ORDER BY 1")
            ]

    def last_green_run(self, integration: str, before: str | None = None) -> RunRecord | None:
        """The newest run (before run ``before``, when given) in which ``integration`` was green."""
        query = "SELECT r.* FROM runs r JOIN run_integrations i ON i.seq = r.seq WHERE i.integration=?"
        args: list[object] = [integration]
        query += f" AND i.status IN ({','.join('?' * len(GREEN_STATUSES))})"
        args += GREEN_STATUSES
        if before is not None:
            query += " AND r.seq < coalesce((SELECT seq FROM runs WHERE run_id=?), -1)"
            args.append(before)
        with self._guarded():
            rows = list(self._db.execute(query + " ORDER BY r.seq DESC LIMIT 1", args))
            found = self._runs_of(rows, integration)
        return found[0] if found else None

    def first_run_after(self, integration: str, run_id: str | None) -> str | None:
        """The id of the first run that covered ``integration`` after ``run_id`` (None: the very first)."""
        with self._guarded():
            row = self._db.execute(
                "SELECT r.run_id FROM runs r JOIN run_integrations i ON i.seq = r.seq WHERE i.integration=?"
                " AND r.seq > coalesce((SELECT seq FROM runs WHERE run_id=?), -1) ORDER BY r.seq LIMIT 1",
                (integration, run_id),
            ).fetchone()
        return row[0] if row else None

    def _runs_of(self, rows: list[sqlite3.Row], integration: str | None) -> list[RunRecord]:
        """Full records of ``rows`` of ``runs``: two more queries, bounded by the rows' sequence numbers."""
        if not rows:
            return []
        seqs = [row["seq"] for row in rows]
        marks = ",".join("?" * len(seqs))
        only = " AND integration=?" if integration is not None else ""
        extra = [integration] if integration is not None else []
        stages: dict[tuple[int, str], list[StageRecord]] = {}
        for r in self._db.execute(
            f"SELECT * FROM run_stages WHERE seq IN ({marks}){only} ORDER BY rowid", [*seqs, *extra]
        ):
            stages.setdefault((r["seq"], r["integration"]), []).append(
                StageRecord(r["stage"], r["status"], r["checks"], r["findings"], r["duration_s"])
            )
        figures: dict[tuple[int, str], list[FigureRecord]] = {}
        for r in self._db.execute(
            f"SELECT * FROM run_figures WHERE seq IN ({marks}){only} ORDER BY rowid", [*seqs, *extra]
        ):
            figures.setdefault((r["seq"], r["integration"]), []).append(
                FigureRecord(r["stage"], r["subject"], r["metric"], r["value"])
            )
        judged: dict[int, list[IntegrationRecord]] = {}
        for r in self._db.execute(
            f"SELECT * FROM run_integrations WHERE seq IN ({marks}){only} ORDER BY rowid", [*seqs, *extra]
        ):
            key = (r["seq"], r["integration"])
            judged.setdefault(r["seq"], []).append(
                IntegrationRecord(
                    r["integration"],
                    r["consumer"],
                    r["provider"],
                    r["status"],
                    tuple(stages.get(key, [])),
                    tuple(figures.get(key, [])),
                )
            )
        return [
            RunRecord(
                run_id=row["run_id"],
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                status=row["status"],
                exit_code=row["exit_code"],
                profile=row["profile"],
                stages=tuple(json.loads(row["stages"])),
                integrations=tuple(judged.get(row["seq"], [])),
            )
            for row in rows
        ]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
