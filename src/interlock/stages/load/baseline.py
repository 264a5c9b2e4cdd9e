"""Compare a run with the previous run of the same profile and flag regressions.

Each completed run appends its headline figures (p95, error rate, rps) to a small history file
per integration and profile, by default under ``.interlock/load-history/`` next to the manifest
(gitignored; ``INTERLOCK_LOAD_HISTORY`` moves it). A run is compared only with a previous run of
the same shape and locustfile: comparing a spike with a soak would flag nonsense.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from interlock.stages.load.profile import Baseline

HISTORY_ENV = "INTERLOCK_LOAD_HISTORY"
DEFAULT_HISTORY_DIR = Path(".interlock") / "load-history"
KEEP_RUNS = 50


@dataclass(frozen=True)
class RunFigures:
    """The figures a run is compared on."""

    run_id: str
    fingerprint: str  #: of the shape and the task mix: only equal fingerprints compare
    p95_ms: float
    error_rate: float
    rps: float
    requests: int


@dataclass(frozen=True)
class Regression:
    metric: str
    before: float
    now: float
    limit: float
    text: str


def fingerprint(shape: dict[str, Any], locustfile: Path) -> str:
    digest = hashlib.sha256(json.dumps(shape, sort_keys=True).encode())
    digest.update(locustfile.read_bytes() if locustfile.is_file() else b"")
    return digest.hexdigest()[:16]


def history_path(base_dir: Path, integration: str, profile_name: str) -> Path:
    root = Path(os.environ[HISTORY_ENV]) if os.environ.get(HISTORY_ENV) else base_dir / DEFAULT_HISTORY_DIR
    return root / f"{integration}--{profile_name}.json"


def previous_run(path: Path, fingerprint_: str) -> RunFigures | None:
    """The latest recorded run with the same fingerprint, if any."""
    for item in reversed(_read(path)):
        if item.get("fingerprint") == fingerprint_:
            return RunFigures(**item)
    return None


def record(path: Path, figures: RunFigures) -> None:
    runs = [*_read(path), asdict(figures)][-KEEP_RUNS:]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def compare(before: RunFigures, now: RunFigures, policy: Baseline) -> list[Regression]:
    """Regressions of ``now`` against ``before`` beyond the policy's tolerances."""
    found = []
    p95_limit = before.p95_ms * (1 + policy.tolerance)
    if now.p95_ms > p95_limit:
        found.append(
            Regression(
                "p(95)",
                before.p95_ms,
                now.p95_ms,
                p95_limit,
                f"p(95) {before.p95_ms:.0f}ms -> {now.p95_ms:.0f}ms"
                f" ({_change(before.p95_ms, now.p95_ms)}, tolerance +{policy.tolerance:.0%})",
            )
        )
    error_limit = before.error_rate + policy.error_rate_tolerance
    if now.error_rate > error_limit:
        found.append(
            Regression(
                "error_rate",
                before.error_rate,
                now.error_rate,
                error_limit,
                f"error_rate {before.error_rate:.2%} -> {now.error_rate:.2%}"
                f" (tolerance +{policy.error_rate_tolerance:.2%} points)",
            )
        )
    rps_limit = before.rps * (1 - policy.tolerance)
    if now.rps < rps_limit:
        found.append(
            Regression(
                "rps",
                before.rps,
                now.rps,
                rps_limit,
                f"rps {before.rps:.1f} -> {now.rps:.1f}"
                f" ({_change(before.rps, now.rps)}, tolerance -{policy.tolerance:.0%})",
            )
        )
    return found


def _change(before: float, now: float) -> str:
    return f"{(now - before) / before:+.0%}" if before else "from 0"


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return []
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
