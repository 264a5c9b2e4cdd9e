"""The spec check as part of the contracts stage, and as ``interlock contracts check-spec`` on its own.

It needs no provider running when the spec is a file: each pact of the integration is checked
against the provider's spec, one check per interaction, next to (before) the Pact verification.
"""

from __future__ import annotations

import time
from pathlib import Path

from interlock.core.console import Output
from interlock.core.manifest import Integration, Manifest
from interlock.core.reproduction import display_path, rerun_command
from interlock.core.verdict import CheckResult, StageResult, Status, warning_check
from interlock.openapi.check import STAGE, check_pact
from interlock.openapi.document import SpecDocument
from interlock.openapi.source import base_path_mismatch, load_from_source, needs_file_error, spec_source
from interlock.pacts.pactfile import load_pact


def preflight(manifest: Manifest, integration: Integration, *, offline: bool = False) -> None:
    """Load the provider's spec file now, so a broken one stops the run with exit 2 before anything starts.

    ``offline`` (check-spec): a URL path on a service that interlock would start cannot be read.
    """
    source = spec_source(manifest, integration.provider)
    if source is None or not integration.pacts:
        return
    if source.file is not None:
        load_from_source(source, manifest, None)
    elif (
        offline
        and source.url
        and source.url.startswith("/")
        and not manifest.services[integration.provider].base_url
    ):
        raise needs_file_error(manifest, integration.provider)


def spec_checks(
    manifest: Manifest, integration: Integration, running_url: str | None, output: Output | None = None
) -> list[CheckResult]:
    """The spec checks of every pact of ``integration`` (none when the provider declares no spec).

    Risks (a field read that the spec marks optional or nullable) do not fail a check, and the
    reports list failed checks only, so they are told on ``output`` as warnings.
    """
    source = spec_source(manifest, integration.provider)
    if source is None or not integration.pacts:
        return []
    doc = load_from_source(source, manifest, running_url)
    label = (
        relative_label(source.file, manifest.base_dir) if source.file else doc.origin
    )  # origin: the URL read
    checks = _checks(manifest, integration, doc, label)
    risks = [f for c in checks if c.status == Status.PASSED for f in c.findings]
    if output is not None:
        failed = sum(c.status != Status.PASSED for c in checks)
        output.info(
            f"{STAGE} {integration.name}: checked {len(checks)} interaction(s) against {label}:"
            f" {failed} do not fit, {len(risks)} risk(s)"
        )
        for finding in risks:
            output.warn(f"{STAGE} {integration.name}: spec: {finding.title}")
    mismatch = base_path_mismatch(manifest, integration.provider, doc.base_path)
    if mismatch:
        checks.append(warning_check(STAGE, integration.name, "base path", mismatch))
        if output is not None:
            output.warn(f"{STAGE} {integration.name}: {mismatch}")
    return checks


def _checks(
    manifest: Manifest, integration: Integration, doc: SpecDocument, spec_label: str
) -> list[CheckResult]:
    checks: list[CheckResult] = []
    rerun = rerun_command(manifest, "contracts check-spec", integration.name)
    for path in manifest.pact_files(integration):
        checks += check_pact(
            doc,
            load_pact(path),
            integration=integration.name,
            pact_label=relative_label(path, manifest.base_dir),
            spec_label=spec_label,
            reproduce_cmd=rerun,
        )
    return checks


def spec_stage(manifest: Manifest, integration: Integration, output: Output | None = None) -> StageResult:
    """The contracts stage with only the spec check: for ``check-spec``, offline."""
    started = time.monotonic()
    result = StageResult(stage=STAGE, integration=integration.name)
    if not integration.pacts:
        result.skipped_reason = "no pacts declared"
    elif spec_source(manifest, integration.provider) is None:
        result.skipped_reason = f"{integration.provider} declares no openapi: spec"
    else:
        result.checks = spec_checks(manifest, integration, None, output)
    result.duration_s = round(time.monotonic() - started, 3)
    return result


def relative_label(path: Path, base: Path) -> str:
    """``path`` as the stage labels it: relative to the manifest's directory when inside it."""
    return display_path(path, base)
