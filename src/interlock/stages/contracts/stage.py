"""The contracts stage: replay every pact of an integration against its running provider.

Each pact file is verified by the real Pact core (pact-python's Verifier) in a child process
(see :mod:`interlock.stages.contracts.worker`), with provider states forwarded to the endpoint the
manifest names in the provider's ``states:`` and messages produced by the handlers it names in
the integration's ``messages:``. Every verification is recorded in the history store, which
also decides which interactions are still pending (:mod:`interlock.history.recording`).
Before that, each HTTP interaction of the local pact files is checked against the provider's
OpenAPI spec (:mod:`interlock.openapi.conformance`), when the provider declares one.

With ``PACT_BROKER_BASE_URL`` set, the pacts come from the broker instead (consumer version
selectors: the consumer's main branch, the provider's branch, what is deployed), the broker
decides what is pending, and the results are published to it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from interlock.core import worker
from interlock.core.errors import Interrupted
from interlock.core.manifest import Integration, Manifest
from interlock.core.redact import Secret
from interlock.core.reproduction import display_path, rerun_command
from interlock.core.services import RUN_ID_ENV
from interlock.core.verdict import CheckResult, StageResult, Status
from interlock.core.worker import WorkerFailed, WorkerFiles
from interlock.core.yamlfile import load_yaml
from interlock.history import versions
from interlock.history.broker import client as broker_client
from interlock.history.broker.config import BrokerConfig
from interlock.history.recording import History, interaction_key
from interlock.openapi import conformance
from interlock.pacts.pactfile import PactFile, load_pact
from interlock.pacts.secrets import pact_secrets
from interlock.stages.base import StageContext
from interlock.stages.contracts.findings import STAGE, checks_for_pact
from interlock.stages.contracts.job import BrokerSelection, VerificationJob, VerificationOutcome
from interlock.stages.contracts.messages import check_handlers

#: A pact whose verification takes longer than this is stopped and the stage errors.
VERIFY_TIMEOUT_S = 300.0
#: Per provider-state call; a slow state endpoint fails its interactions instead of stalling.
STATE_TIMEOUT_S = 5.0


class ContractsStage:
    name = STAGE

    def secrets(self, manifest: Manifest, integration: Integration) -> list[Secret]:
        """Credentials in the integration's pacts (request headers, secret-named body members)."""
        return [s for path in manifest.pact_files(integration) for s in pact_secrets(load_pact(path))]

    def preflight(self, manifest: Manifest, integration: Integration) -> None:
        pacts = [load_pact(path) for path in manifest.pact_files(integration)]
        index = manifest.integrations.index(integration)

        def line_of(description: str) -> int | None:
            loc = ("integrations", index, "messages", description) if description else ("integrations", index)
            return load_yaml(manifest.path).line_of(loc)

        check_handlers(
            integration.messages,
            [] if BrokerConfig.from_env() else pacts,
            manifest.base_dir,
            manifest.path,
            line_of,
        )
        conformance.preflight(manifest, integration)

    def services_needed(self, manifest: Manifest, integration: Integration) -> list[str]:
        from_broker = BrokerConfig.from_env() is not None and integration.consumer is not None
        return [integration.provider] if integration.pacts or from_broker else []

    def needs_fault_proxy(self, manifest: Manifest, integration: Integration) -> bool:
        """Talks to the provider directly: faults would only blur what it verifies."""
        return False

    def run(self, ctx: StageContext, integration: Integration) -> StageResult:
        started = time.monotonic()
        result = StageResult(stage=STAGE, integration=integration.name)
        broker = BrokerConfig.from_env()
        pact_paths = ctx.manifest.pact_files(integration)
        if broker is None and not pact_paths:
            result.skipped_reason = "no pacts declared"
            return result
        if broker is not None and integration.consumer is None:
            # the broker's pacts are selected per consumer: the integrations naming one verify them
            result.skipped_reason = "no consumer named: the broker's pacts are verified per consumer"
            return result
        verification = _Verification(ctx, integration)
        try:
            # offline, before the replay: the local pacts against the provider's OpenAPI spec
            result.checks += conformance.spec_checks(
                ctx.manifest, integration, ctx.services.url(integration.provider), ctx.output
            )
            if broker is not None:
                verification.from_broker(result, broker)
            else:
                history = History(ctx.manifest.base_dir, ctx.run_id)
                try:
                    verification.local_files(result, pact_paths, history)
                finally:
                    history.close()
        except Interrupted as exc:  # the spec checks and the pacts verified before the signal
            exc.partial = result
            raise
        result.duration_s = round(time.monotonic() - started, 3)
        return result


