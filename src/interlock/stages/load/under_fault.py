"""Load under a fault: a chaos fault applied for a window mid-run, and what it did.

The fault comes from the integration's chaos file (by name) and goes on the run's fault proxy
(``ctx.fault_proxy``, the one ``{proxy:INTEGRATION}`` points the consumer at) through the chaos
stage's :func:`interlock.faults.apply.apply_fault`, so load and chaos apply faults one way. The
window is driven by the watcher that also watches the SLOs; the fault is always rolled back,
however the run ends.

Afterwards the run is cut into before / during / after the window. Each part gets the SLO figures
and the provider-side metrics of :func:`interlock.core.metrics.provider_traffic`, the same as in
chaos: **amplification**, the requests the consumer sent towards the provider (as the proxy saw
them) per request the load sent, and ``provider_requests``, those that reached the provider. A
consumer that retries blindly multiplies its load on a slow provider exactly when it hurts (the
retry storm that takes a payment provider down at peak).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from interlock.core.config import did_you_mean
from interlock.core.manifest import Integration, Manifest
from interlock.core.metrics import ProxyRecord, provider_traffic
from interlock.core.yamlfile import load_yaml
from interlock.faults.apply import AppliedFault, FaultTarget, apply_fault
from interlock.faults.file import load_faults
from interlock.faults.model import Fault
from interlock.stages.load.metrics import Timeline
from interlock.stages.load.profile import LoadProfile, UnderFault
from interlock.stages.load.schedule import Phase

#: Phase names of the fault window, usable in ``slo.phases``.
FAULT_PHASES = ("before-fault", "during-fault", "after-fault")


def fault_integration(profile: LoadProfile, integration: Integration) -> str:
    assert profile.under_fault is not None
    return profile.under_fault.integration or integration.name


def find_fault(manifest: Manifest, profile: LoadProfile, integration: Integration) -> Fault:
    """The fault ``under_fault`` names, from the chaos file of the integration it applies to."""
    assert profile.under_fault is not None
    doc = load_yaml(profile.path)
    name = fault_integration(profile, integration)
    names = [i.name for i in manifest.integrations]
    if name not in names:
        raise doc.error(("under_fault", "integration"), f"no integration '{name}' in {manifest.path.name}")
    chaos_file = manifest.integration(name).chaos
    if not chaos_file:
        raise doc.error(
            ("under_fault",),
            f"integration '{name}' has no 'chaos:' file to take fault '{profile.under_fault.fault}' from",
        )
    faults = load_faults(manifest.resolve(chaos_file))
    for fault in faults:
        if fault.name == profile.under_fault.fault:
            if fault.on is not None and fault.on != name:
                raise doc.error(
                    ("under_fault",),
                    f"fault '{fault.name}' in {chaos_file} goes on '{fault.on}' (on:); load applies"
                    f" a fault on its file's integration: take one from '{fault.on}'s chaos file",
                )
            return fault
    known = [f.name for f in faults]
    hint = did_you_mean(profile.under_fault.fault, known)
    raise doc.error(
        ("under_fault", "fault") if isinstance(doc.data.get("under_fault"), dict) else ("under_fault",),
        f"no fault '{profile.under_fault.fault}' in {chaos_file}{hint} (faults: {', '.join(known)})",
    )


@dataclass
class FaultWindow:
    """Applies the fault at ``at`` seconds into the run and rolls it back ``duration`` later."""

    spec: UnderFault
    fault: Fault
    target: FaultTarget
    on_event: Callable[[str], None] | None = None
    applied: AppliedFault | None = None  #: while in force
    applied_at: float | None = None  #: wall-clock
    removed_at: float | None = None
    problems: list[str] = field(default_factory=list)

    def tick(self, run_time: float) -> None:
        """Called by the watcher about twice a second."""
        if self.applied_at is None and not self.problems and run_time >= self.spec.at:
            try:
                self.applied = apply_fault(self.target, self.fault)
            except Exception as exc:
                self.problems.append(f"could not apply fault '{self.fault.name}': {exc}")
                return
            self.applied_at = self.applied.applied_at
            self._say(f"fault '{self.fault.name}' applied at {run_time:.1f}s")
        elif (
            self.applied is not None
            and self.removed_at is None
            and run_time >= self.spec.at + self.spec.duration
        ):
            self.close()
            self._say(f"fault '{self.fault.name}' rolled back at {run_time:.1f}s")

    def close(self) -> None:
        """Roll back if still in force; safe to call twice (the run's ``finally`` calls it)."""
        if self.applied is None or self.removed_at is not None:
            return
        try:
            self.applied.rollback()
        except Exception as exc:
            self.problems.append(f"rolling back '{self.fault.name}' failed: {exc}")
        self.removed_at = self.applied.rolled_back_at or time.time()

    def phases(self, timeline: Timeline) -> list[Phase]:
        """before / during / after the window, run-relative, as it really happened."""
        origin = timeline.started or 0.0
        end = timeline.duration
        if self.applied_at is None:
            return []
        start = self.applied_at - origin
        stop = (self.removed_at - origin) if self.removed_at is not None else end
        return [
            Phase(FAULT_PHASES[0], 0.0, start),
            Phase(FAULT_PHASES[1], start, stop),
            Phase(FAULT_PHASES[2], stop, max(stop, end)),
        ]

    def _say(self, text: str) -> None:
        if self.on_event is not None:
            self.on_event(text)


class _TimedRecord(ProxyRecord, Protocol):
    """A proxy observation with the time its request started (epoch seconds)."""

    @property
    def started(self) -> float: ...


def amplification(timeline: Timeline, observations: Sequence[_TimedRecord], phase: Phase) -> dict[str, float]:
    """The proxy's view of ``phase``: ``proxy_requests``, ``provider_requests``, ``amplification``
    (per request the load sent), and ``provider_rps`` (``provider_requests`` per second)."""
    origin = timeline.started or 0.0
    in_phase = [o for o in observations if phase.start <= o.started - origin < phase.end]
    sent = timeline.metrics(phase.start, phase.end)["requests"]
    values = provider_traffic(in_phase, int(sent))
    values["provider_rps"] = values["provider_requests"] / max(phase.end - phase.start, 1e-9)
    return values


def provider_per_second(timeline: Timeline, observations: list[Any]) -> list[tuple[float, int]]:
    """Requests that reached the provider, per run-relative second, for the plot."""
    origin = timeline.started or 0.0
    counts: dict[int, int] = {}
    for o in observations:
        if o.reached_provider and o.started >= origin:
            second = int(o.started - origin)
            counts[second] = counts.get(second, 0) + 1
    last = int(timeline.duration)
    return [(float(s), counts.get(s, 0)) for s in range(last + 1)] if counts else []


def describe_window(window: FaultWindow, timeline: Timeline) -> dict[str, Any]:
    """What the JSON summary records about the fault window."""
    origin = timeline.started or 0.0
    return {
        "fault": window.fault.name,
        "applied_at_s": round(window.applied_at - origin, 2) if window.applied_at else None,
        "rolled_back_at_s": round(window.removed_at - origin, 2) if window.removed_at else None,
        "problems": window.problems,
    }


def window_note(window: FaultWindow, timeline: Timeline) -> str:
    """One sentence for the Markdown summary."""
    facts = describe_window(window, timeline)
    if facts["applied_at_s"] is None:
        return f"Fault '{window.fault.name}' was never applied."
    text = f"Fault '{window.fault.name}' applied at {facts['applied_at_s']:g}s"
    if facts["rolled_back_at_s"] is not None:
        text += f", rolled back at {facts['rolled_back_at_s']:g}s"
    return text + "".join(f"; {problem}" for problem in window.problems) + "."
