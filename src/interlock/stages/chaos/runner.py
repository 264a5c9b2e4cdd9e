"""Run one experiment: steady state, then each fault for a bounded number of calls, rollback, recovery.

Every loop is bounded: a phase makes exactly ``calls`` probe calls, each bounded by the probe's
timeout; recovery probes stop at the experiment's ``recovery.within`` deadline. A fault is applied
inside a ``with`` block, so it is rolled back on every exit, Ctrl-C included. When the consumer
does not recover from a fault, the faults after it are not run: they would only measure the
previous fault's leftovers (an open breaker, a stuck pool).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from interlock.core.errors import RunIncomplete
from interlock.core.metrics import is_timing, lookup
from interlock.core.thresholds import Threshold, ThresholdResult
from interlock.core.verdict import CheckResult, Finding, Severity, Status
from interlock.faults.apply import apply_fault
from interlock.faults.fabric import FaultFabric
from interlock.faults.model import Fault
from interlock.faults.observation import Observation
from interlock.stages.chaos.background import BackgroundTraffic
from interlock.stages.chaos.experiment import PROVIDER_METRICS, Experiment, Probe, parse_gate
from interlock.stages.chaos.journal import CallRecord, GateRecord, Journal, PhaseRecord
from interlock.stages.chaos.metrics import CHAOS_METRICS, WAIVED_WITHOUT_DATA, measure
from interlock.stages.chaos.tracing import call_headers, carried_ids

STAGE = "chaos"


@dataclass
class ExperimentOutcome:
    journal: Journal
    checks: list[CheckResult] = field(default_factory=list)
    #: Names of the failed checks whose failed gates are all on timing metrics (confirmable).
    timing_failures: set[str] = field(default_factory=set)


class ExperimentRunner:
    """Runs experiments against one consumer through one integration's proxy."""

    def __init__(
        self,
        fabric: FaultFabric,
        integration: str,
        consumer_url: str,
        *,
        journal_path: Path,
        journal_label: str | None = None,
        reproduce: str | None = None,
        say: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.fabric = fabric
        self.integration = integration
        self.consumer_url = consumer_url
        self.journal_path = journal_path
        self.journal_label = journal_label or str(
            journal_path
        )  #: as findings show it (relative to the report)
        self.reproduce = reproduce
        self.say = say
        #: Every trace and request id the probe calls sent so far (the link to their requests).
        self.sent_ids: set[str] = set()

    def run(self, experiment: Experiment, label: str) -> ExperimentOutcome:
        journal = Journal(
            experiment=label, integration=self.integration, proxy=self.fabric.describe(self.integration)
        )
        outcome = ExperimentOutcome(journal)
        try:
            self.fabric.restore(self.integration)
            with httpx.Client(base_url=self.consumer_url) as client:
                self._run(experiment, label, client, outcome)
            journal.complete = True
        finally:
            journal.finished = time.time()
            journal.write(self.journal_path)
        return outcome

    def _run(
        self, experiment: Experiment, label: str, client: httpx.Client, outcome: ExperimentOutcome
    ) -> None:
        journal = outcome.journal
        steady = self._steady_state(client, experiment)
        journal.phases.append(steady)
        outcome.checks.append(self._check(f"{label}: steady state", steady, experiment))
        _note_timing_failure(outcome, steady)
        blocked = None if outcome.checks[-1].status == Status.PASSED else "steady state was not met"
        for fault in experiment.faults:
            name = f"{label}: {fault.name}"
            if blocked:
                outcome.checks.append(
                    CheckResult(name=name, status=Status.SKIPPED, message=f"not run: {blocked}")
                )
                journal.event("skipped", fault=fault.name, reason=blocked)
                continue
            phase = self._fault_phase(client, experiment, fault, journal)
            journal.phases.append(phase)
            recovery = self._recover(client, experiment, fault, phase)
            journal.phases.append(recovery)
            outcome.checks.append(self._check(name, phase, experiment, recovery))
            _note_timing_failure(outcome, phase)
            if phase.metrics.get("recovery_s") is None:
                blocked = f"the consumer did not recover from {fault.name}"

    def _steady_state(self, client: httpx.Client, experiment: Experiment) -> PhaseRecord:
        calls = experiment.calls
        self.say(f"{STAGE} {self.integration}: steady state: {calls} calls")
        phase = PhaseRecord(name="steady state", kind="steady_state")
        cursor = self.fabric.cursor(self.integration)
        phase.calls = [self._call(client, experiment.probe, i) for i in range(1, calls + 1)]
        phase.finished = time.time()
        self._finish(phase, experiment, cursor, phase.finished, experiment.steady_gates())
        return phase

    def _fault_phase(
        self, client: httpx.Client, experiment: Experiment, fault: Fault, journal: Journal
    ) -> PhaseRecord:
        calls = experiment.calls_for(fault)
        self.say(f"{STAGE} {self.integration}: {fault.name}: {calls} calls with {describe_fault(fault)}")
        phase = PhaseRecord(name=fault.name, kind="fault", fault=fault.model_dump(mode="json", by_alias=True))
        route = fault.on or self.integration
        if route != self.integration:
            phase.on = route
        if not self.fabric.has_route(route):
            raise RunIncomplete(
                f"fault {fault.name} goes on {route}, but no fault proxy runs for it: the consumer"
                f" was not started with {{proxy:{route}}}"
            )
        cursor = self.fabric.cursor(self.integration)
        applied = apply_fault(self.fabric.target(route), fault)
        with applied:
            phase.applied_at = applied.applied_at
            journal.event("applied", **applied.describe(), **({"on": route} if phase.on else {}))
            background_probe = experiment.background_probe(fault)
            if fault.background is None or background_probe is None:
                phase.calls = [self._call(client, experiment.probe, i) for i in range(1, calls + 1)]
            else:
                with BackgroundTraffic(
                    self.consumer_url, background_probe, fault.background, self._call
                ) as background:
                    phase.calls = [self._call(client, experiment.probe, i) for i in range(1, calls + 1)]
                phase.background = background.calls
        phase.rolled_back_at = applied.rolled_back_at
        journal.event("rolled back", fault=fault.name)
        phase.finished = time.time()
        self._finish(
            phase, experiment, cursor, phase.rolled_back_at or phase.finished, experiment.fault_gates(fault)
        )
        return phase

    def _recover(
        self, client: httpx.Client, experiment: Experiment, fault: Fault, fault_phase: PhaseRecord
    ) -> PhaseRecord:
        """Probe until ``streak`` consecutive successes or the deadline; record recovery_s on the fault."""
        spec = experiment.recovery
        phase = PhaseRecord(name=f"recovery after {fault.name}", kind="recovery")
        rolled_back = fault_phase.rolled_back_at or time.time()
        deadline = rolled_back + spec.within_s
        cursor = self.fabric.cursor(self.integration)
        streak_start: CallRecord | None = None
        streak = 0
        index = 0
        max_probes = int(spec.within_s / max(spec.interval_s, 0.01)) + spec.streak + 1
        while index < max_probes:
            if streak == 0 and time.time() >= deadline:
                break
            index += 1
            call = self._call(client, experiment.probe, index)
            phase.calls.append(call)
            if call.ok:
                streak_start = streak_start or call
                streak += 1
                if streak >= spec.streak:
                    break
            else:
                streak_start, streak = None, 0
                time.sleep(spec.interval_s)
        recovered = streak >= spec.streak and streak_start is not None and streak_start.finished <= deadline
        recovery_s = round(streak_start.finished - rolled_back, 3) if recovered and streak_start else None
        phase.finished = time.time()
        self._finish(phase, experiment, cursor, phase.finished, [])
        fault_phase.metrics["recovery_s"] = recovery_s
        gate = parse_gate(f"recovery_s <= {spec.within_s:g}")
        if recovery_s is None:
            fault_phase.gates.append(
                GateRecord(
                    expression=str(gate),
                    metric="recovery_s",
                    actual=None,
                    passed=False,
                    message=f"recovery_s: did not recover within {spec.within_s:g}s"
                    f" ({sum(not c.ok for c in phase.calls)} of {len(phase.calls)} recovery probes failed)",
                )
            )
        else:
            fault_phase.gates.append(_record(gate, gate.evaluate({"recovery_s": recovery_s})))
        self.say(
            f"{STAGE} {self.integration}: {fault.name}: "
            + (
                f"recovered in {recovery_s:.2f}s"
                if recovery_s is not None
                else f"did not recover within {spec.within_s:g}s"
            )
        )
        return phase

    def _call(self, client: httpx.Client, probe: Probe, index: int) -> CallRecord:
        headers, trace_ids = call_headers(probe.headers)
        started = time.time()
        status, error = None, None
        try:
            response = client.request(
                probe.method, probe.path, json=probe.json_body, headers=headers, timeout=probe.timeout
            )
            status = response.status_code
        except httpx.TimeoutException:
            error = f"no answer within the probe timeout ({probe.timeout:g}s)"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return CallRecord(
            index=index,
            started=started,
            finished=time.time(),
            status=status,
            error=error,
            ok=probe.succeeded(status),
            trace_ids=trace_ids,
        )

    def _finish(
        self,
        phase: PhaseRecord,
        experiment: Experiment,
        cursor: int,
        until: float,
        gates: Sequence[Threshold],
    ) -> None:
        """Fetch what reached the provider during the phase, measure, and check the gates."""
        observed, _ = self.fabric.observations(self.integration, cursor)
        first = phase.calls[0].started if phase.calls else until
        phase.observations = [o for o in observed if first <= o.started <= until]
        phase.metrics = measure(
            phase.calls, phase.observations, writes=experiment.writes, gates=gates, earlier_ids=self.sent_ids
        )
        self.sent_ids.update(i for call in phase.calls for i in call.trace_ids)
        if phase.background:
            # The background's requests reach the provider too: provider-side figures would be
            # theirs as much as the probe's, so the phase has none (experiment files cannot gate them).
            phase.metrics = {k: v for k, v in phase.metrics.items() if k not in PROVIDER_METRICS}
            background = measure(phase.background, [])
            phase.background_metrics = {k: v for k, v in background.items() if k not in PROVIDER_METRICS}
        values = {k: v for k, v in phase.metrics.items() if v is not None}
        for gate in gates:
            record = _record(gate, gate.evaluate(values))
            if not record.passed and record.actual is None and gate.metric in WAIVED_WITHOUT_DATA:
                record.waived = f"no data: {CHAOS_METRICS[gate.metric].no_data}"
            phase.gates.append(record)

    def _check(
        self, name: str, phase: PhaseRecord, experiment: Experiment, recovery: PhaseRecord | None = None
    ) -> CheckResult:
        findings = [self._finding(phase, gate, recovery) for gate in phase.gates if not gate.passed]
        failed = [f for f in findings if f.severity == Severity.ERROR]
        duration = (phase.finished or time.time()) - phase.started
        if recovery is not None:
            duration = (recovery.finished or time.time()) - phase.started
        return CheckResult(
            name=name,
            status=Status.FAILED if failed else Status.PASSED,
            duration_s=round(duration, 3),
            message=_metrics_line(phase) + _background_line(phase),
            findings=findings,
            figures=key_figures(phase),
        )

    def _finding(self, phase: PhaseRecord, gate: GateRecord, recovery: PhaseRecord | None) -> Finding:
        metric = lookup(gate.metric)
        meaning = metric.meaning if metric is not None else gate.metric
        lines = [
            f"gate: {gate.expression}  ({gate.metric}: {meaning})",
            f"during {phase.name}: {_calls_line(phase.calls)}",
            f"provider side: {_observations_line(phase.observations)}",
            f"metrics: {_metrics_line(phase)}",
        ]
        if phase.fault is not None:
            lines.insert(1, f"fault: {describe_fault(Fault.model_validate(phase.fault))}")
        if phase.background:
            lines.insert(3, f"background (not measured): {_calls_line(phase.background)}")
            lines[4] = lines[4].replace("provider side:", "provider side (probe and background together):", 1)
        if gate.metric == "trace_propagation":
            lines.append(self._untraced_line(phase))
        if recovery is not None and gate.metric == "recovery_s":
            lines.append(f"recovery probes: {_calls_line(recovery.calls)}")
        lines.append(f"journal: {self.journal_label}")
        return Finding(
            stage=STAGE,
            integration=self.integration,
            severity=Severity.WARNING if gate.waived else Severity.ERROR,
            title=f"{phase.name}: {gate.message}" + (f" ({gate.waived})" if gate.waived else ""),
            detail="\n".join(lines),
            reproduce=self.reproduce,
        )

    def _untraced_line(self, phase: PhaseRecord) -> str:
        """A few of the requests that carried none of the probe calls' ids, and what they carried."""
        untraced = [o for o in phase.observations if not carried_ids(o) & self.sent_ids]
        shown = []
        for obs in untraced[:3]:
            carried = obs.traceparent or obs.request_id or obs.correlation_id
            shown.append(
                f"{obs.method} {obs.path} "
                + (f"carried {carried!r}, not a probe call's id" if carried else "carried no trace id")
            )
        return f"not propagated: {len(untraced)} of {len(phase.observations)} requests, e.g. " + "; ".join(
            shown
        )


def _note_timing_failure(outcome: ExperimentOutcome, phase: PhaseRecord) -> None:
    """Remember the last check when it failed on timing gates only (latency, recovery, ...)."""
    check = outcome.checks[-1]
    failed = [g for g in phase.gates if not g.passed and not g.waived]
    if check.status == Status.FAILED and failed and all(is_timing(g.metric) for g in failed):
        outcome.timing_failures.add(check.name)


def _record(gate: Threshold, result: ThresholdResult) -> GateRecord:
    return GateRecord(
        expression=str(gate),
        metric=gate.metric,
        actual=result.actual,
        passed=result.passed,
        message=result.message,
    )


def describe_fault(fault: Fault) -> str:
    """``latency 1500ms downstream`` and the like, for progress lines and findings."""
    parts = []
    for toxic in fault.toxics:
        attrs = ", ".join(f"{k}={v}" for k, v in toxic.attributes.items())
        odds = f" at toxicity {toxic.toxicity:g}" if toxic.toxicity < 1 else ""
        parts.append(f"{toxic.type} {toxic.stream}" + (f" ({attrs})" if attrs else "") + odds)
    if fault.http_error is not None:
        error = fault.http_error
        extra = f", Retry-After {error.retry_after:g}s" if error.retry_after is not None else ""
        odds = f" for {error.probability:.0%} of requests" if error.probability < 1 else ""
        parts.append(f"HTTP {error.status} from the proxy{extra}{odds}")
    if fault.auth_expiry is not None:
        parts.append("Bearer tokens seen before expired (401 invalid_token from the proxy)")
    if fault.down:
        parts.append("the provider down (connections refused)")
    described = " + ".join(parts)
    if fault.on:
        described += f" on {fault.on}"
    if fault.background is not None:
        request = fault.background.probe
        described += (
            f", with {fault.background.concurrency} background callers"
            f" ({str(request.get('method', 'GET')).upper()} {request.get('path', '')})"
        )
    return described


def _calls_line(calls: Sequence[CallRecord]) -> str:
    if not calls:
        return "no calls"
    outcomes: dict[str, int] = {}
    for call in calls:
        key = str(call.status) if call.status is not None else (call.error or "no answer").split(":")[0]
        outcomes[key] = outcomes.get(key, 0) + 1
    shown = ", ".join(f"{n}x {k}" for k, n in sorted(outcomes.items(), key=lambda kv: -kv[1]))
    slowest = max(c.duration_ms for c in calls)
    return f"{len(calls)} consumer calls: {shown}; slowest {slowest:.0f}ms"


def _observations_line(observations: Sequence[Observation]) -> str:
    if not observations:
        return "no request reached the proxy"
    refused = sum(o.refused for o in observations)
    if refused == len(observations):
        return f"{refused} connection attempts, each reset at once (the provider was down)"
    routes: dict[str, int] = {}
    for obs in observations:
        routes[f"{obs.method} {obs.path}"] = routes.get(f"{obs.method} {obs.path}", 0) + 1
    shown = ", ".join(f"{k} x{n}" for k, n in sorted(routes.items(), key=lambda kv: -kv[1])[:5])
    reached = sum(o.reached_provider for o in observations)
    return f"{len(observations)} requests ({shown}); {reached} reached the provider"


def _background_line(phase: PhaseRecord) -> str:
    """The background's own figures, apart from the measured probe's."""
    if not phase.background:
        return ""
    ok = sum(c.ok for c in phase.background)
    slowest = max(c.duration_ms for c in phase.background)
    return f"; background: {len(phase.background)} calls, {ok} ok, slowest {slowest:.0f}ms"


#: What the run history keeps of each fault (and the steady state), for trends.
KEY_FIGURES = ("amplification", "recovery_s", "p(95)", "p(99)", "error_rate")


def key_figures(phase: PhaseRecord) -> dict[str, float]:
    """The phase's :data:`KEY_FIGURES` that were measured."""
    return {name: float(v) for name in KEY_FIGURES if (v := phase.metrics.get(name)) is not None}


def _metrics_line(phase: PhaseRecord) -> str:
    order = [
        "success_rate",
        "p(99)",
        "amplification",
        "duplicate_writes",
        "fail_fast_after",
        "retry_gap_avg",
        "recovery_s",
    ]
    shown = []
    for name in order:
        value = phase.metrics.get(name)
        if value is None:
            continue
        if name == "success_rate":
            shown.append(f"success_rate={value:.0%}")
        elif name.startswith(("p(", "retry_gap")):
            shown.append(f"{name}={value:.0f}ms")
        elif name == "recovery_s":
            shown.append(f"recovery_s={value:.2f}")
        else:
            shown.append(f"{name}={value:g}")
    return ", ".join(shown)