class _Verification:
    """Verifying one integration's pacts in this run: where the provider is and how to rerun."""

    def __init__(self, ctx: StageContext, integration: Integration) -> None:
        self.ctx, self.integration = ctx, integration
        provider = ctx.manifest.services[integration.provider]
        # the pacts' paths are relative to the API's base path; the states endpoint is on the root
        self.provider_url = ctx.services.api_url(integration.provider)
        root = ctx.services.url(integration.provider)
        self.states_url = root + provider.states if provider.states else None
        self.out_dir = ctx.artefact_dir(STAGE, integration.name)
        self.rerun = rerun_command(ctx.manifest, "contracts", integration.name)

    def job(self, provider: str, **where: Any) -> VerificationJob:
        """The job for ``provider``; ``where`` is ``pact=`` or ``broker=``."""
        return VerificationJob(
            provider=provider,
            provider_url=self.provider_url,
            states_url=self.states_url,
            state_timeout_s=STATE_TIMEOUT_S,
            messages=self.integration.messages,
            search_path=[str(self.ctx.manifest.base_dir)],
            **where,
        )

    def checks(
        self, pact: PactFile, label: str, outcome: VerificationOutcome, pending: set[str] | None = None
    ) -> list[CheckResult]:
        checks = checks_for_pact(
            pact,
            outcome.model_dump(),
            integration=self.integration.name,
            pact_label=label,
            provider_url=self.provider_url,
            states_url=self.states_url,
            reproduce_cmd=self.rerun,
            is_pending=None
            if pending is None
            else (lambda i: interaction_key(pact.consumer, pact.provider, i) in pending),
        )
        for check in checks:
            if check.status == Status.PASSED and check.findings:
                self.ctx.output.warn(
                    f"{STAGE} {self.integration.name}: pending (does not fail the gate until it"
                    f" has passed on the provider's main branch): {check.name}"
                )
        return checks

    def local_files(self, result: StageResult, pact_paths: list[Path], history: History) -> None:
        for path in pact_paths:
            pact = load_pact(path)
            label = display_path(path, self.ctx.manifest.base_dir)
            with self.ctx.output.waiting(
                f"{STAGE} {self.integration.name}: verifying {label} ({len(pact.interactions)} interactions)"
            ):
                files = _pact_files(self.out_dir, path.stem)
                outcome = _verify_in_child(
                    self.job(pact.provider, pact=str(pact.path)), files, self.ctx.run_id
                )
            result.artefacts += [str(p.relative_to(self.ctx.run_dir)) for p in files if p.is_file()]
            if outcome.error:
                result.error = f"verifying {label} failed: {outcome.error}"
                break
            found = history.versions_for(pact)
            pending = history.pending(pact)
            checks = self.checks(pact, label, outcome, pending)
            history.record(pact, found, checks, pending)
            result.checks += checks

    def from_broker(self, result: StageResult, broker: BrokerConfig) -> None:
        """Verify what the broker selects for this consumer; the Pact core publishes the results."""
        provider = self.integration.provider
        version = versions.detect("provider", self.ctx.manifest.base_dir)
        consumer = self.integration.consumer
        assert consumer is not None  # run() skips provider-only integrations with a broker
        chosen = broker_client.selectors(consumer, version.branch)
        fetched = broker_client.pacts_for_verification(broker, provider, chosen, version.branch)
        if not fetched:
            result.skipped_reason = (
                f"the broker has no pacts of {consumer} for {provider}"
                " matching the consumer version selectors"
            )
            return
        pacts = []
        broker_dir = self.out_dir / "broker-pacts"
        broker_dir.mkdir(exist_ok=True)
        for number, entry in enumerate(fetched, start=1):
            path = broker_dir / f"{number}-{consumer}-{provider}.json"
            path.write_text(json.dumps(entry.content, indent=1), encoding="utf-8")
            pacts.append((load_pact(path), f"{broker.url}: {entry.description}"))
            result.artefacts.append(str(path.relative_to(self.ctx.run_dir)))
        job = self.job(
            provider,
            broker=BrokerSelection(
                **broker.__dict__,
                selectors=chosen,
                provider_version=version.number,
                provider_branch=version.branch,
            ),
        )
        with self.ctx.output.waiting(
            f"{STAGE} {self.integration.name}: verifying {len(pacts)} pact(s) from"
            f" {broker.url} as {provider} {version.number}"
        ):
            files = _pact_files(self.out_dir, "broker")
            outcome = _verify_in_child(job, files, self.ctx.run_id)
        result.artefacts += [str(p.relative_to(self.ctx.run_dir)) for p in files if p.is_file()]
        if outcome.error:
            result.error = f"verifying the broker's pacts failed: {outcome.error}"
            return
        for pact, label in pacts:
            result.checks += self.checks(pact, label, outcome)


def _pact_files(out_dir: Path, stem: str) -> WorkerFiles:
    """What verifying one pact (or the broker's selection) leaves in the report directory."""
    return WorkerFiles(
        out_dir / f"{stem}.job.json", out_dir / f"{stem}.result.json", out_dir / f"{stem}.verifier.log"
    )


def _verify_in_child(job: VerificationJob, files: WorkerFiles, run_id: str) -> VerificationOutcome:
    """Verify in a child; a child that gives no outcome is an outcome with ``error`` set."""
    try:
        return worker.run(
            "interlock.stages.contracts.worker",
            job,
            VerificationOutcome,
            files,
            what="the Pact verifier",
            timeout_s=VERIFY_TIMEOUT_S,
            env={"PACT_DO_NOT_TRACK": "true", "NO_COLOR": "1", RUN_ID_ENV: run_id},
        )
    except WorkerFailed as exc:
        return VerificationOutcome(error=str(exc))
