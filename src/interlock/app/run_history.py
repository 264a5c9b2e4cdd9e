"""Keep each run in the local history and hand report.html what it shows besides the run.

After the stages, before the reports: the run's verdict and key figures go into the store
(:mod:`interlock.history.runs`), then the last N runs of each integration come back as plain
data for the page (core renders but never reads the history). A store that cannot be opened or
read costs the page its history section and the console one warning, never the run's reports.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from interlock.core.console import Output
from interlock.core.errors import ConfigError, UsageError
from interlock.core.integration_map import build_map
from interlock.core.manifest import Manifest
from interlock.core.redact import RedactionPolicy
from interlock.core.report_extras import ReportExtras
from interlock.core.verdict import RunVerdict
from interlock.history.runs import record_of
from interlock.history.store import Store, home_dir
from interlock.history.trends import DEFAULT_RUNS, histories

#: How many runs report.html shows per integration (0: no history section, nothing recorded).
RUNS_ENV = "INTERLOCK_HISTORY_RUNS"


def history_runs() -> int:
    """``$INTERLOCK_HISTORY_RUNS``, default 10; anything but a whole number >= 0 is a usage error."""
    text = os.environ.get(RUNS_ENV, "").strip()
    if not text:
        return DEFAULT_RUNS
    if not text.isdigit():
        raise UsageError(f"{RUNS_ENV}={text!r}: expected a whole number of runs (0 turns the history off)")
    return int(text)


def report_extras(
    verdict: RunVerdict,
    manifest: Manifest,
    stages: Sequence[str],
    policy: RedactionPolicy,
    output: Output,
    runs: int = DEFAULT_RUNS,
) -> ReportExtras:
    """Record ``verdict`` (finished) in the store; the map and the history for its report."""
    safe = RunVerdict.model_validate(policy.data(verdict.model_dump(mode="json")))
    graph = build_map(manifest, safe, tuple(stages))
    if runs == 0:
        return ReportExtras(integration_map=graph)
    record = record_of(safe)
    try:
        with Store(home_dir(manifest.base_dir)) as store:
            store.record_run(record)
            shown = histories(store, record, runs)
    except ConfigError as exc:
        output.warn(f"run history: {exc}; report.html has no history this time")
        return ReportExtras(integration_map=graph, history_note=f"No history: {exc}")
    except Exception as exc:  # the reports come first: any other failure is a warning too
        output.warn(f"run history: {type(exc).__name__}: {exc}; report.html has no history this time")
        return ReportExtras(integration_map=graph, history_note=f"No history: {type(exc).__name__}: {exc}")
    return ReportExtras(integration_map=graph, history=shown)
