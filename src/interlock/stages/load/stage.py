"""The load stage: run an integration's load profile with Locust and gate it on its SLOs.

One profile per integration (``load:`` in the manifest). The stage sets the provider states the
profile needs, builds the task mix (the profile's locustfile, or one generated from the pacts),
runs Locust in its own processes, and turns what it measured into checks: one per SLO, plus the
baseline comparison and, with ``under_fault``, the figures before, during and after the fault.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.core.confirmation import Attempt, confirm
from interlock.core.errors import ConfigError
from interlock.core.manifest import Integration, Manifest
from interlock.core.metrics import is_timing
from interlock.core.network import require_local_target
from interlock.core.redact import Secret
from interlock.core.reproduction import display_path, rerun_command
from interlock.core.verdict import CheckResult, Finding, Severity, StageResult, Status
from interlock.core.yamlfile import load_yaml
from interlock.pacts.pactfile import ProviderState, load_pact
from interlock.pacts.secrets import pact_secrets
from interlock.stages.base import StageContext
from interlock.stages.load import baseline, generate, plots, slo, summary, under_fault
from interlock.stages.load.locust_process import LocustJob, run_locust
from interlock.stages.load.metrics import Timeline
from interlock.stages.load.profile import LoadProfile, StateSetup, load_profile
from interlock.stages.load.schedule import Phase
from interlock.stages.load.schedule import phases as shape_phases
from interlock.stages.load.secrets import locustfile_secrets

STAGE = "load"
PROGRESS_EVERY_S = 5.0
PLOT_FILE = "load-over-time.png"
#: The check that fails when abort_on_fail stopped the run (there is none when it did not).
COMPLETED_CHECK = "run completed its shape"


@dataclass(frozen=True)
class LoadOptions:
    """How Locust is run (the command line's ``--workers`` and friends)."""

    workers: int = 0
    remote_workers: int = 0
    master_bind_host: str = "127.0.0.1"
    master_port: int | None = None


class LoadStage:
    name = STAGE

    def __init__(self, options: LoadOptions | None = None) -> None:
        self.options = options or LoadOptions()

    # -- before anything starts ------------------------------------------------------------------
    def preflight(self, manifest: Manifest, integration: Integration) -> None:
        if integration.load:
            check_profile(manifest, integration, load_profile(manifest.resolve(integration.load)))

    def secrets(self, manifest: Manifest, integration: Integration) -> list[Secret]:
        """Literal credentials in the profile's locustfile, or the pacts' when it is generated."""
        if not integration.load:
            return []
        profile = load_profile(manifest.resolve(integration.load))
        if profile.locustfile is not None:
            return locustfile_secrets(manifest.resolve(profile.locustfile))
        return [s for path in manifest.pact_files(integration) for s in pact_secrets(load_pact(path))]

    def needs_fault_proxy(self, manifest: Manifest, integration: Integration) -> bool:
        """Only a profile with ``under_fault`` routes the load through the fault proxy."""
        if not integration.load:
            return False
        return load_profile(manifest.resolve(integration.load)).under_fault is not None

    def services_needed(self, manifest: Manifest, integration: Integration) -> list[str]:
        if not integration.load:
            return []
        profile = load_profile(manifest.resolve(integration.load))
        return [
            target_of(profile, integration),
            *(s.service for s in profile.states),
            *([integration.provider] if profile.locustfile is None else []),
        ]

    # -- the run ---------------------------------------------------------------------------------
    def run(self, ctx: StageContext, integration: Integration) -> StageResult:
        started = time.monotonic()
        result = StageResult(stage=STAGE, integration=integration.name)
        if not integration.load:
            result.skipped_reason = "no load profile declared"
            return result
        try:
            self._run(ctx, integration, result)
        except _CannotRun as exc:
            result.error = str(exc)
        result.duration_s = round(time.monotonic() - started, 3)
        return result

    def _run(self, ctx: StageContext, integration: Integration, result: StageResult) -> None:
        """Run the profile; when its checks failed on timing gates only, confirm with re-runs."""
        profile = load_profile(ctx.manifest.resolve(integration.load or ""))
        out_dir = ctx.artefact_dir(STAGE, integration.name)
        attempts = [self._attempt(ctx, integration, profile, out_dir)]
        result.artefacts += attempts[0].artefacts
        checks = attempts[0].checks
        reruns = ctx.confirmation.reruns_for(profile.confirm)
        if attempts[0].timing_failures and reruns and attempts[0].error is None:

            def again(number: int) -> Attempt:
                ctx.output.info(
                    f"{STAGE} {integration.name}: failed on timing SLOs only:"
                    f" confirming with re-run {number - 1} of the profile"
                )
                try:
                    repeated = self._attempt(ctx, integration, profile, out_dir / f"attempt{number}")
                except _CannotRun as exc:
                    ctx.output.warn(f"{STAGE} {integration.name}: the confirmation could not run: {exc}")
                    return [], set()
                attempts.append(repeated)
                result.artefacts += repeated.artefacts
                if not any(c.name == COMPLETED_CHECK for c in repeated.checks):
                    # Aborted the first time, not now: the check exists only when it fails.
                    repeated.checks.append(
                        CheckResult(
                            name=COMPLETED_CHECK, status=Status.PASSED, message="the run completed its shape"
                        )
                    )
                return repeated.checks, repeated.timing_failures

            checks = confirm(
                checks,
                attempts[0].timing_failures,
                again,
                reruns,
                strict=ctx.confirmation.strict,
                stage=STAGE,
                integration=integration.name,
            )
        result.checks += checks
        errors = [a.error for a in attempts if a.error]
        if errors:
            result.error = "; ".join(errors)
        attempts[-1].record_baseline()  # once, with the figures that stand (after the re-runs)

    def _attempt(
        self, ctx: StageContext, integration: Integration, profile: LoadProfile, out_dir: Path
    ) -> _Attempt:
        """One run of the profile, its artefacts in ``out_dir``."""
        out_dir.mkdir(parents=True, exist_ok=True)
        attempt = _Attempt()
        host = ctx.services.api_url(target_of(profile, integration))  # requests are API paths
        locustfile, notes = _task_mix(ctx, integration, profile, host, out_dir)
        phases = shape_phases(profile.shape)
        job = LocustJob(
            locustfile=locustfile,
            host=host,
            shape=profile.shape,
            out_dir=out_dir,
            run_id=ctx.run_id,
            workers=self.options.workers,
            remote_workers=self.options.remote_workers,
            master_bind_host=self.options.master_bind_host,
            master_port=self.options.master_port,
            cwd=ctx.manifest.base_dir,
        )
        window, cursor = _fault_window(ctx, integration, profile)
        watcher = _Watcher(ctx, integration.name, profile, window)
        ctx.output.info(
            f"{STAGE} {integration.name}: {self._describe(profile)} against {host}"
            f" ({display_path(locustfile, ctx.manifest.base_dir)})"
        )
        try:
            outcome = run_locust(job, watcher)
        finally:
            if window is not None:
                window.close()
        timeline = outcome.timeline
        if outcome.stopped_because:
            notes.append(f"The run was stopped early at {timeline.duration:.0f}s: {outcome.stopped_because}.")
        fault = _fault_figures(ctx, integration, profile, window, cursor, timeline)
        notes += fault.notes
        if window is not None and window.problems:
            attempt.error = "; ".join(window.problems)

        outcomes = slo.evaluate(profile.slo, timeline, [*phases, *fault.phases], fault.extra)
        rerun = rerun_command(ctx.manifest, "load", integration.name)
        attempt.checks += [_slo_check(o, integration.name, timeline, rerun) for o in outcomes]
        attempt.timing_failures |= {
            c.name
            for c, o in zip(attempt.checks, outcomes, strict=True)
            if not o.passed and is_timing(o.result.threshold.metric)
        }
        if outcome.stopped_because and watcher.aborted:
            attempt.checks.append(_aborted_check(integration.name, outcome.stopped_because, rerun))
            if watcher.breached is not None and is_timing(watcher.breached):
                attempt.timing_failures.add(attempt.checks[-1].name)
        if timeline.metrics()["requests"] == 0:
            attempt.checks.append(
                _failed_check(
                    integration.name,
                    "requests were made",
                    "no request was recorded",
                    f"Locust ran but recorded no request; see {job.files().log.name}",
                    rerun,
                )
            )
        compared = _baseline(ctx, integration, profile, locustfile, timeline, watcher.aborted)
        notes += compared.notes
        attempt.record_baseline = compared.record
        if compared.check is not None:
            attempt.checks.append(compared.check)
            if compared.check.status == Status.FAILED and all(is_timing(m) for m in compared.metrics):
                attempt.timing_failures.add(compared.check.name)

        plot = plots.plot_run(
            timeline,
            phases,
            out_dir / PLOT_FILE,
            slo=profile.slo.run,
            faults=fault.shaded,
            provider_rps=fault.provider_rps,
            title=f"{integration.name} · {profile.name} ({profile.shape.type}, {profile.shape.users} users)",
        )
        plots.embed_in_html(job.files().html, plot, "interlock: load over time")
        run_summary = summary.RunSummary(
            title=f"Load: {integration.name} · {profile.name}",
            scopes=summary.scopes_of(timeline, phases),
            outcomes=outcomes,
            notes=notes,
            fault_rows=fault.rows,
            fault_note=fault.note,
            extra={"fault": fault.facts} if fault.facts else {},
        )
        written = summary.write(run_summary, out_dir, [plot.name])
        attempt.artefacts += [str(p.relative_to(ctx.run_dir)) for p in [plot, *written, *outcome.artefacts]]
        return attempt

    def _describe(self, profile: LoadProfile) -> str:
        fault = profile.under_fault
        return (
            f"{profile.shape.type} to {profile.shape.users} users for {profile.shape.duration:g}s"
            + (f", {self.options.workers} workers" if self.options.workers else "")
            + (f", fault '{fault.fault}' at {fault.at:g}s for {fault.duration:g}s" if fault else "")
        )


@dataclass
class _Attempt:
    """What one run of a profile measured (the first run, or a confirmation re-run)."""

    checks: list[CheckResult] = field(default_factory=list)
    #: Names of the failed checks gated on timing metrics only (see core.confirmation).
    timing_failures: set[str] = field(default_factory=set)
    artefacts: list[str] = field(default_factory=list)
    error: str | None = None
    record_baseline: Callable[[], None] = lambda: None


class _CannotRun(Exception):
    """The stage cannot run this integration (a state set-up failed, no usable task mix, ...)."""


def _task_mix(
    ctx: StageContext,
    integration: Integration,
    profile: LoadProfile,
    host: str,
    out_dir: Path,
) -> tuple[Path, list[str]]:
    """Set the profile's provider states; the locustfile to run and notes about how it was made."""
    try:
        for state in profile.states:
            generate.set_states([_state(state)], _states_url(ctx, state.service))
    except generate.StateSetupFailed as exc:
        raise _CannotRun(str(exc)) from None
    if profile.locustfile is not None:
        return ctx.manifest.resolve(profile.locustfile), []
    return _generated_locustfile(ctx, integration, host, out_dir)


def _fault_window(
    ctx: StageContext,
    integration: Integration,
    profile: LoadProfile,
) -> tuple[under_fault.FaultWindow | None, int]:
    """The fault window of ``under_fault`` (not yet applied) and the proxy's observation cursor."""
    if profile.under_fault is None:
        return None, 0
    if ctx.fault_proxy is None:
        raise _CannotRun("under_fault needs the run's fault proxy, and this run has none")
    name = under_fault.fault_integration(profile, integration)
    cursor = ctx.fault_proxy.cursor(name)
    window = under_fault.FaultWindow(
        profile.under_fault,
        under_fault.find_fault(ctx.manifest, profile, integration),
        ctx.fault_proxy.target(name),
        on_event=lambda text: ctx.output.info(f"{STAGE} {integration.name}: {text}"),
    )
    return window, cursor


@dataclass
class _FaultFigures:
    """What the fault window did, for the SLOs, the summary and the plot (empty without one)."""

    phases: list[Phase] = field(default_factory=list)
    extra: dict[str, dict[str, float]] = field(default_factory=dict)
    rows: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    provider_rps: list[tuple[float, int]] = field(default_factory=list)
    shaded: list[tuple[str, float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    note: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


def _fault_figures(
    ctx: StageContext,
    integration: Integration,
    profile: LoadProfile,
    window: under_fault.FaultWindow | None,
    cursor: int,
    timeline: Timeline,
) -> _FaultFigures:
    if window is None or ctx.fault_proxy is None:
        return _FaultFigures()
    observations, _ = ctx.fault_proxy.observations(
        under_fault.fault_integration(profile, integration), cursor
    )
    phases = window.phases(timeline)
    extra = {p.name: under_fault.amplification(timeline, observations, p) for p in phases}
    figures = _FaultFigures(
        phases=phases,
        extra=extra,
        rows=[
            (f"{p.name} ({p.start:.3g}-{p.end:.3g}s)", {**timeline.metrics(p.start, p.end), **extra[p.name]})
            for p in phases
        ],
        provider_rps=under_fault.provider_per_second(timeline, observations),
        shaded=[(window.fault.name, p.start, p.end) for p in phases if p.name == under_fault.FAULT_PHASES[1]],
        note=under_fault.window_note(window, timeline),
        facts=under_fault.describe_window(window, timeline),
    )
    if not phases:
        figures.notes.append(
            f"The fault '{window.fault.name}' was never applied: the run ended before {window.spec.at:g}s."
        )
    return figures


def target_of(profile: LoadProfile, integration: Integration) -> str:
    """The service Locust sends to: ``target:``, else the consumer for a locustfile (the provider
    of a provider-only integration), else the provider for the mix generated from the pacts."""
    if profile.target:
        return profile.target
    return integration.consumer if profile.locustfile and integration.consumer else integration.provider


def check_profile(manifest: Manifest, integration: Integration, profile: LoadProfile) -> None:
    """What a schema cannot check: names that must exist in the manifest, files that must exist."""
    doc = load_yaml(profile.path)

    def error(loc: tuple[str | int, ...], message: str) -> ConfigError:
        return doc.error(loc, message)

    if profile.integration is not None and profile.integration != integration.name:
        raise error(
            ("integration",),
            f"integration '{profile.integration}' does not match"
            f" '{integration.name}', whose 'load:' names this profile in {manifest.path.name}",
        )
    known = [p.name for p in shape_phases(profile.shape)]
    if profile.under_fault is not None:
        known += under_fault.FAULT_PHASES
    for name in profile.slo.phases:
        if name not in known:
            raise error(
                ("slo", "phases", name),
                f"no phase '{name}' in a {profile.shape.type} shape"
                f"{' with under_fault' if profile.under_fault else ''} (its phases: {', '.join(known)})",
            )
    scoped = {
        "run": profile.slo.run,
        **{f"endpoints.{k}": v for k, v in profile.slo.endpoints.items()},
        **{f"phases.{k}": v for k, v in profile.slo.phases.items() if k not in under_fault.FAULT_PHASES},
    }
    for where_, thresholds in scoped.items():
        if any(t.metric == "amplification" for t in thresholds):
            raise error(
                ("slo", *where_.split(".", 1)),
                "amplification is measured around a fault only: use it in"
                f" slo.phases {', '.join(under_fault.FAULT_PHASES)} (with under_fault)",
            )
    if profile.under_fault is not None:
        under_fault.find_fault(manifest, profile, integration)
    target = target_of(profile, integration)
    if target not in manifest.services:
        raise error(("target",), f"target '{target}' is not a service in {manifest.path.name}")
    require_local_target(
        manifest, target, stage=STAGE, sends="load", role=f"the load target of {integration.name}"
    )
    if profile.under_fault is not None:
        faulted = manifest.integration(under_fault.fault_integration(profile, integration))
        require_local_target(
            manifest,
            faulted.provider,
            stage=STAGE,
            sends="faults",
            role=f"the provider of {faulted.name}, faulted under load",
        )
    if profile.locustfile is not None:
        if not manifest.resolve(profile.locustfile).is_file():
            raise error(("locustfile",), f"locustfile not found: {profile.locustfile}")
    else:
        if not integration.pacts:
            raise error((), "no locustfile and no pacts to generate the task mix from: name a locustfile")
        if target != integration.provider:
            raise error(
                ("target",),
                f"a generated task mix replays the pacts' requests, which go to the"
                f" provider '{integration.provider}'; name a locustfile to load '{target}'",
            )
        for path in manifest.pact_files(integration):
            load_pact(path)
    for index, state in enumerate(profile.states):
        if state.service not in manifest.services or not manifest.services[state.service].states:
            raise error(
                ("states", index, "service"),
                f"service '{state.service}' has no 'states:' endpoint in {manifest.path.name}",
            )


def _generated_locustfile(
    ctx: StageContext,
    integration: Integration,
    host: str,
    out_dir: Path,
) -> tuple[Path, list[str]]:
    """Plan, set up and dry-run the pact task mix; returns (locustfile, notes)."""
    pacts = [load_pact(p) for p in ctx.manifest.pact_files(integration)]
    plan = generate.plan_tasks(pacts)
    provider = ctx.manifest.services[integration.provider]
    excluded = list(plan.excluded)
    tasks = plan.tasks
    if plan.states:
        if provider.states:
            try:
                generate.set_states(plan.states, ctx.services.url(integration.provider) + provider.states)
            except generate.StateSetupFailed as exc:
                raise _CannotRun(str(exc)) from None
        else:
            excluded += [
                generate.Excluded(
                    t.description, "needs provider states and the provider has no 'states:' endpoint"
                )
                for t in tasks
            ]
            tasks = []
    tasks, failed = generate.dry_run(tasks, host) if tasks else ([], [])
    excluded += failed
    notes = [
        f"Task mix generated from {len(pacts)} pact(s): {len(tasks)} interaction(s) replayed"
        + (f", {len(excluded)} left out:" if excluded else ".")
    ]
    notes += [f"  left out '{e.description}': {e.reason}" for e in excluded]
    if not tasks:
        raise _CannotRun(
            "no pact interaction can be replayed safely under load: "
            + "; ".join(f"'{e.description}': {e.reason}" for e in excluded)
        )
    return generate.write_locustfile(tasks, out_dir / "generated_locustfile.py", think_time_s=0.1), notes


class _Watcher:
    """Called by the Locust runner twice a second: progress lines and abort_on_fail."""

    def __init__(
        self,
        ctx: StageContext,
        integration: str,
        profile: LoadProfile,
        window: under_fault.FaultWindow | None = None,
    ) -> None:
        self.ctx, self.integration, self.profile, self.window = ctx, integration, profile, window
        self.next_progress = PROGRESS_EVERY_S
        self.aborted = False
        #: The metric of the run threshold whose sustained breach aborted the run.
        self.breached: str | None = None

    def __call__(self, timeline: Timeline, run_time: float) -> str | None:
        if self.window is not None:
            self.window.tick(run_time)
            if self.window.problems:
                return self.window.problems[0]
        if run_time >= self.next_progress:
            self.next_progress += PROGRESS_EVERY_S
            self.ctx.output.info(f"{STAGE} {self.integration}: {_progress(timeline, run_time, self.profile)}")
        abort = self.profile.abort_on_fail
        if abort is None:
            return None
        # Seconds still being reported (workers send every 3 s) are left out of the judgement.
        settled = timeline.duration - 1.0
        breach = slo.sustained_breach(timeline, self.profile.slo.run, settled, abort.window, abort.grace)
        if breach is None:
            return None
        threshold, whole = breach
        self.aborted = True
        self.breached = threshold.metric
        reason = (
            f"abort_on_fail: `{threshold}` breached for {abort.window:g}s without a break"
            f" ({whole.message}, over {settled - abort.window:.0f}-{settled:.0f}s)"
        )
        self.ctx.output.warn(f"{STAGE} {self.integration}: {reason}")
        return reason


def _progress(timeline: Timeline, run_time: float, profile: LoadProfile) -> str:
    recent = timeline.metrics(max(0.0, run_time - PROGRESS_EVERY_S - 1), run_time - 1)
    users = timeline.users[-1][1] if timeline.users else 0
    p95 = recent.get("p(95)")
    return f"{run_time:.0f}s/{profile.shape.duration:g}s, {users} users, {recent.get('rps', 0):.0f} req/s" + (
        f", p95 {p95:.0f}ms, {recent.get('error_rate', 0):.1%} errors" if p95 is not None else ""
    )


def _slo_check(outcome: slo.SloOutcome, integration: str, timeline: Timeline, rerun: str) -> CheckResult:
    name = f"SLO {outcome.scope}: {outcome.result.threshold}"
    figures = dict(outcome.figures)
    if outcome.passed:
        return CheckResult(name=name, status=Status.PASSED, message=outcome.describe(), figures=figures)
    finding = Finding(
        stage=STAGE,
        integration=integration,
        title=f"SLO failed: {outcome.describe()}",
        detail=summary.table([("whole run", timeline.metrics())]),
        reproduce=rerun,
    )
    return CheckResult(
        name=name, status=Status.FAILED, message=outcome.describe(), findings=[finding], figures=figures
    )


def _aborted_check(integration: str, reason: str, rerun: str) -> CheckResult:
    return _failed_check(
        integration,
        COMPLETED_CHECK,
        f"run aborted: {reason}",
        "abort_on_fail stopped the run early; the SLO checks show the figures until then.",
        rerun,
    )


def _failed_check(integration: str, name: str, title: str, detail: str, rerun: str) -> CheckResult:
    finding = Finding(stage=STAGE, integration=integration, title=title, detail=detail, reproduce=rerun)
    return CheckResult(name=name, status=Status.FAILED, message=title, findings=[finding])


@dataclass
class _BaselineComparison:
    """The baseline check of one attempt, and how to record the attempt as the next baseline."""

    check: CheckResult | None = None
    notes: list[str] = field(default_factory=list)
    #: The metrics that regressed (p(95), rps, error_rate).
    metrics: list[str] = field(default_factory=list)
    #: Records this attempt's figures; called once per run, after any confirmation re-runs, so a
    #: re-run is compared with the same previous run as the first attempt.
    record: Callable[[], None] = lambda: None


def _baseline(
    ctx: StageContext,
    integration: Integration,
    profile: LoadProfile,
    locustfile: Path,
    timeline: Timeline,
    aborted: bool,
) -> _BaselineComparison:
    """Compare with the previous run of this profile (recording this one is left to the caller)."""
    if profile.baseline is None:
        return _BaselineComparison()
    values = timeline.metrics()
    if values["requests"] == 0:
        return _BaselineComparison()
    now = baseline.RunFigures(
        ctx.run_id,
        baseline.fingerprint(profile.shape.model_dump(mode="json"), locustfile),
        values.get("p(95)", 0.0),
        values.get("error_rate", 0.0),
        values["rps"],
        int(values["requests"]),
    )
    path = baseline.history_path(ctx.manifest.base_dir, integration.name, profile.name)
    before = baseline.previous_run(path, now.fingerprint)
    record = (lambda: None) if aborted else (lambda: baseline.record(path, now))
    if before is None:
        return _BaselineComparison(
            notes=[
                f"No previous run of this profile to compare with; this run is the baseline ({path.name})."
            ],
            record=record,
        )
    regressions = baseline.compare(before, now, profile.baseline)
    name = f"baseline: no regression against run {before.run_id}"
    if not regressions:
        check = CheckResult(
            name=name,
            status=Status.PASSED,
            message=f"p95 {now.p95_ms:.0f}ms (was {before.p95_ms:.0f}ms), rps {now.rps:.1f}"
            f" (was {before.rps:.1f}), errors {now.error_rate:.2%}"
            f" (was {before.error_rate:.2%})",
        )
        return _BaselineComparison(check, record=record)
    severity = Severity.ERROR if profile.baseline.gate else Severity.WARNING
    findings = [
        Finding(
            stage=STAGE,
            integration=integration.name,
            severity=severity,
            title=f"regression against run {before.run_id}: {r.text}",
        )
        for r in regressions
    ]
    status = Status.FAILED if profile.baseline.gate else Status.PASSED
    return _BaselineComparison(
        CheckResult(
            name=name, status=status, message="; ".join(r.text for r in regressions), findings=findings
        ),
        [f"Regression against run {before.run_id}: {r.text}" for r in regressions],
        [r.metric for r in regressions],
        record,
    )


def _state(state: StateSetup) -> ProviderState:
    return ProviderState(state.state, dict(state.params))


def _states_url(ctx: StageContext, service: str) -> str:
    return ctx.services.url(service) + (ctx.manifest.services[service].states or "")
