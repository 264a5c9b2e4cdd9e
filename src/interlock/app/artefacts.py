"""Seal a run's artefacts: every file of the run directory scrubbed with the run's one policy.

The policy is the manifest's (secret-looking ``env`` values, header and field names) plus what
each selected stage's inputs make the run send (:class:`~interlock.stages.base.DeclaresSecrets`:
pact headers and secret members, fuzz suite auth, chaos probe headers, locustfile literals), plus
the credentials the fault proxy saw consumers send (``Authorization``, ``Cookie``, ``X-Api-Key``
on the wire, which no input declares when the consumer makes them itself). It runs once every child process of the run has stopped, so service, proxy, worker and Locust logs
are complete, and it returns the policy so the reports written next mask the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from interlock.core.console import Output
from interlock.core.errors import ConfigError, UsageError
from interlock.core.known_secrets import header_secrets
from interlock.core.manifest import Integration, Manifest
from interlock.core.redact import RedactionPolicy, Secret
from interlock.core.scrub import scrub_tree
from interlock.faults.fabric import FaultFabric
from interlock.stages.base import DeclaresSecrets, Stage


def declared_secrets(
    manifest: Manifest, stages: Sequence[Stage], integrations: Sequence[Integration]
) -> list[Secret]:
    """The credentials the selected stages' inputs declare; unreadable inputs give none (their
    stage has reported them)."""
    found: list[Secret] = []
    for stage in stages:
        if not isinstance(stage, DeclaresSecrets):
            continue
        for integration in integrations:
            try:
                found += stage.secrets(manifest, integration)
            except (ConfigError, UsageError, OSError, ValueError):
                continue
    return found


def wire_secrets(seen: Sequence[tuple[str, str]]) -> list[Secret]:
    """The credentials the fault proxy saw consumers send (``(header, value)`` pairs), as secrets."""
    return [s for name, value in seen for s in header_secrets({name: value}, "sent through the fault proxy:")]


def seal_run_dir(
    run_dir: Path, policy: RedactionPolicy, output: Output, fabric: FaultFabric | None = None
) -> RedactionPolicy:
    """Scrub every file under ``run_dir`` with ``policy`` (the manifest's and the stages' declared
    secrets, built once when the run starts) and what the closed ``fabric`` saw; returns the
    policy the reports must use. A failure is a warning: the reports are still written."""
    policy = policy.with_secrets(wire_secrets([] if fabric is None else fabric.credentials_seen))
    try:
        report = scrub_tree(run_dir, policy)
    except Exception as exc:
        output.warn(f"could not scrub the run's artefacts of secrets: {type(exc).__name__}: {exc}")
        return policy
    for problem in report.problems:
        output.warn(f"could not scrub {problem}: it may hold secrets")
    if report.masked:
        output.info(
            f"secrets masked in {len(report.masked)} of {report.files} artefact(s) ({report.seconds:.1f}s)"
        )
    return policy
