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
    #: Where the service answers; :attr:`base_path` is added to it.
    base_url: str
    #: The path the operations live under: the manifest's ``base_path:``, "" for none (a
    #: ``base_url`` given as is), or None for the spec's own (``servers`` / ``basePath``), which
    #: the worker reads from the schema it loads: the parent then need not fetch the spec too.
    base_path: str | None = None
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
    #: Seconds to wait for each response; schemathesis' own default (``st run --request-timeout``).
    request_timeout_s: float = 10.0
    #: Redirects to follow per request; None is schemathesis' default (``st run`` without
    #: ``--max-redirects``): follow same-host redirects unless the operation documents a 3xx.
    max_redirects: int | None = None
    #: Verify TLS certificates: true, false, or the path of a CA bundle (``st run --tls-verify``).
    tls_verify: bool | str = True
    #: Concurrent workers (``st run -w``). Not a suite key or option: more than one hits a CPython
    #: thread-safety SystemError in schemathesis' generation (docs/fuzz.md, "Workers").
    workers: int = 1


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
    """What the run did for one operation: requests, phases, and problems that kept it from testing."""

    requests: int = 0
    #: Response times in ms (bounded sample) for budgets and the report.
    samples_ms: list[float] = Field(default_factory=list)
    #: Phases that finished for this operation (examples, coverage, fuzzing; stateful when a
    #: sequence reached it), in run order.
    phases: list[str] = Field(default_factory=list)
    #: Enabled phases that never finished for it (the time budget stopped the run first).
    unfinished: list[str] = Field(default_factory=list)
    #: What kept schemathesis from testing it fully (a spec error, data it cannot generate), one
    #: line each: coverage gaps, not failures of the provider.
    problems: list[str] = Field(default_factory=list)
    #: The provider's side of testing it went wrong (a network error, no answer in time), one line each.
    errors: list[str] = Field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every enabled phase ran for it and its spec is usable: nothing about it was left untested."""
        return not self.unfinished and not self.problems


class FuzzOutcome(BaseModel):
    """What the worker writes when it is done (or could not run)."""

    provider: str
    seed: int
    failures: list[RawFailure] = Field(default_factory=list)
    #: Problems of the run as a whole (not of one operation) that stopped part of it.
    errors: list[str] = Field(default_factory=list)
    #: Problems of the spec as a whole that did not stop the run (a broken link definition).
    problems: list[str] = Field(default_factory=list)
    #: Things worth saying that are not problems (the time budget ended the run early).
    notes: list[str] = Field(default_factory=list)
    operations: dict[str, OperationStats] = Field(default_factory=dict)
    #: How each phase of the run ended: "completed", "skipped (reason)", "stopped by the time budget".
    phases: dict[str, str] = Field(default_factory=dict)
    #: The time budget stopped the engine before it was done.
    budget_exhausted: bool = False
    time_budget_s: float = 0.0
    stop_reason: str = ""
    duration_s: float = 0.0
    #: The base path the spec declares ("" when none), for the parent's mismatch warning.
    spec_base_path: str = ""
    #: The URL the operations were sent to: ``base_url`` plus the base path.
    api_url: str = ""
    #: Set when the run could not happen at all (no schema, nothing to test).
    fatal: str | None = None
