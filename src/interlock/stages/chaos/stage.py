"""The chaos stage: run an integration's experiment file and/or the fault catalogue through the fault proxy.

What runs for an integration:

* its experiment file (``chaos:`` in the manifest), if it has one;
* the built-in catalogue, derived from its ``resilience:`` policy, when asked for
  (``interlock chaos --catalogue``), or when the integration has a policy but no experiment file,
  so a declared policy is tested before anyone writes an experiment.

The pipeline starts the fault proxy (see :mod:`interlock.faults.fabric`) before the consumer, because
the consumer's ``{proxy:INTEGRATION}`` must resolve to the proxy's address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from interlock.core import templating
from interlock.core.config import did_you_mean
from interlock.core.confirmation import Attempt, confirm
from interlock.core.errors import ConfigError, RunIncomplete
from interlock.core.known_secrets import header_secrets
from interlock.core.manifest import Integration, Manifest
from interlock.core.network import require_local_target
from interlock.core.redact import Secret
from interlock.core.reproduction import rerun_command
from interlock.core.verdict import StageResult
from interlock.core.yamlfile import load_yaml
from interlock.stages.base import StageContext
from interlock.stages.chaos.catalogue import catalogue_experiment
from interlock.stages.chaos.experiment import Experiment, load_experiment
from interlock.stages.chaos.journal import Journal
from interlock.stages.chaos.plots import plot_experiment
from interlock.stages.chaos.policy import load_policy, require_probe, sibling_probes
from interlock.stages.chaos.runner import STAGE, ExperimentOutcome, ExperimentRunner


class ChaosStage:
    name = STAGE

    def __init__(self, *, catalogue: bool = False) -> None:
        self.catalogue = catalogue

    def experiments(self, manifest: Manifest, integration: Integration) -> list[tuple[str, Experiment]]:
        """``(label, experiment)`` pairs to run for ``integration``; validates every input file."""
        found: list[tuple[str, Experiment]] = []
        experiment = None
        if integration.chaos:
            path = manifest.resolve(integration.chaos)
            experiment = load_experiment(path)
            if experiment.integration != integration.name:
                raise ConfigError(
                    f"this experiment is for integration '{experiment.integration}', but the"
                    f" manifest uses it for '{integration.name}'",
                    path,
                    1,
                )
            _check_fault_routes(manifest, experiment, path)
            found.append((path.stem, experiment))
        policy = load_policy(manifest, integration)
        if policy is not None and (self.catalogue or experiment is None):
            probe = require_probe(
                policy, experiment.probe if experiment else None, manifest, integration.name
            )
            found.append(
                (
                    "catalogue",
                    catalogue_experiment(
                        integration.name,
                        policy,
                        probe,
                        siblings=sibling_probes(manifest, integration, policy),
                    ),
                )
            )
        return found

    def secrets(self, manifest: Manifest, integration: Integration) -> list[Secret]:
        """Credentials the probes send (secret-named probe headers)."""
        if integration.consumer is None:
            return []
        found: list[Secret] = []
        for label, experiment in self.experiments(manifest, integration):
            found += header_secrets(experiment.probe.headers, f"chaos probe ({label})")
            for fault in experiment.faults:
                background = experiment.background_probe(fault)
                if background is not None:
                    found += header_secrets(
                        background.headers, f"chaos background probe ({label}: {fault.name})"
                    )
        return found

    def preflight(self, manifest: Manifest, integration: Integration) -> None:
        if integration.consumer is None:
            if integration.chaos:
                require_local_target(
                    manifest,
                    integration.provider,
                    stage=STAGE,
                    sends="faults",
                    role=f"the provider of {integration.name}",
                )
                index = manifest.integrations.index(integration)
                raise load_yaml(manifest.path).error(
                    ("integrations", index, "chaos"),
                    f"chaos needs a consumer: '{integration.name}' names only the provider"
                    f" '{integration.provider}'; add 'consumer:' (the service that calls it) or drop 'chaos:'",
                )
            return
        if self.experiments(manifest, integration):
            require_local_target(
                manifest,
                integration.provider,
                stage=STAGE,
                sends="faults",
                role=f"the provider of {integration.name}",
            )
            require_local_target(
                manifest,
                integration.consumer,
                stage=STAGE,
                sends="probes",
                role=f"the consumer of {integration.name}",
            )
            _require_proxy_placeholder(manifest, integration, integration.consumer)
            for route in self._other_routes(manifest, integration):
                other = manifest.integration(route)
                require_local_target(
                    manifest,
                    other.provider,
                    stage=STAGE,
                    sends="faults",
                    role=f"the provider of {other.name}",
                )
                _require_proxy_placeholder(manifest, other, integration.consumer)

    def _other_routes(self, manifest: Manifest, integration: Integration) -> list[str]:
        """Integrations other than ``integration`` whose routes its experiments fault (``on:``)."""
        routes = {
            fault.on
            for _, experiment in self.experiments(manifest, integration)
            for fault in experiment.faults
            if fault.on and fault.on != integration.name
        }
        return sorted(routes)

    def services_needed(self, manifest: Manifest, integration: Integration) -> list[str]:
        if integration.consumer is None:
            return []
        return [integration.consumer] if self.experiments(manifest, integration) else []

    def needs_fault_proxy(self, manifest: Manifest, integration: Integration) -> bool:
        """Every experiment runs through the fault proxy, so any work at all needs it."""
        return integration.consumer is not None and bool(self.experiments(manifest, integration))

    def run(self, ctx: StageContext, integration: Integration) -> StageResult:
        started = time.monotonic()
        result = StageResult(stage=STAGE, integration=integration.name)
        if integration.consumer is None:
            result.skipped_reason = (
                "chaos needs a consumer: faults are injected between a consumer and its provider,"
                f" and '{integration.name}' names only the provider"
            )
            return result
        experiments = self.experiments(ctx.manifest, integration)
        if not experiments:
            result.skipped_reason = (
                "no chaos experiment and no resilience policy declared"
                if not self.catalogue
                else "no resilience policy declared for the catalogue"
            )
            return result
        fabric = ctx.fault_proxy
        if fabric is None or not fabric.has_route(integration.name):
            raise RunIncomplete(
                f"no fault proxy runs for {integration.name}: the consumer was not started"
                f" with {{proxy:{integration.name}}}"
            )
        out_dir = ctx.artefact_dir(STAGE, integration.name)
        consumer_url = ctx.services.api_url(integration.consumer)  # probes are calls to its API

        def attempt(label: str, experiment: Experiment, number: int) -> ExperimentOutcome:
            """One run of the experiment; a confirmation re-run journals beside the first."""
            suffix = "" if number == 1 else f"-attempt{number}"
            journal_path = out_dir / f"journal-{label}{suffix}.json"
            if number > 1:
                ctx.output.info(
                    f"{STAGE} {integration.name}: {label}: failed on timing gates only:"
                    f" confirming with re-run {number - 1}"
                )
            runner = ExperimentRunner(
                fabric,
                integration.name,
                consumer_url,
                journal_path=journal_path,
                say=ctx.output.info,
                journal_label=str(journal_path.relative_to(ctx.run_dir)),
                reproduce=_rerun_command(ctx.manifest, integration.name, label),
            )
            try:
                outcome = runner.run(experiment, label)
            finally:
                if journal_path.is_file():
                    result.artefacts.append(str(journal_path.relative_to(ctx.run_dir)))
            picture = draw_timeline(
                outcome.journal, out_dir / f"timeline-{label}{suffix}.png", ctx.output.warn
            )
            if picture is not None:
                result.artefacts.append(str(picture.relative_to(ctx.run_dir)))
            return outcome

        for label, experiment in experiments:
            outcome = attempt(label, experiment, 1)
            reruns = ctx.confirmation.reruns_for(experiment.confirm)
            if not outcome.timing_failures or not reruns:
                result.checks += outcome.checks
                continue

            def again(number: int, label: str = label, experiment: Experiment = experiment) -> Attempt:
                repeated = attempt(label, experiment, number)
                return repeated.checks, repeated.timing_failures

            result.checks += confirm(
                outcome.checks,
                outcome.timing_failures,
                again,
                reruns,
                strict=ctx.confirmation.strict,
                stage=STAGE,
                integration=integration.name,
            )
        result.duration_s = round(time.monotonic() - started, 3)
        return result


def _require_proxy_placeholder(manifest: Manifest, integration: Integration, consumer: str) -> None:
    """Chaos is meaningless unless the consumer reaches the provider through the fault proxy."""
    spec = manifest.services[consumer]
    texts = [t for t in (spec.run, spec.base_url, *spec.env.values()) if t]
    if any(
        p.kind == "proxy" and p.arg == integration.name for t in texts for p in templating.placeholders(t)
    ):
        return
    if spec.run is None:
        raise ConfigError(
            f"chaos for '{integration.name}' needs interlock to start the consumer"
            f" '{consumer}' (it has only a base_url), so it can route it through"
            " the fault proxy",
            manifest.path,
        )
    raise ConfigError(
        f"chaos for '{integration.name}': the consumer '{consumer}' must reach"
        f" '{integration.provider}' through the fault proxy: use \"{{proxy:{integration.name}}}\""
        f" in services.{consumer}.env (e.g. as its {integration.provider.upper()}_URL)",
        manifest.path,
    )


def draw_timeline(journal: Journal, path: Path, warn: Callable[[str], None]) -> Path | None:
    """The experiment's picture for report.html; a plot that fails costs the picture, not the verdict."""
    if not journal.phases:
        return None
    try:
        return plot_experiment(journal, path)
    except Exception as exc:
        warn(f"{STAGE}: could not draw {path.name}: {type(exc).__name__}: {exc}")
        return None


def _check_fault_routes(manifest: Manifest, experiment: Experiment, path: Path) -> None:
    """Every ``on:`` names an integration of the manifest (exit 2 with the file's line otherwise)."""
    names = [i.name for i in manifest.integrations]
    for index, fault in enumerate(experiment.faults):
        if fault.on is not None and fault.on not in names:
            raise load_yaml(path).error(
                ("faults", index, "on"),
                f"faults.{index}.on: no integration '{fault.on}' in {manifest.path.name}"
                f"{did_you_mean(fault.on, names)} (integrations: {', '.join(names)})",
            )


def _rerun_command(manifest: Manifest, integration: str, label: str) -> str:
    return rerun_command(manifest, "chaos", integration, *(["--catalogue"] if label == "catalogue" else []))
