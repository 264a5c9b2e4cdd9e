"""What the fuzz stage hands to its worker process, and what the worker hands back.

Plain pydantic models with no schemathesis types, so the parent never imports schemathesis and
the contract between the two processes is written down in one place.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from interlock.core.verdict import RecordedRequest, RecordedResponse
from interlock.core.worker import WorkerJob


class FuzzJob(WorkerJob):
    """Everything one fuzzing run of one provider needs; written as JSON for the worker.

    ``result`` (from :class:`WorkerJob`) is where the worker writes its :class:`FuzzOutcome`.
    """

    provider: str
    #: A URL (http://...) or a file path of the OpenAPI document.
    spec: str
    base_url: str
    seed: int
    max_examples: int
    #: The worker stops the engine after this many seconds (phases already done are kept).
    time_budget_s: float
    #: A directory for hypothesis' example database, or None for no database.
    database: str | None = None
    deterministic: bool = True
    phases: list[str] = Field(default_factory=lambda: ["examples", "coverage", "fuzzing", "stateful"])
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    #: Built-in schemathesis checks to switch off.
    disabled_checks: list[str] = Field(default_factory=list)
    #: interlock's own checks to switch off.
    disabled_interlock_checks: list[str] = Field(default_factory=list)
    #: Statuses that count as accepting valid data, per operation ("POST /payments": [402]).
    accepted_statuses: dict[str, list[int]] = Field(default_factory=dict)
    #: Each interlock check's settings by check name, as dumped by the check registry
    #: (:func:`interlock.stages.fuzz.checks.registry.dump_settings`); absent ones are the defaults.
    check_settings: dict[str, Any] = Field(default_factory=dict)
    #: "module:function" of extra checks on an Exchange (see interlock.stages.fuzz.checks).
    extra_checks: list[str] = Field(default_factory=list)
    request_timeout_s: float = 10.0


class RawFailure(BaseModel):
    """One failed check on one request (or one sequence of requests), as schemathesis saw it."""

    operation: str
    check: str
    #: schemathesis' failure code (ST103, ...) or interlock's (IL-LEAK, ...).
    code: str = ""
    title: str
    message: str = ""
    #: What makes two failures of the same check on the same operation the same problem.
    signature: str
    #: One curl per request, in the order to send them (several for stateful chains and replays).
    curls: list[str] = Field(default_factory=list)
    phase: str = ""
    status_code: int | None = None
    #: The request that failed as sent (not redacted: the parent redacts), its response, and the
    #: requests of the same scenario before it, in order (a stateful chain).
    request: RecordedRequest | None = None
    response: RecordedResponse | None = None
    chain: list[RecordedRequest] = Field(default_factory=list)
    #: interlock's own checks: why this is a defect, and how sure the check is ("high (basis)").
    why: str = ""
    confidence: str = ""


class OperationStats(BaseModel):
    requests: int = 0
    #: Response times in ms (bounded sample) for budgets and the report.
    samples_ms: list[float] = Field(default_factory=list)


class FuzzOutcome(BaseModel):
    """What the worker writes when it is done (or could not run)."""

    provider: str
    seed: int
    failures: list[RawFailure] = Field(default_factory=list)
    #: Problems that stopped part of the run (schema unusable, network errors, crashed checks).
    errors: list[str] = Field(default_factory=list)
    #: Things worth saying that are not problems (the time budget ended the run early).
    notes: list[str] = Field(default_factory=list)
    operations: dict[str, OperationStats] = Field(default_factory=dict)
    stop_reason: str = ""
    duration_s: float = 0.0
    #: Set when the run could not happen at all (no schema, nothing to test).
    fatal: str | None = None
