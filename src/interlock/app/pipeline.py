"""One run of interlock: validate, start services, run stages per integration, report.

The order matters for the user: every input is validated (exit 2) before any process starts;
services start once for the whole run; a stage that crashes becomes an ``error`` result, not a
traceback; and whatever happens (a failed start, Ctrl-C, SIGTERM) the services are stopped and
the reports are written.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from interlock import __version__
from interlock.app.artefacts import declared_secrets, seal_run_dir
from interlock.app.log_secrets import LogSecretScan
from interlock.app.reporting import interrupted_result, judge_integration, new_verdict, write_run_reports
from interlock.app.run_history import history_runs, report_extras
from interlock.app.run_options import PROFILES, RunOptions, select_integrations
from interlock.app.sandboxing import enter_sandbox_if_asked
from interlock.app.stages import STAGE_ENTRIES
from interlock.core.config import did_you_mean
from interlock.core.console import Output
from interlock.core.errors import ConfigError, Interrupted, RunIncomplete, UsageError
from interlock.core.interrupts import InterruptGuard
from interlock.core.manifest import Integration, Manifest, load_manifest, start_order
from interlock.core.redact import RedactionPolicy
from interlock.core.reports import new_run_id
from interlock.core.services import ServiceGroup, check_fixed_port
from interlock.core.verdict import RunVerdict, StageResult
from interlock.faults.fabric import FaultFabric
from interlock.stages.base import Stage, StageContext, WarmsUp

#: The stages this version can run, in the order they run (registered in interlock.app.stages).
STAGES: dict[str, Stage] = {entry.name: entry.stage() for entry in STAGE_ENTRIES}
#: Stages DESIGN.md describes that are not built yet: named in errors so users know why.
PLANNED_STAGES: tuple[str, ...] = ()

__all__ = ["PLANNED_STAGES", "PROFILES", "STAGES", "RunOptions", "RunOutcome", "run", "select_integrations"]


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
            raise UsageError(
                f"stage '{name}' is not available in interlock {__version__} yet"
                f" (available: {', '.join(STAGES)})"
            )
        if name not in STAGES:
            raise UsageError(
                f"unknown stage '{name}'{did_you_mean(name, [*STAGES, *PLANNED_STAGES])}"
                f" (available: {', '.join(STAGES)})"
            )
    return [name for name in STAGES if name in wanted]


def run(options: RunOptions, output: Output) -> RunOutcome:
    """Run the gate; raises ConfigError/UsageError (exit 2) only before anything has started."""
    if options.profile not in PROFILES:
        raise UsageError(f"unknown profile '{options.profile}' (use {' or '.join(PROFILES)})")
    manifest = load_manifest(options.manifest)
    stage_names = select_stages(options.stages)
    integrations = select_integrations(manifest, options.only)
    stages = [options.stage_overrides.get(name) or STAGES[name] for name in stage_names]
    for integration in integrations:
        for stage in stages:
            stage.preflight(manifest, integration)
    needed = start_order(
        manifest, sorted({s for i in integrations for st in stages for s in st.services_needed(manifest, i)})
    )
    enter_sandbox_if_asked(options, manifest, stages, integrations, needed, output)
    for name in needed:
        check_fixed_port(manifest, name)
    shown_runs = history_runs()

    run_id = new_run_id()
    run_dir = options.report_dir / run_id
    fabric = _fault_fabric(manifest, stages, integrations, run_dir, run_id, output)
    run_dir.mkdir(parents=True, exist_ok=True)
    verdict = new_verdict(run_id, options.manifest, options.profile, stage_names)
    output.info(
        f"interlock {__version__}: run {run_id}, {len(integrations)} integration(s),"
        f" stages {', '.join(stage_names)}"
    )
    services = ServiceGroup(
        manifest,
        run_dir / "services",
        run_id=run_id,
        on_event=output.info,
        proxy_url=_through(fabric, manifest, lambda name: services.url(name)),
    )
    # What the inputs make the run send is known now: the console masks it from the first line on.
    policy = redaction_policy(manifest).with_secrets(declared_secrets(manifest, stages, integrations))
    output.redaction = policy
    hygiene = LogSecretScan(manifest, services, run_dir)
    with InterruptGuard() as guard:
        try:
            if fabric is not None:
                fabric.start_in_background()  # boots while the providers do; the consumer waits for it
            for stage in stages:
                if isinstance(stage, WarmsUp):  # e.g. the fuzz worker imports while the providers start
                    stage.warm_up(manifest, integrations, run_dir, run_id)
            services.start(needed)
            ctx = StageContext(
                manifest,
                services,
                run_dir,
                run_id,
                options.profile,
                output,
                fault_proxy=fabric,
                redaction=policy,
                confirmation=options.confirmation(manifest),
            )
            for integration in integrations:
                judge_integration(
                    verdict,
                    integration,
                    [partial(_run_stage, stage, ctx, hygiene) for stage in stages],
                    output,
                )
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
            for stage in stages:
                if isinstance(stage, WarmsUp):
                    stage.cool_down()
            services.stop_all()
            _close_fabric(fabric, output)
            if guard.received is not None and verdict.interrupted_by is None:
                verdict.interrupted_by = guard.received
            sealed = seal_run_dir(run_dir, policy, output, fabric)
            verdict.finished_at = datetime.now(UTC)
            extras = report_extras(verdict, manifest, list(STAGES), sealed, output, shown_runs)
            write_run_reports(verdict, run_dir, sealed, extras)
    return RunOutcome(verdict, run_dir)


def redaction_policy(manifest: Manifest) -> RedactionPolicy:
    """What the run's reports mask: every service ``env`` value whose name looks secret, and names."""
    return RedactionPolicy.for_services({name: service.env for name, service in manifest.services.items()})


