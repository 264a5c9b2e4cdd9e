"""Read the run history back for report.html: per integration, the last runs and what changed.

The page answers "what broke, since when": a strip of the last N runs' stage results, a trend of
each key figure, and against the last run in which the integration was green, which stages
turned and which figures moved ("failing since run X", "load run p(99) up from 120ms to 480ms").
Every read is bounded: the last N runs, plus the one last green run and the run after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.core.report_extras import IntegrationHistory, RunCell, Trend, format_figure
from interlock.history.runs import GREEN, IntegrationRecord, RunRecord
from interlock.history.store import Store

#: Runs shown per integration unless asked otherwise.
DEFAULT_RUNS = 10
#: Figures drawn as trends, per stage (load: every SLO figure; see :func:`_shown`).
CHAOS_TRENDS = ("amplification", "recovery_s")
FUZZ_TRENDS = ("fuzz_coverage",)
#: A figure must move by this share of its old value to be called a change.
CHANGE_SHARE = 0.10


@dataclass(frozen=True)
class _Key:
    stage: str
    subject: str
    metric: str


def histories(store: Store, run: RunRecord, limit: int = DEFAULT_RUNS) -> tuple[IntegrationHistory, ...]:
    """The history of each integration of ``run`` (already recorded), ``limit`` runs at most."""
    return tuple(_history(store, run, judged, limit) for judged in run.integrations)


def _history(store: Store, run: RunRecord, judged: IntegrationRecord, limit: int) -> IntegrationHistory:
    name = judged.integration
    records = list(reversed(store.recent_runs(limit, name)))  # oldest first
    if not records or records[-1].run_id != run.run_id:
        records = [*records[1:], run] if len(records) >= limit else [*records, run]
    stages = list(run.stages)
    for record in records:
        for stage in _of(record, name).stages:
            if stage.stage not in stages:
                stages.append(stage.stage)
    cells = tuple(
        RunCell(
            r.run_id,
            r.started_at,
            _of(r, name).status,
            {s.stage: s.status for s in _of(r, name).stages},
            current=r.run_id == run.run_id,
        )
        for r in records
    )
    keys: dict[_Key, None] = {}
    for record in reversed(records):  # the newest run's figures first, in its order
        for figure in _of(record, name).figures:
            key = _key(figure.stage, figure.subject, figure.metric)
            if key is not None:
                keys.setdefault(key)
    trends = tuple(
        Trend(key.stage, key.subject, key.metric, tuple(_figures(_of(r, name)).get(key) for r in records))
        for key in keys
    )
    return IntegrationHistory(name, tuple(stages), cells, trends, _changes(store, run, judged, records))


def _when(started_at: str) -> str:
    """``2026-12-03T22:49:59+00:00`` as ``2026-12-03 22:49:59 UTC``."""
    return started_at.replace("T", " ").removesuffix("+00:00") + (
        " UTC" if started_at.endswith("+00:00") else ""
    )


def _of(record: RunRecord, integration: str) -> IntegrationRecord:
    found = record.integration(integration)
    return found if found is not None else IntegrationRecord(integration, None, "", "not-run")


def _key(stage: str, subject: str, metric: str) -> _Key | None:
    """The trend a figure belongs to, or None when it is not drawn.

    A load SLO check is named ``SLO <scope>: <threshold>`` and carries its scope's figures, so
    the checks of one scope share one trend per metric.
    """
    if subject.startswith("SLO ") and ": " in subject:
        return _Key(stage, subject.removeprefix("SLO ").split(": ", 1)[0], metric)
    if stage == "chaos" and metric in CHAOS_TRENDS and not subject.endswith("steady state"):
        return _Key(stage, subject, metric)
    if stage == "fuzz" and metric in FUZZ_TRENDS:
        return _Key(stage, subject, metric)
    return None


def _figures(judged: IntegrationRecord) -> dict[_Key, float]:
    found: dict[_Key, float] = {}
    for figure in judged.figures:
        key = _key(figure.stage, figure.subject, figure.metric)
        if key is not None:
            found.setdefault(key, figure.value)
    return found


def _changes(
    store: Store, run: RunRecord, judged: IntegrationRecord, records: list[RunRecord]
) -> tuple[str, ...]:
    """What changed since the last green run, in sentences; nothing while the integration is green
    and was green the run before."""
    name = judged.integration
    if judged.green:
        before = [r for r in records if r.run_id != run.run_id]
        previous = _of(before[-1], name) if before else None
        if previous is not None and previous.status != "not-run" and not previous.green:
            return (f"green again: {previous.status} in run {before[-1].run_id}",)
        return ()
    green = store.last_green_run(name, before=run.run_id)
    since = store.first_run_after(name, green.run_id if green else None) or run.run_id
    what = f"{judged.status} since this run" if since == run.run_id else f"{judged.status} since run {since}"
    if green is None:
        return (f"{what}: no green run recorded before",)
    then = _of(green, name)
    lines = [f"{what} (last green: run {green.run_id}, {_when(green.started_at)})"]
    for stage in judged.stages:
        old = then.stage(stage.stage)
        if stage.status not in GREEN and old is not None and old.status in GREEN:
            lines.append(f"{stage.stage}: {old.status} in run {green.run_id}, {stage.status} now")
    was, now = _figures(then), _figures(judged)
    for key, value in now.items():
        old_value = was.get(key)
        if old_value is None or abs(value - old_value) <= CHANGE_SHARE * abs(old_value) or value == old_value:
            continue
        direction = "up" if value > old_value else "down"
        subject = f" {key.subject}" if key.subject else ""
        lines.append(
            f"{key.stage}{subject} {key.metric} {direction} from {format_figure(key.metric, old_value)}"
            f" to {format_figure(key.metric, value)}"
        )
    return tuple(lines)
