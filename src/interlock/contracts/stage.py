"""The contracts stage: replay every pact of an integration against its running provider.

Each pact file is verified by the real Pact core (pact-python's Verifier) in a child process
(see :mod:`interlock.contracts.worker`), with provider states forwarded to the endpoint the
manifest names in the provider's ``states:``. Before that, each interaction is checked against the
provider's OpenAPI spec (:mod:`interlock.spec.gate`), when the provider declares one.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import NamedTuple

from interlock.contracts.findings import STAGE, checks_for_pact
from interlock.contracts.pactfile import PactFile, load_pact
from interlock.core import processes
from interlock.core.manifest import IntegrationSpec, Manifest
from interlock.core.services import RUN_ID_ENV
from interlock.core.stage import StageContext
from interlock.core.verdict import StageResult
from interlock.spec import gate as spec_gate

#: A pact whose verification takes longer than this is stopped and the stage errors.
VERIFY_TIMEOUT_S = 300.0
#: Per provider-state call; a slow state endpoint fails its interactions instead of stalling.
STATE_TIMEOUT_S = 5.0


class ContractsStage:
    name = STAGE

    def preflight(self, manifest: Manifest, integration: IntegrationSpec) -> None:
        for path in manifest.pact_files(integration):
            load_pact(path)
        spec_gate.preflight(manifest, integration)

    def services_needed(self, manifest: Manifest, integration: IntegrationSpec) -> list[str]:
        return [integration.provider] if integration.pacts else []

    def run(self, ctx: StageContext, integration: IntegrationSpec) -> StageResult:
        started = time.monotonic()
        result = StageResult(stage=STAGE, integration=integration.name)
        pact_paths = ctx.manifest.pact_files(integration)
        if not pact_paths:
            result.skipped_reason = "no pacts declared"
            return result
        provider = ctx.manifest.services[integration.provider]
        provider_url = ctx.services.url(integration.provider)
        states_url = provider_url + provider.states if provider.states else None
        out_dir = ctx.artefact_dir(STAGE, integration.name)
        rerun = _rerun_command(ctx.manifest, integration.name)
        result.checks += spec_gate.spec_checks(ctx.manifest, integration, provider_url, ctx.output)  # before replay
        for path in pact_paths:
            pact = load_pact(path)
            label = _label(path, ctx.manifest.base_dir)
            with ctx.output.waiting(f"{STAGE} {integration.name}: verifying {label}"
                                    f" ({len(pact.interactions)} interactions)"):
                files = _PactFiles.for_pact(out_dir, path)
                outcome = _verify_in_child(pact, provider_url, states_url, files, ctx.run_id)
            result.artefacts += [str(p.relative_to(ctx.run_dir)) for p in files]
            if outcome.get("error"):
                result.error = f"verifying {label} failed: {outcome['error']}"
                break
            result.checks += checks_for_pact(
                pact, outcome, integration=integration.name, pact_label=label, provider_url=provider_url,
                states_url=states_url, reproduce_cmd=rerun,
            )
        result.duration_s = round(time.monotonic() - started, 3)
        return result


class _PactFiles(NamedTuple):
    """What verifying one pact leaves in the report directory."""

    job: Path
    result: Path
    log: Path

    @classmethod
    def for_pact(cls, out_dir: Path, pact_path: Path) -> _PactFiles:
        stem = pact_path.stem
        return cls(out_dir / f"{stem}.job.json", out_dir / f"{stem}.result.json", out_dir / f"{stem}.verifier.log")


def _verify_in_child(pact: PactFile, provider_url: str, states_url: str | None, files: _PactFiles,
                     run_id: str) -> dict:
    job_path, result_path, log_path = files
    result_path.unlink(missing_ok=True)
    job = {"pact": str(pact.path), "provider": pact.provider, "provider_url": provider_url,
           "states_url": states_url, "state_timeout_s": STATE_TIMEOUT_S, "result": str(result_path)}
    job_path.write_text(json.dumps(job, indent=1), encoding="utf-8")
    env = {**os.environ, "PACT_DO_NOT_TRACK": "true", "NO_COLOR": "1", RUN_ID_ENV: run_id}
    child = processes.spawn([sys.executable, "-m", "interlock.contracts.worker", str(job_path)],
                            log_path=log_path, env=env)
    try:
        code = processes.wait(child, VERIFY_TIMEOUT_S)
    finally:
        processes.stop([child], grace_s=1.0)
    if code is None:
        return {"error": f"the Pact verifier did not finish within {VERIFY_TIMEOUT_S:g}s (log: {log_path})"}
    if code != 0 or not result_path.is_file():
        return {"error": f"the Pact verifier crashed (exit {code}); log: {log_path}"}
    return json.loads(result_path.read_text(encoding="utf-8"))


def _rerun_command(manifest: Manifest, integration: str) -> str:
    """The command that re-runs this stage for one integration, from the current directory."""
    command = f"interlock contracts --only {integration}"
    if manifest.path != (Path.cwd() / "interlock.yaml").resolve():
        command += f" --manifest {_label(manifest.path, Path.cwd())}"
    return command


def _label(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
