"""The fuzz stage: fuzz each provider from its OpenAPI spec, once per run, and fold the findings
into every integration whose provider it is.

The stage runs per integration but fuzzing is per provider: the first integration of a provider
starts its fuzz run (a worker child process, see :mod:`interlock.stages.fuzz.worker`) and the result is
cached for the run, so ``checkout-payments`` and ``billing-payments`` share one run of payments.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from interlock.core import worker
from interlock.core.errors import UsageError
from interlock.core.known_secrets import credential_of
from interlock.core.manifest import Integration, Manifest
from interlock.core.redact import Secret
from interlock.core.reproduction import Portable, options_as_flags, rerun_command
from interlock.core.services import RUN_ID_ENV
from interlock.core.verdict import StageResult, warning_check
from interlock.core.worker import WorkerFailed, WorkerFiles
from interlock.openapi.source import (
    base_path_mismatch,
    source_location,
    spec_source,
)
from interlock.stages.base import StageContext
from interlock.stages.fuzz.baseline import Baseline, baseline_path, load_baseline, write_baseline
from interlock.stages.fuzz.checks import CHECKS
from interlock.stages.fuzz.checks.registry import dump_settings
from interlock.stages.fuzz.coverage import coverage_gaps
from interlock.stages.fuzz.findings import STAGE, checks_for_outcome
from interlock.stages.fuzz.job import FuzzJob, FuzzOutcome
from interlock.stages.fuzz.preflight import check_extra_checks, check_spec_file
from interlock.stages.fuzz.profiles import Profile, resolve_profile
from interlock.stages.fuzz.secrets import basic_auth_headers, run_secrets
from interlock.stages.fuzz.suite import Suite, load_suite, parse_header, suite_path

#: Beyond its time budget, a worker gets this long to load the spec and finish its last scenario.
GRACE_S = 60.0
WORKER_MODULE = "interlock.stages.fuzz.worker"
WORKER_WHAT = "the fuzz worker"


@dataclass(frozen=True)
class FuzzOptions:
    """What `interlock fuzz` can change beyond the profile.

    Each field is the command-line option of the same name (``max_redirects`` is
    ``--max-redirects``), so a rerun hint can be built from the fields. A command-line value
    overrides the suite's; ``include_operation`` replaces the suite's ``include`` and
    ``exclude_operation`` adds to its ``exclude``; ``header`` adds to (and overrides) its headers.
    """

    #: Every field is carried into the re-run command of a finding (core.reproduction.options_as_flags):
    #: ``max_examples`` is ``--max-examples``; ``metadata`` renames a flag or keeps it out.
    suites_dir: Path | None = field(default=None, metadata={"flag": "--suites"})
    update_baseline: bool = field(default=False, metadata={"rerun": False})
    seed: int | None = None
    max_examples: int | None = None
    time_budget_s: float | None = None
    #: Where to send the requests instead of the service's URL (one provider only).
    url: str | None = None
    #: ``"Name: value"`` headers sent with every request.
    header: tuple[str, ...] = ()
    #: ``user:password`` for HTTP basic auth (replaces the suite's ``auth``).
    auth: str | None = None
    include_operation: tuple[str, ...] = ()
    exclude_operation: tuple[str, ...] = ()
    max_redirects: int | None = None
    #: Seconds per request.
    request_timeout: float | None = None
    tls_verify: bool | str | None = None
    #: Fail the stage when an operation was not fully fuzzed (the budget or the spec left it out).
    require_coverage: bool = False


@dataclass
class _ProviderRun:
    outcome: FuzzOutcome
    baseline: Baseline
    artefacts: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    #: The profile as resolved for this provider (seed, examples, budget), for re-run commands.
    profile: Profile | None = None
    #: How this provider's requests are written in reports (its URL and secrets as variables).
    portable: Portable | None = None
    require_coverage: bool = False
    warnings: list[str] = field(default_factory=list)


class FuzzStage:
    name = STAGE

    def __init__(self, options: FuzzOptions | None = None) -> None:
        self.options = options or FuzzOptions()
        self._runs: dict[tuple[str, str], _ProviderRun] = {}
        self._providers: set[str] = set()
        #: The prestarted worker (see :meth:`warm_up`), by run id and provider.
        self._warm: tuple[str, str, worker.Child] | None = None

    def suites_dir(self, manifest: Manifest) -> Path:
        return self.options.suites_dir or manifest.base_dir / "suites"

    def preflight(self, manifest: Manifest, integration: Integration) -> None:
        source = spec_source(manifest, integration.provider)
        if source is None:
            return
        self._providers.add(integration.provider)
        if self.options.url and len(self._providers) > 1:
            raise UsageError(
                f"--url {self.options.url} names one provider's URL, but this run fuzzes"
                f" {', '.join(sorted(self._providers))}: choose one with --only"
            )
        if source.file is not None:
            check_spec_file(source.file)
        suites = self.suites_dir(manifest)
        suite_file = suite_path(suites, integration.provider)
        suite = load_suite(suite_file)
        _filters(suite, self.options, manifest.services[integration.provider].states)
        check_extra_checks(suite_file, suite.extra_checks, manifest.base_dir)
        load_baseline(baseline_path(suites, integration.provider))

    def secrets(self, manifest: Manifest, integration: Integration) -> list[Secret]:
        """The suite's auth and secret headers, and the command line's ``--auth`` and ``-H``."""
        if spec_source(manifest, integration.provider) is None:
            return []
        suite = load_suite(suite_path(self.suites_dir(manifest), integration.provider))
        found = run_secrets(suite, self.options.auth, self.options.header)
        return [*found, *(part for secret in found for part in credential_of(secret))]

    def services_needed(self, manifest: Manifest, integration: Integration) -> list[str]:
        return [integration.provider] if manifest.services[integration.provider].openapi else []

    def needs_fault_proxy(self, manifest: Manifest, integration: Integration) -> bool:
        """Talks to the provider directly: faults would only blur what it verifies."""
        return False

    def warm_up(
        self, manifest: Manifest, integrations: Sequence[Integration], run_dir: Path, run_id: str
    ) -> None:
        """Start the first provider's worker now: it imports schemathesis (about a second) while
        the services start. Only one: each idle worker holds an interpreter's memory."""
        provider = next((i.provider for i in integrations if manifest.services[i.provider].openapi), None)
        if provider is None:
            return
        child = worker.prestart(
            WORKER_MODULE,
            log=_worker_files(run_dir, provider).log,
            what=WORKER_WHAT,
            env=_worker_env(run_id, manifest.base_dir),
            cwd=manifest.base_dir,
        )
        self._warm = (run_id, provider, child)

    def cool_down(self) -> None:
        if self._warm is None:
            return
        child = self._warm[2]
        self._warm = None
        child.stop()
        if child.log.is_file() and child.log.stat().st_size == 0:
            child.log.unlink()  # it never worked: no artefact

    def _take_warm(self, run_id: str, provider: str) -> worker.Child | None:
        """The prestarted worker, when it was started for this run and provider."""
        if self._warm is None or self._warm[:2] != (run_id, provider):
            return None
        child = self._warm[2]
        self._warm = None
        return child

    def run(self, ctx: StageContext, integration: Integration) -> StageResult:
        started = time.monotonic()
        result = StageResult(stage=STAGE, integration=integration.name)
        if not ctx.manifest.services[integration.provider].openapi:
            result.skipped_reason = f"{integration.provider} has no OpenAPI spec ('openapi:' in the manifest)"
            return result
        key = (ctx.run_id, integration.provider)
        if key not in self._runs:
            self._runs[key] = self._fuzz_provider(ctx, integration.provider)
        run = self._runs[key]
        result.artefacts = list(run.artefacts)
        if run.outcome.fatal:
            result.error = f"fuzzing {integration.provider} failed: {run.outcome.fatal}"
        else:
            rerun = _rerun_command(ctx, integration.name, self.options, run.profile)
            result.checks = checks_for_outcome(
                run.outcome,
                integration=integration.name,
                baseline=run.baseline,
                rerun=run.portable.policy.text(rerun) if run.portable else rerun,
                operations=run.operations,
                portable=run.portable,
                require_coverage=run.require_coverage,
            )
            result.figures = {"fuzz_coverage": coverage_gaps(run.outcome).covered_share}
        result.checks += [warning_check(STAGE, integration.name, "base path", text) for text in run.warnings]
        result.duration_s = round(time.monotonic() - started, 3)
        return result

    def _fuzz_provider(self, ctx: StageContext, provider: str) -> _ProviderRun:
        manifest = ctx.manifest
        suites = self.suites_dir(manifest)
        suite = load_suite(suite_path(suites, provider))
        baseline = load_baseline(baseline_path(suites, provider))
        profile = resolve_profile(
            ctx.profile,
            suite,
            provider=provider,
            base_dir=manifest.base_dir,
            seed=self.options.seed,
            max_examples=self.options.max_examples,
            time_budget_s=self.options.time_budget_s,
        )
        service = manifest.services[provider]
        root = ctx.services.url(provider)
        source = spec_source(manifest, provider)
        assert source is not None  # run() skips providers without a spec
        spec = source_location(source, manifest, root)
        files = _worker_files(ctx.run_dir, provider)
        job = _job(provider, spec, root, suite, profile, service.states, self.options, service.base_path)
        with ctx.output.waiting(
            f"{STAGE} {provider}: fuzzing {service.openapi} at {_where(job)}"
            f" (profile {profile.name}, seed {profile.seed},"
            f" up to {profile.max_examples} examples per operation and phase,"
            f" {profile.time_budget_s:g}s budget)"
        ):
            outcome = _fuzz_in_child(
                job, files, ctx.run_id, manifest.base_dir, self._take_warm(ctx.run_id, provider)
            )
        if job.base_path is None and outcome.spec_base_path:
            ctx.output.info(
                f"{STAGE} {provider}: the spec's base path {outcome.spec_base_path}: fuzzed {outcome.api_url}"
            )
        # The worker read the spec's base path from the schema it loaded (one fetch, not two).
        mismatch = base_path_mismatch(manifest, provider, outcome.spec_base_path)
        warnings = [mismatch] if mismatch else []
        for warning in warnings:
            ctx.output.warn(f"{STAGE} {provider}: {warning}")
        if self.options.update_baseline and outcome.fatal is None:
            path = baseline_path(suites, provider)
            baseline = write_baseline(path, provider, outcome.failures, baseline)
            ctx.output.info(f"{STAGE} {provider}: wrote {path} ({len(baseline.entries)} accepted failure(s))")
        operations = sorted(outcome.operations)
        artefacts = [str(p.relative_to(ctx.run_dir)) for p in files if p.is_file()]
        if outcome.fatal is None and (gaps := coverage_gaps(outcome)).any:
            ctx.output.warn(f"{STAGE} {gaps.summary(provider)}")
        require = self.options.require_coverage or suite.coverage.require == "complete"
        portable = Portable(
            provider,
            root,
            ctx.redaction.with_secrets(run_secrets(suite, self.options.auth, self.options.header)),
            where="" if service.run is not None else root,
        )
        return _ProviderRun(outcome, baseline, artefacts, operations, profile, portable, require, warnings)


