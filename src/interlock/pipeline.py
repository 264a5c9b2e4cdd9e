"""One run of interlock: validate, start services, run stages per integration, report.

The order matters for the user: every input is validated (exit 2) before any process starts;
services start once for the whole run; a stage that crashes becomes an ``error`` result, not a
traceback; and whatever happens (a failed start, Ctrl-C, SIGTERM) the services are stopped and
the reports are written.
"""

from __future__ import annotations

import difflib
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from interlock import __version__
from interlock.contracts.stage import ContractsStage
from interlock.core.console import Output
from interlock.core.interrupts import InterruptGuard
from interlock.core.manifest import IntegrationSpec, Manifest, load_manifest, start_order
from interlock.core.reports import new_run_id, point_latest, write_reports
from interlock.core.services import ServiceGroup, check_fixed_port
from interlock.core.stage import Stage, StageContext
from interlock.core.verdict import IntegrationVerdict, RunVerdict, StageResult
from interlock.fuzz.stage import FuzzStage
from interlock.errors import ConfigError, Interrupted, RunIncomplete, UsageError

#: The stages this version can run, in the order they run.
STAGES: dict[str, Stage] = {"contracts": ContractsStage(), "fuzz": FuzzStage()}
#: Stages DESIGN.md describes that are not built yet: named in errors so users know why.
PLANNED_STAGES = ("chaos", "load")
PROFILES = ("ci", "full")


@dataclass(frozen=True)
class RunOptions:
    manifest: Path = Path("interlock.yaml")
    stages: Sequence[str] = field(default_factory=lambda: list(STAGES))
    only: Sequence[str] = ()
    profile: str = "ci"
    report_dir: Path = Path("reports")


@dataclass(frozen=True)
class RunOutcome:
    verdict: RunVerdict
    run_dir: Path


def select_stages(names: Sequence[str]) -> list[str]:
    wanted = [n.strip() for name in names for n in name.split(",") if n.strip()]
    if not wanted or wanted == ["all"]:
        return list(STAGES)
    for name in wanted:
        if name in PLANNED_STAGES:
            raise UsageError(f"stage '{name}' is not available in interlock {__version__} yet"
                             f" (available: {', '.join(STAGES)})")
        if name not in STAGES:
            raise UsageError(f"unknown stage '{name}'{_did_you_mean(name, [*STAGES, *PLANNED_STAGES])}"
                             f" (available: {', '.join(STAGES)})")
    return [name for name in STAGES if name in wanted]


def select_integrations(manifest: Manifest, only: Sequence[str]) -> list[IntegrationSpec]:
    wanted = [n.strip() for name in only for n in name.split(",") if n.strip()]
    known = [i.name for i in manifest.integrations]
    for name in wanted:
        if name not in known:
            raise UsageError(f"--only {name}: no integration of that name in {manifest.path.name}"
                             f"{_did_you_mean(name, known)} (known: {', '.join(known)})")
    return [i for i in manifest.integrations if not wanted or i.name in wanted]


def run(options: RunOptions, output: Output) -> RunOutcome:
    """Run the gate; raises ConfigError/UsageError (exit 2) only before anything has started."""
    if options.profile not in PROFILES:
        raise UsageError(f"unknown profile '{options.profile}' (use {' or '.join(PROFILES)})")
    manifest = load_manifest(options.manifest)
    stage_names = select_stages(options.stages)
    integrations = select_integrations(manifest, options.only)
    stages = [STAGES[name] for name in stage_names]
    for integration in integrations:
        for stage in stages:
            stage.preflight(manifest, integration)
    needed = start_order(manifest, sorted({s for i in integrations for st in stages
                                           for s in st.services_needed(manifest, i)}))
    for name in needed:
        check_fixed_port(manifest, name)

    run_id = new_run_id()
    run_dir = options.report_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    verdict = RunVerdict(run_id=run_id, tool_version=__version__, manifest=str(options.manifest),
                         profile=options.profile, stages=stage_names, started_at=datetime.now(UTC))
    output.info(f"interlock {__version__}: run {run_id}, {len(integrations)} integration(s),"
                f" stages {', '.join(stage_names)}")
    services = ServiceGroup(manifest, run_dir / "services", run_id=run_id, on_event=output.info)
    with InterruptGuard() as guard:
        try:
            services.start(needed)
            ctx = StageContext(manifest, services, run_dir, run_id, options.profile, output)
            for integration in integrations:
                iv = IntegrationVerdict(integration=integration.name, consumer=integration.consumer,
                                        provider=integration.provider)
                verdict.integrations.append(iv)
                for stage in stages:
                    iv.stages.append(_run_stage(stage, ctx, integration))
                    output.stage_finished(iv.stages[-1])
        except Interrupted as exc:
            verdict.interrupted_by = exc.signum
            output.warn(f"interrupted by signal {exc.signum}: stopping services and writing the report")
        except RunIncomplete as exc:
            verdict.error = str(exc)
        except ConfigError as exc:  # e.g. a fixed port taken since preflight: exit 2, report says why
            verdict.error = str(exc)
            raise
        finally:
            guard.cleaning_up()
            services.stop_all()
            if guard.received is not None and verdict.interrupted_by is None:
                verdict.interrupted_by = guard.received
            verdict.finished_at = datetime.now(UTC)
            write_reports(verdict, run_dir)
            point_latest(run_dir)
    return RunOutcome(verdict, run_dir)


def _run_stage(stage: Stage, ctx: StageContext, integration: IntegrationSpec) -> StageResult:
    """Run one stage; an exception inside it becomes an ``error`` result with its traceback saved."""
    started = time.monotonic()
    try:
        return stage.run(ctx, integration)
    except Exception as exc:  # noqa: BLE001 - a crashed stage (ConfigError included) must not end the run
        crash = ctx.artefact_dir(stage.name, integration.name) / "crash.txt"
        crash.write_text(traceback.format_exc(), encoding="utf-8")
        return StageResult(stage=stage.name, integration=integration.name,
                           duration_s=round(time.monotonic() - started, 3),
                           error=f"{type(exc).__name__}: {exc} (traceback: {crash.relative_to(ctx.run_dir)})",
                           artefacts=[str(crash.relative_to(ctx.run_dir))])


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
