"""What a fuzz run covered, per operation: requests sent, phases finished, problems that kept it from testing.

The engine feeds this from schemathesis' events (plain strings, no schemathesis types), so the
rules are testable without a run: an operation is *covered* when every enabled per-operation phase
(examples, coverage, fuzzing) finished for it and nothing in the spec kept it from being tested.
A phase schemathesis skipped on purpose (no examples in the spec) counts as finished; one the
time budget never reached does not. Stateful testing runs over sequences of operations, so it is
judged once for the run (did the phase finish?) and, per operation, only as "a sequence reached it".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interlock.stages.fuzz.job import FuzzOutcome, OperationStats

#: Phases schemathesis runs once per operation, in run order.
UNIT_PHASES = ("examples", "coverage", "fuzzing")
STATEFUL = "stateful"
#: How a phase that the time budget cut short (or never reached) is described.
STOPPED = "stopped by the time budget"
NOT_REACHED = "not reached before the time budget ended"


@dataclass
class CoverageTracker:
    """Collects, event by event, what the run did for each operation."""

    #: Phase -> operations it finished for.
    finished: dict[str, set[str]] = field(default_factory=dict)
    #: Operations a stateful sequence sent a request to.
    reached_by_stateful: set[str] = field(default_factory=set)
    #: Operation -> problem lines (deduplicated, in order).
    problems: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: Phase -> how it ended ("completed", "skipped (reason)", STOPPED).
    phases: dict[str, str] = field(default_factory=dict)

    def scenario_finished(self, phase: str, label: str | None, status: str) -> None:
        """One operation's scenario of a unit phase ended (``status`` as schemathesis says it)."""
        if phase in UNIT_PHASES and label and status != "interrupted":
            self.finished.setdefault(phase, set()).add(label)

    def stateful_reached(self, labels: list[str]) -> None:
        self.reached_by_stateful.update(labels)

    def phase_finished(self, phase: str, status: str, skip_reason: str | None) -> None:
        if phase not in (*UNIT_PHASES, STATEFUL):
            return
        if status == "interrupted":
            self.phases[phase] = STOPPED
        elif status == "skip":
            reason = (skip_reason or "").replace("_", " ")
            self.phases[phase] = f"skipped ({reason})" if reason else "skipped"
        else:
            self.phases[phase] = "completed"

    def problem(self, label: str, line: str) -> None:
        _add(self.problems, label, line)

    def error(self, label: str, line: str) -> None:
        _add(self.errors, label, line)

    def apply(self, outcome: FuzzOutcome, labels: list[str], enabled: list[str], *, stopped: bool) -> None:
        """Write the per-operation coverage into ``outcome``; ``labels`` are the operations to test."""
        for phase in enabled:
            if phase not in self.phases and (stopped or phase in UNIT_PHASES):
                self.phases[phase] = NOT_REACHED if stopped else "not run"
        outcome.phases = {p: self.phases[p] for p in (*UNIT_PHASES, STATEFUL) if p in self.phases}
        unit = [p for p in UNIT_PHASES if p in enabled]
        for label in dict.fromkeys([*labels, *self.problems, *self.errors]):
            stats = outcome.operations.setdefault(label, OperationStats())
            broken = label in self.problems and not stats.requests
            stats.phases = [] if broken else [p for p in unit if label in self.finished.get(p, set())]
            if label in self.reached_by_stateful:
                stats.phases.append(STATEFUL)
            stats.unfinished = (
                []
                if broken  # nothing to finish: the spec keeps it from being tested at all
                else [p for p in unit if label not in self.finished.get(p, set())]
            )
            stats.problems = list(self.problems.get(label, []))
            stats.errors = list(self.errors.get(label, []))


def _add(table: dict[str, list[str]], label: str, line: str) -> None:
    lines = table.setdefault(label, [])
    if line not in lines:
        lines.append(line)


@dataclass(frozen=True)
class CoverageGaps:
    """What a run left untested, for the coverage check and the console line."""

    total: int
    #: Operations the run sent no request to before the budget ended it.
    not_fuzzed: list[str]
    #: Operations that got requests, but not every enabled phase finished for them.
    partly: list[str]
    #: Operations the spec kept from being tested (fully), with the problems.
    spec: dict[str, list[str]]
    #: Enabled run-level phases that did not finish (stateful cut by the budget).
    phases: dict[str, str]
    budget_exhausted: bool
    time_budget_s: float

    @property
    def any(self) -> bool:
        return bool(self.not_fuzzed or self.partly or self.spec or self.phases)

    @property
    def covered_share(self) -> float:
        """``fuzz_coverage``: the share of operations fully covered (1.0 when there are none)."""
        if not self.total:
            return 1.0
        gaps = {*self.not_fuzzed, *self.partly, *self.spec}
        return (self.total - len(gaps)) / self.total

    def summary(self, provider: str) -> str:
        """One line: what the budget and the spec left untested, and what to do about it."""
        parts = []
        if self.budget_exhausted:
            cut = [f"{len(self.not_fuzzed)} of {self.total} operations not fuzzed"]
            if self.partly:
                cut.append(f"{len(self.partly)} partly")
            if STATEFUL in self.phases:
                cut.append("stateful phase not run")
            parts.append(
                f"time budget {self.time_budget_s:g}s ended the run: {', '.join(cut)};"
                " raise --time-budget or use --profile full"
            )
        elif self.not_fuzzed or self.partly:
            parts.append(
                f"{len(self.not_fuzzed) + len(self.partly)} of {self.total} operations not fully fuzzed"
            )
        if self.spec:
            parts.append(
                f"{len(self.spec)} of {self.total} operations not fully tested because of problems in the spec"
            )
        return f"{provider}: " + "; ".join(parts)


def coverage_gaps(outcome: FuzzOutcome) -> CoverageGaps:
    """The gaps in ``outcome``'s coverage (see :class:`CoverageGaps`)."""
    operations = outcome.operations
    spec = {label: stats.problems for label, stats in operations.items() if stats.problems}
    not_fuzzed: list[str] = []
    partly: list[str] = []
    for label, stats in operations.items():
        if not stats.unfinished or label in spec:
            continue
        (partly if stats.requests else not_fuzzed).append(label)
    cut = {
        phase: status
        for phase, status in outcome.phases.items()
        if phase == STATEFUL and status in (STOPPED, NOT_REACHED)
    }
    return CoverageGaps(
        total=len(operations),
        not_fuzzed=not_fuzzed,
        partly=partly,
        spec=spec,
        phases=cut,
        budget_exhausted=outcome.budget_exhausted,
        time_budget_s=outcome.time_budget_s,
    )