def _where(job: FuzzJob) -> str:
    """Where the job's operations go, as far as the parent knows before the worker loads the spec."""
    if job.base_path is None:
        return f"{job.base_url} (plus the spec's base path, if any)"
    return job.base_url.rstrip("/") + job.base_path


def _job(
    provider: str,
    spec: str,
    url: str,
    suite: Suite,
    profile: Profile,
    states: str | None,
    options: FuzzOptions | None = None,
    base_path: str | None = None,
) -> FuzzJob:
    """The worker's job: the suite's settings, overridden by the command line's.

    ``url`` is the service's root and ``base_path`` the manifest's ``base_path:`` (None: the
    spec's own, which the worker reads). A base URL given by the suite or the command line is
    taken as it is written.
    """
    options = options or FuzzOptions()
    given_url = options.url or suite.base_url
    include, exclude = _filters(suite, options, states)
    headers = dict(suite.all_headers())
    if options.auth is not None:
        headers.update(basic_auth_headers(options.auth))
    headers.update(parse_header(h) for h in options.header)
    interlock_off = [c for c in suite.checks.disable if c in CHECKS]
    optional: dict[str, Any] = {
        "request_timeout_s": options.request_timeout or suite.request_timeout,
        "max_redirects": options.max_redirects if options.max_redirects is not None else suite.max_redirects,
        "tls_verify": options.tls_verify if options.tls_verify is not None else suite.tls_verify,
    }
    return FuzzJob(
        **{k: v for k, v in optional.items() if v is not None},
        provider=provider,
        spec=spec,
        base_url=given_url or url,
        base_path="" if given_url else base_path,
        seed=profile.seed,
        max_examples=profile.max_examples,
        time_budget_s=profile.time_budget_s,
        database=profile.database,
        deterministic=profile.deterministic,
        phases=suite.phases,
        include=include,
        exclude=exclude,
        headers=headers,
        disabled_checks=[c for c in suite.checks.disable if c not in interlock_off],
        disabled_interlock_checks=interlock_off,
        accepted_statuses=suite.accepted_statuses,
        check_settings=dump_settings(suite.check_settings),
        extra_checks=suite.extra_checks,
    )


