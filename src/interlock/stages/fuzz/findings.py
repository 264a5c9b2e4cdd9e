"""Turn one provider's fuzz outcome into checks and findings for one integration.

One check per fuzzed operation (one JUnit testcase each). Failures are already deduplicated by
operation, check and cause in the worker; each becomes one finding with the curl command(s)
that reproduce it, the seed, and the command that re-runs the fuzz stage. Secrets in curls are
redacted here (reports redact again, as they do for every stage). A failure in the provider's
baseline is a warning that does not fail the gate.
"""

from __future__ import annotations

from interlock.core.redact import redact
from interlock.core.verdict import CheckResult, Finding, Severity, Status
from interlock.stages.fuzz.baseline import Baseline
from interlock.stages.fuzz.job import FuzzOutcome, RawFailure

STAGE = "fuzz"
RUN_CHECK = "fuzz run"


def checks_for_outcome(
    outcome: FuzzOutcome,
    *,
    integration: str,
    baseline: Baseline,
    rerun: str,
    operations: list[str] | None = None,
) -> list[CheckResult]:
    """The checks of one integration's fuzz stage, from its provider's ``outcome``."""
    by_operation: dict[str, list[RawFailure]] = {}
    for failure in outcome.failures:
        by_operation.setdefault(failure.operation, []).append(failure)
    names = list(dict.fromkeys([*(operations or outcome.operations), *by_operation]))
    checks = []
    for operation in names:
        failures = sorted(by_operation.get(operation, []), key=lambda f: (f.check, f.signature))
        findings = [
            finding_for(f, integration=integration, seed=outcome.seed, rerun=rerun, known=baseline.knows(f))
            for f in failures
        ]
        new = [f for f in findings if f.severity == Severity.ERROR]
        known = len(findings) - len(new)
        requests = outcome.operations.get(operation)
        message = f"{requests.requests} requests" if requests else ""
        if known:
            message += f"{', ' if message else ''}{known} known failure(s) in the baseline"
        checks.append(
            CheckResult(
                name=f"{outcome.provider} {operation}",
                status=Status.FAILED if new else Status.PASSED,
                findings=findings,
                message=message,
            )
        )
    if outcome.notes and not outcome.errors:
        checks.append(
            CheckResult(
                name=f"{outcome.provider} {RUN_CHECK}", status=Status.PASSED, message="; ".join(outcome.notes)
            )
        )
    if outcome.errors:
        detail = "\n".join(outcome.errors)
        checks.append(
            CheckResult(
                name=f"{outcome.provider} {RUN_CHECK}",
                status=Status.ERROR,
                message=outcome.errors[0],
                findings=[
                    Finding(
                        stage=STAGE,
                        integration=integration,
                        title=f"{outcome.provider}: fuzzing could not"
                        f" test everything: {outcome.errors[0][:200]}",
                        detail=detail,
                        reproduce=rerun,
                    )
                ],
            )
        )
    return checks


def finding_for(failure: RawFailure, *, integration: str, seed: int, rerun: str, known: bool) -> Finding:
    lines = [
        f"operation: {failure.operation}",
        f"check:     {failure.check}" + (f" ({failure.code})" if failure.code else ""),
        f"cause:     {failure.signature}",
        *([f"why: {failure.why}"] if failure.why else []),
        *([f"confidence: {failure.confidence}"] if failure.confidence else []),
        f"phase:     {failure.phase or '-'}"
        + (f", status {failure.status_code}" if failure.status_code else ""),
        f"seed:      {seed}",
    ]
    if known:
        lines.append("baseline:  known failure (accepted in the provider's baseline; does not fail the gate)")
    if failure.message:
        lines.append(failure.message)
    return Finding(
        stage=STAGE,
        integration=integration,
        severity=Severity.WARNING if known else Severity.ERROR,
        title=f"{failure.operation}: {failure.title}" + (" (known)" if known else ""),
        detail=redact("\n".join(lines)),
        reproduce=reproduction(failure, seed=seed, rerun=rerun),
    )


def reproduction(failure: RawFailure, *, seed: int, rerun: str) -> str:
    """The curl command(s) that reproduce ``failure``, then the command that re-runs the stage."""
    lines = []
    if len(failure.curls) > 1:
        lines.append(f"# {len(failure.curls)} requests, in this order:")
    lines += [redact(c) for c in failure.curls]
    lines.append(f"# the whole run again (same seed): {rerun} --seed {seed}")
    return "\n".join(lines)