def _fault_fabric(
    manifest: Manifest,
    stages: Sequence[Stage],
    integrations: Sequence[Integration],
    run_dir: Path,
    run_id: str,
    output: Output,
) -> FaultFabric | None:
    """The run's fault proxy, when a selected stage with work to do injects faults (chaos, load)."""
    if not any(
        stage.needs_fault_proxy(manifest, integration) for stage in stages for integration in integrations
    ):
        return None
    return FaultFabric.from_environment(
        run_dir / "proxy", run_id=run_id, allow_remote=manifest.allow_remote, on_event=output.info
    )


def _through(
    fabric: FaultFabric | None, manifest: Manifest, provider_url: Callable[[str], str]
) -> Callable[[str], str] | None:
    """How {proxy:INTEGRATION} resolves: through the fault proxy, or (None) straight to the provider."""
    if fabric is None:
        return None
    return lambda integration: fabric.url_for(
        integration, provider_url(manifest.integration(integration).provider)
    )


def _close_fabric(fabric: FaultFabric | None, output: Output) -> None:
    """Remove every proxy and toxic the run made; a failure here must not stop the report."""
    if fabric is None:
        return
    try:
        fabric.close()
    except Exception as exc:
        output.warn(f"could not clean up the fault proxy: {type(exc).__name__}: {exc}")


def _run_stage(
    stage: Stage, ctx: StageContext, hygiene: LogSecretScan, integration: Integration
) -> StageResult:
    """Run one stage, then search the services' logs for secrets (a leak is a check of the stage)."""
    result = _run_stage_alone(stage, ctx, integration)
    try:
        wire = ctx.fault_proxy.credentials() if ctx.fault_proxy is not None else []
        leaks = hygiene.check(result.stage, integration, ctx.redaction, wire)
    except Exception as exc:  # the stage's own result must not be lost to the scan
        ctx.output.warn(f"could not search the service logs for secrets: {type(exc).__name__}: {exc}")
        return result
    if leaks is not None:
        result.checks.append(leaks)
    return result


def _run_stage_alone(stage: Stage, ctx: StageContext, integration: Integration) -> StageResult:
    """Run one stage; an exception inside it becomes an ``error`` result with its traceback saved."""
    started = time.monotonic()
    try:
        return stage.run(ctx, integration)
    except Interrupted as exc:  # recorded as interrupted with what it had measured, then the run stops
        partial = exc.partial if isinstance(exc.partial, StageResult) else None
        exc.partial = interrupted_result(
            partial or StageResult(stage=stage.name, integration=integration.name),
            exc.signum,
            round(time.monotonic() - started, 3),
        )
        raise
    except Exception as exc:
        crash = ctx.artefact_dir(stage.name, integration.name) / "crash.txt"
        crash.write_text(traceback.format_exc(), encoding="utf-8")
        return StageResult(
            stage=stage.name,
            integration=integration.name,
            duration_s=round(time.monotonic() - started, 3),
            error=f"{type(exc).__name__}: {exc} (traceback: {crash.relative_to(ctx.run_dir)})",
            artefacts=[str(crash.relative_to(ctx.run_dir))],
        )
