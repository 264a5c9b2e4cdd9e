"""What the history keeps of a run: its verdict and key figures, per integration and stage.

A run's verdict.json holds everything, but answering "what broke, since when" from hundreds of
verdict files would mean reading them all. So every run also leaves a few rows in the local
store (:mod:`interlock.history.store`): one per run, per integration, per stage, and per key
figure (a load SLO's p95/p99/error rate, a chaos fault's amplification and recovery, the fuzz
coverage), which ``interlock history`` and report.html's trends read back, newest N only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interlock.core.verdict import RunVerdict, Status

#: Integration (and stage) statuses that count as green for "failing since run X".
GREEN = frozenset({Status.PASSED.value, Status.SKIPPED.value})


@dataclass(frozen=True)
class FigureRecord:
    """One measured figure: ``subject`` is the check it belongs to ("" for the stage as a whole)."""

    stage: str
    subject: str
    metric: str
    value: float


@dataclass(frozen=True)
class StageRecord:
    stage: str
    status: str
    checks: int
    findings: int
    duration_s: float


@dataclass(frozen=True)
class IntegrationRecord:
    integration: str
    consumer: str | None
    provider: str
    status: str
    stages: tuple[StageRecord, ...] = ()
    figures: tuple[FigureRecord, ...] = ()

    @property
    def green(self) -> bool:
        return self.status in GREEN

    def stage(self, name: str) -> StageRecord | None:
        return next((s for s in self.stages if s.stage == name), None)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: str
    finished_at: str | None
    status: str
    exit_code: int
    profile: str
    stages: tuple[str, ...]
    integrations: tuple[IntegrationRecord, ...] = field(default=())

    def integration(self, name: str) -> IntegrationRecord | None:
        return next((i for i in self.integrations if i.integration == name), None)


def record_of(verdict: RunVerdict) -> RunRecord:
    """The rows the history keeps of ``verdict`` (already redacted by the caller)."""
    integrations = []
    for judged in verdict.integrations:
        stages = tuple(
            StageRecord(s.stage, s.status.value, len(s.checks), len(s.findings), s.duration_s)
            for s in judged.stages
        )
        figures = tuple(
            [
                FigureRecord(s.stage, "", metric, value)
                for s in judged.stages
                for metric, value in s.figures.items()
            ]
            + [
                FigureRecord(s.stage, check.name, metric, value)
                for s in judged.stages
                for check in s.checks
                for metric, value in check.figures.items()
            ]
        )
        integrations.append(
            IntegrationRecord(
                judged.integration, judged.consumer, judged.provider, judged.status.value, stages, figures
            )
        )
    return RunRecord(
        run_id=verdict.run_id,
        started_at=verdict.started_at.isoformat(timespec="seconds"),
        finished_at=verdict.finished_at.isoformat(timespec="seconds") if verdict.finished_at else None,
        status=verdict.status,
        exit_code=verdict.exit_code,
        profile=verdict.profile,
        stages=tuple(verdict.stages),
        integrations=tuple(integrations),
    )