def _filters(suite: Suite, options: FuzzOptions, states: str | None) -> tuple[list[str], list[str]]:
    """The operations to include and exclude: the command line's include replaces the suite's,
    its exclude adds to the suite's; an operation both included and excluded is a usage error."""
    include = list(options.include_operation or suite.include)
    exclude = list(dict.fromkeys([*suite.exclude, *options.exclude_operation]))
    if states:  # the provider-state hook is test-only: never fuzz it, whether or not the spec shows it
        exclude.append(states)
    clash = sorted(set(include) & set(exclude))
    if clash:
        raise UsageError(f"{clash[0]!r} is both included and excluded (suite and command line)")
    return include, exclude


def _worker_files(run_dir: Path, provider: str) -> WorkerFiles:
    out_dir = run_dir / STAGE / "providers" / provider
    return WorkerFiles(out_dir / "job.json", out_dir / "result.json", out_dir / "worker.log")


def _worker_env(run_id: str, base_dir: Path) -> dict[str, str]:
    """The worker's environment: the run's id, and the manifest's directory on the import path
    (for a suite's extra checks)."""
    pythonpath = os.pathsep.join(p for p in (str(base_dir), os.environ.get("PYTHONPATH", "")) if p)
    return {"NO_COLOR": "1", RUN_ID_ENV: run_id, "PYTHONPATH": pythonpath}


