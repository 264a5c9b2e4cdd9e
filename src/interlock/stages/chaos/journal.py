"""The journal of one experiment: what was applied when, every call's outcome, what reached the provider.

It is written as JSON into the report's artefact directory, also when the run crashes or is
interrupted (then with ``"complete": false``), so a failed gate can always be traced to the calls
and provider requests behind it. Times are Unix epoch seconds, the clock the proxy uses for its
observations, so both sides line up.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from interlock.faults.observation import Observation


class CallRecord(BaseModel):
    """One probe call to the consumer."""

    index: int  #: 1-based within its phase
    started: float
    finished: float
    status: int | None = None  #: the consumer's HTTP status; None when no answer came
    error: str | None = None  #: transport error or timeout of the probe itself
    ok: bool
    #: The ids the call sent that its provider requests should carry (its traceparent's trace id,
    #: or the probe's X-Request-Id / X-Correlation-Id): see interlock.stages.chaos.tracing.
    trace_ids: list[str] = Field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.finished - self.started) * 1000


class GateRecord(BaseModel):
    expression: str
    metric: str
    actual: float | None
    passed: bool
    message: str
    #: Why a failed gate does not fail the check (e.g. no retries happened, so no retry gaps).
    waived: str | None = None


class PhaseRecord(BaseModel):
    """Steady state, one fault, or the recovery after a fault."""

    name: str
    kind: Literal["steady_state", "fault", "recovery"]
    fault: dict[str, Any] | None = None
    started: float = Field(default_factory=time.time)
    applied_at: float | None = None
    rolled_back_at: float | None = None
    finished: float | None = None
    calls: list[CallRecord] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    metrics: dict[str, float | None] = Field(default_factory=dict)
    gates: list[GateRecord] = Field(default_factory=list)
    note: str | None = None
    #: The integration whose route had the fault, when not the experiment's own (blast radius).
    on: str | None = None
    #: Background calls made while the fault was applied: not part of the phase's metrics.
    background: list[CallRecord] = Field(default_factory=list)
    #: The background calls' own consumer-side figures (calls, success_rate, p(99), ...).
    background_metrics: dict[str, float | None] = Field(default_factory=dict)


class Event(BaseModel):
    at: float
    what: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Journal(BaseModel):
    experiment: str
    integration: str
    proxy: dict[str, Any] = Field(default_factory=dict)
    started: float = Field(default_factory=time.time)
    finished: float | None = None
    complete: bool = False
    phases: list[PhaseRecord] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)

    def event(self, what: str, **detail: Any) -> None:
        self.events.append(Event(at=time.time(), what=what, detail=detail))

    def write(self, path: Path) -> Path:
        """Write atomically, so a reader never sees half a journal."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.model_dump(mode="json"), indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path
