"""Confirmation: a failed timing-based check is measured again before it fails the gate.

A latency or recovery gate that fails once on a busy CI machine says as much about the machine as
about the system. So a stage that ran something whose failed checks are all *timing-based* (gated
on a metric registered with ``timing=True``: durations, rates per second, recovery time, ...)
runs that same thing again (the chaos experiment, the load profile; never the whole stage), up to
``reruns`` times. Only the checks that failed on timing decide what the re-run means:

* passes on a re-run: ``flaky``. The check passes with a warning naming every measurement (and
  fails under ``strict``): never silently green;
* fails on every attempt: failed, with every measurement;
* a check the first run skipped because of an earlier failure (faults after a chaos steady state
  that failed) takes the result of the first attempt that ran it;
* checks that passed, or failed on something deterministic (a contract, a count such as
  amplification), keep their first result: a re-run does not change them.

The stage decides which of its failed checks are timing-based; this module folds the attempts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from interlock.core.verdict import CheckAttempt, CheckResult, Finding, Severity, Status

#: The most re-runs a setting may ask for: confirmation is for noise, not for trying until green.
MAX_RERUNS = 5

#: What one attempt measured: its checks, and the names of those that failed on timing only.
Attempt = tuple[list[CheckResult], set[str]]
#: Runs attempt number N (2 is the first re-run).
Rerun = Callable[[int], Attempt]


@dataclass(frozen=True)
class Confirmation:
    """How a run confirms failed timing-based checks (manifest ``confirm``/``strict_flaky``, CLI)."""

    #: Re-runs of a failed timing-based check before it fails the gate; 0 switches it off.
    reruns: int = 1
    #: A flaky check fails the gate too (it is still reported as flaky).
    strict: bool = False
    #: ``reruns`` came from the command line (``--confirm N``), which wins over the files.
    from_command_line: bool = False

    def reruns_for(self, file_setting: int | None) -> int:
        """The re-runs for one experiment or profile whose file may set its own ``confirm:``."""
        if self.from_command_line or file_setting is None:
            return self.reruns
        return file_setting


def confirm(
    first: Sequence[CheckResult],
    timing_failures: Collection[str],
    rerun: Rerun,
    reruns: int,
    *,
    strict: bool = False,
    stage: str,
    integration: str,
) -> list[CheckResult]:
    """``first``'s checks, with those in ``timing_failures`` confirmed by up to ``reruns`` re-runs."""
    results = {check.name: check for check in first}
    history: dict[str, list[CheckResult]] = {name: [results[name]] for name in timing_failures}
    undecided = {c.name for c in first if c.status == Status.SKIPPED}
    pending = set(timing_failures)
    started = dict.fromkeys(timing_failures, 1)  #: the attempt that first measured each check
    attempt = 1
    while pending and attempt <= reruns:
        attempt += 1
        checks, timing = rerun(attempt)
        again = {check.name: check for check in checks}
        for name in sorted(pending):
            latest = again.get(name)
            if latest is None:  # not measured this time (skipped): the next attempt may
                continue
            history[name].append(latest)
            if latest.status == Status.PASSED:
                results[name] = _flaky(history[name], started[name], strict, stage, integration)
                pending.discard(name)
            elif name not in timing:  # failed on something deterministic this time: decided
                results[name] = _failed(history[name], started[name])
                pending.discard(name)
        for name in sorted(undecided):
            latest = again.get(name)
            if latest is None or latest.status == Status.SKIPPED:
                continue
            undecided.discard(name)
            results[name] = latest
            if latest.status == Status.FAILED and name in timing:
                history[name] = [latest]
                started[name] = attempt
                pending.add(name)
    for name in pending:
        if len(history[name]) > 1:
            results[name] = _failed(history[name], started[name])
    return [results[check.name] for check in first]


def _attempts(history: Sequence[CheckResult], first_attempt: int = 1) -> list[CheckAttempt]:
    return [
        CheckAttempt(
            attempt=first_attempt + index,
            status=check.status,
            duration_s=check.duration_s,
            message=check.message,
            findings=[f.title for f in check.findings if f.severity == Severity.ERROR],
        )
        for index, check in enumerate(history)
    ]


def measurements(attempts: Sequence[CheckAttempt]) -> str:
    """``attempt 1 failed: p(95) = 412ms ...; attempt 2 passed: p(95) = 88ms ...``."""
    return "; ".join(
        f"attempt {a.attempt} {a.status.value}: {'; '.join(a.findings) if a.findings else a.message}"
        for a in attempts
    )


def _flaky(
    history: Sequence[CheckResult], first_attempt: int, strict: bool, stage: str, integration: str
) -> CheckResult:
    """The check that failed, then passed: passed with a warning (failed when ``strict``)."""
    attempts = _attempts(history, first_attempt)
    passed = history[-1]
    title = (
        f"flaky: failed on attempt {attempts[0].attempt}, passed on attempt {attempts[-1].attempt}"
        " (confirmation re-run)" + (" - strict_flaky fails the gate" if strict else "")
    )
    warning = Finding(
        stage=stage,
        integration=integration,
        severity=Severity.ERROR if strict else Severity.WARNING,
        title=f"{passed.name}: {title}",
        detail="\n".join(
            f"attempt {a.attempt} ({a.status.value}, {a.duration_s:.1f}s): "
            + ("; ".join(a.findings) if a.findings else a.message)
            for a in attempts
        ),
        check="flaky",
        cause=passed.name,
    )
    return passed.model_copy(
        update={
            "status": Status.FAILED if strict else Status.PASSED,
            "flaky": True,
            "attempts": attempts,
            "findings": [warning, *passed.findings],
            "duration_s": round(sum(a.duration_s for a in attempts), 3),
        }
    )


def _failed(history: Sequence[CheckResult], first_attempt: int) -> CheckResult:
    """The check failed on every attempt: its first failure, with every measurement."""
    first = history[0]
    attempts = _attempts(history, first_attempt)
    return first.model_copy(
        update={
            "attempts": attempts,
            "message": f"{first.message} (failed on all {len(attempts)} attempts)",
            "duration_s": round(sum(a.duration_s for a in attempts), 3),
        }
    )