def _fuzz_in_child(
    job: FuzzJob, files: WorkerFiles, run_id: str, base_dir: Path, warm: worker.Child | None
) -> FuzzOutcome:
    """Fuzz in a worker child (``warm``, when prestarted); a worker that gives no outcome is a fatal outcome."""
    try:
        return worker.run(
            WORKER_MODULE,
            job,
            FuzzOutcome,
            files,
            what=WORKER_WHAT,
            timeout_s=job.time_budget_s + GRACE_S,
            env=_worker_env(run_id, base_dir),
            cwd=base_dir,
            warm=warm,
        )
    except WorkerFailed as exc:
        return FuzzOutcome(provider=job.provider, seed=job.seed, fatal=str(exc))


def _rerun_command(ctx: StageContext, integration: str, options: FuzzOptions, profile: Profile | None) -> str:
    """``interlock fuzz`` with every option that shaped this run: the profile, and the seed,
    examples and budget it resolved to (the ``full`` profile's seed is random), then the rest of
    ``options`` whatever they are."""
    if profile is not None:
        options = replace(
            options, seed=profile.seed, max_examples=profile.max_examples, time_budget_s=profile.time_budget_s
        )
    profile_flag = [f"--profile {ctx.profile}"] if ctx.profile != "ci" else []
    return rerun_command(ctx.manifest, "fuzz", integration, *profile_flag, *options_as_flags(options))
