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
from interlock.stages.fuzz.coverage import coverage_gaps
from interlock.stages.fuzz.job import FuzzOutcome, OperationStats, RawFailure

STAGE = "fuzz"
RUN_CHECK = "fuzz run"
COVERAGE_CHECK = "coverage"


def checks_for_outcome(
    outcome: FuzzOutcome,
    *,
    integration: str,
    baseline: Baseline,
    rerun: str,
    operations: list[str] | None = None,
    portable: Portable | None = None,
    require_coverage: bool = False,
) -> list[CheckResult]:
    """The checks of one integration's fuzz stage, from its provider's ``outcome``.

    One check per operation (its failures, and as warnings the problems that kept it from being
    tested), then one coverage check for the provider: a warning when the budget or the spec left
    something untested, a failure with ``require_coverage``.
    """
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
        stats = outcome.operations.get(operation)
        if stats is not None:
            findings += _problem_findings(operation, stats, integration=integration, rerun=rerun)
        new = [f for f in findings if f.severity == Severity.ERROR]
        known = sum(f.title.endswith("(known)") for f in findings)
        message = _operation_message(stats) if stats else ""
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
    checks.append(coverage_check(outcome, integration=integration, rerun=rerun, required=require_coverage))
    if outcome.problems:
        checks.append(
            CheckResult(
                name=f"{outcome.provider} spec",
                status=Status.PASSED,
                message=f"{len(outcome.problems)} problem(s) in the spec",
                findings=[
                    Finding(
                        stage=STAGE,
                        integration=integration,
                        severity=Severity.WARNING,
                        title=f"{outcome.provider}: spec problem: {problem}",
                        reproduce=rerun,
                    )
                    for problem in outcome.problems
                ],
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


def _operation_message(stats: OperationStats) -> str:
    """``"40 requests; phases: examples, coverage; not finished: fuzzing"``."""
    parts = [f"{stats.requests} requests"]
    if stats.phases:
        parts.append(f"phases: {', '.join(stats.phases)}")
    if stats.unfinished:
        parts.append(f"not finished: {', '.join(stats.unfinished)}")
    if stats.problems:
        parts.append(f"{len(stats.problems)} problem(s) in the spec")
    return "; ".join(parts)


def _problem_findings(
    operation: str, stats: OperationStats, *, integration: str, rerun: str
) -> list[Finding]:
    """Each problem that kept ``operation`` from being tested: a warning (a coverage gap); each
    error of the provider while testing it (a network error, no answer in time): a failure."""
    found = [
        Finding(
            stage=STAGE,
            integration=integration,
            severity=Severity.WARNING,
            title=f"{operation}: not tested: {problem}"
            if not stats.requests
            else f"{operation}: partly tested: {problem}",
            detail=f"operation: {operation}\nproblem:   {problem}\n"
            "schemathesis could not generate requests from this part of the spec; fix the spec to test it",
            reproduce=rerun,
        )
        for problem in stats.problems
    ]
    found += [
        Finding(
            stage=STAGE,
            integration=integration,
            title=f"{operation}: {error}",
            detail=f"operation: {operation}\nerror:     {error}",
            reproduce=rerun,
        )
        for error in stats.errors
    ]
    return found


def coverage_check(outcome: FuzzOutcome, *, integration: str, rerun: str, required: bool) -> CheckResult:
    """Whether every operation was fully fuzzed; what the budget or the spec left out if not."""
    gaps = coverage_gaps(outcome)
    name = f"{outcome.provider} {COVERAGE_CHECK}"
    covered = gaps.total - len(gaps.not_fuzzed) - len(gaps.partly) - len(gaps.spec)
    if not gaps.any:
        return CheckResult(
            name=name, status=Status.PASSED, message=f"all {gaps.total} operations fully fuzzed"
        )
    lines = [f"{covered} of {gaps.total} operations fully fuzzed"]
    lines += [f"not fuzzed:   {op}" for op in gaps.not_fuzzed]
    for op in gaps.partly:
        lines.append(f"partly:       {op} ({', '.join(outcome.operations[op].unfinished)} not finished)")
    for op, problems in gaps.spec.items():
        lines += [f"spec problem: {op}: {problem}" for problem in problems]
    lines += [f"phase:        {phase} {status}" for phase, status in gaps.phases.items()]
    if not required:
        lines.append(
            "(a warning: `coverage: {require: complete}` in the suite or --require-coverage fails it)"
        )
    summary = gaps.summary(outcome.provider)
    return CheckResult(
        name=name,
        status=Status.FAILED if required else Status.PASSED,
        message=f"{covered} of {gaps.total} operations fully fuzzed",
        findings=[
            Finding(
                stage=STAGE,
                integration=integration,
                severity=Severity.ERROR if required else Severity.WARNING,
                title=f"incomplete coverage: {summary}",
                detail="\n".join(lines),
                reproduce=rerun,
            )
        ],
    )


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
