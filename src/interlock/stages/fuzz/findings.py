"""Turn one provider's fuzz outcome into checks and findings for one integration.

One check per fuzzed operation (one JUnit testcase each). Failures are already deduplicated by
operation, check and cause in the worker; each becomes one finding with the curl command(s)
that reproduce it (portable: ``$PAYMENTS_URL`` and ``$INTERLOCK_*`` secrets), the seed, the
request and response as fields, and the command that re-runs the fuzz stage with every option
of the run. Secrets are redacted here (reports redact again, as they do for every stage). A failure in the provider's
baseline is a warning that does not fail the gate.
"""

from __future__ import annotations

from interlock.core.reproduction import Portable
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
    portable: Portable | None = None,
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
            finding_for(
                f,
                integration=integration,
                seed=outcome.seed,
                rerun=rerun,
                known=baseline.knows(f),
                portable=portable,
            )
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


def finding_for(
    failure: RawFailure,
    *,
    integration: str,
    seed: int,
    rerun: str,
    known: bool,
    portable: Portable | None = None,
) -> Finding:
    """One finding: the failure in text (``detail``) and in fields (check, request, response, ...).

    Everything that came from the run passes the provider's redaction policy here (``portable``);
    reports redact again, by header name and the manifest's secrets, as for every stage.
    """
    portable = portable or Portable("", "")  # no service known: curls keep their URL
    policy = portable.policy
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
        title=policy.known_values(f"{failure.operation}: {failure.title}" + (" (known)" if known else "")),
        detail=policy.text("\n".join(lines)),
        reproduce=reproduction(failure, rerun=rerun, portable=portable),
        code=failure.code or None,
        check=failure.check,
        operation=failure.operation,
        cause=policy.known_values(failure.signature),
        request=portable.request(failure.request) if failure.request else None,
        chain=[portable.request(r) for r in failure.chain],
        response=portable.response(failure.response) if failure.response else None,
        seed=seed,
    )


def reproduction(failure: RawFailure, *, rerun: str, portable: Portable) -> str:
    """The curl command(s) that reproduce ``failure`` (after the note of what to export), then the
    command that re-runs the stage with the same options."""
    lines = []
    if len(failure.curls) > 1:
        lines.append(f"# {len(failure.curls)} requests, in this order:")
    lines += portable.commands(failure.curls)
    lines.append(f"# the whole run again: {rerun}")
    return "\n".join(lines)
