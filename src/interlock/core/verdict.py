"""The verdict model: Finding -> CheckResult -> StageResult -> IntegrationVerdict -> RunVerdict.

Every stage reports into this model and every report (JSON, JUnit, Markdown) is rendered from
it, so a gate decision is made in exactly one place: :attr:`RunVerdict.exit_code`.

A *check* is one thing a stage verified (one pact interaction, one fuzzed operation, one
fault); it maps to one JUnit testcase. A *finding* is one problem a check found.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, computed_field, model_validator

from interlock.core.errors import ExitCode


class Severity(StrEnum):
    """How much a finding matters: only ``error`` findings fail a gate."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Status(StrEnum):
    """Outcome of a check, stage, integration or run, ordered from best to worst."""

    PASSED = "passed"
    SKIPPED = "skipped"
    FAILED = "failed"
    #: A stage (and so its integration) that a signal stopped before it finished: never "passed".
    INTERRUPTED = "interrupted"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]


_STATUS_RANK = {
    Status.PASSED: 0,
    Status.SKIPPED: 1,
    Status.FAILED: 2,
    Status.INTERRUPTED: 3,
    Status.ERROR: 4,
}


def worst(statuses: list[Status], default: Status = Status.SKIPPED) -> Status:
    """The worst status of ``statuses``; ``default`` when there are none."""
    return max(statuses, key=lambda s: s.rank, default=default)


#: A recorded response body is cut to this many characters: enough to see the problem.
BODY_EXCERPT_CHARS = 4096
#: A recorded request body longer than this is cut (and can no longer be replayed).
REQUEST_BODY_CHARS = 65536


class RecordedRequest(BaseModel):
    """A request as it was sent, secrets redacted (a known secret header refers to its variable)."""

    method: str
    #: The URL as sent (with the run's address of the service).
    url: str
    #: The URL after the service's root (path and query), for sending it to the service again.
    path: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    #: ``base64`` when the body was not text.
    body_encoding: str = "utf-8"
    body_truncated: bool = False


class RecordedResponse(BaseModel):
    """A response as it came back: status, headers (redacted) and a bounded excerpt of the body."""

    status: int
    headers: dict[str, str] = Field(default_factory=dict)
    body_excerpt: str = ""
    body_truncated: bool = False


class Finding(BaseModel):
    """One problem, with enough context to understand and reproduce it without the logs.

    The optional structured fields (check, operation, request, ...) are filled by stages that know
    them (fuzz); ``detail`` keeps saying everything in text for people and older readers.
    """

    stage: str
    integration: str
    severity: Severity = Severity.ERROR
    title: str
    detail: str = ""
    reproduce: str | None = None
    #: Short and stable across runs (integration, stage, operation, check, cause): name it to
    #: ``interlock replay``. Filled in when empty.
    id: str = ""
    #: The check's code (ST105, IL101) and name (content_type_conformance).
    code: str | None = None
    check: str | None = None
    #: The operation it concerns ("POST /payments").
    operation: str | None = None
    #: What makes two findings of the same check on the same operation the same problem.
    cause: str | None = None
    #: The request that failed, and the ones sent before it in the same scenario, in order.
    request: RecordedRequest | None = None
    chain: list[RecordedRequest] = Field(default_factory=list)
    response: RecordedResponse | None = None
    seed: int | None = None

    @model_validator(mode="after")
    def _stable_id(self) -> Finding:
        if not self.id:
            self.id = finding_id(
                self.integration, self.stage, self.operation or "", self.check or "", self.cause or self.title
            )
        return self


def finding_id(integration: str, stage: str, operation: str, check: str, cause: str) -> str:
    """Eight hex digits of a hash of what identifies a finding; the same problem gets the same id."""
    key = "\x1f".join((integration, stage, operation, check, cause))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


class CheckAttempt(BaseModel):
    """One measurement of a check that was confirmed by a re-run (see ``core.confirmation``)."""

    #: 1 is the first run, 2 the first confirmation, ...
    attempt: int
    status: Status
    duration_s: float = 0.0
    #: What was measured (``run: p(95) = 412ms, expected < 300ms``).
    message: str = ""
    #: The titles of the attempt's findings: why it failed.
    findings: list[str] = Field(default_factory=list)


class CheckResult(BaseModel):
    """One verified thing (a pact interaction, a fault, ...): one JUnit testcase."""

    name: str
    status: Status
    duration_s: float = 0.0
    message: str = ""
    findings: list[Finding] = Field(default_factory=list)
    #: What the check measured, by registered metric name (``p(95)`` in ms, ``error_rate``,
    #: ``amplification``, ``recovery_s``): the run history keeps these to draw trends.
    figures: dict[str, float] = Field(default_factory=dict)
    #: Failed, then passed on a confirmation re-run: passed with a warning (failed under
    #: ``strict_flaky``). Every report shows it with each attempt's measurement.
    flaky: bool = False
    #: Every measurement, when the check failed on a timing gate and was re-run; else empty.
    attempts: list[CheckAttempt] = Field(default_factory=list)


def warning_check(stage: str, integration: str, name: str, text: str) -> CheckResult:
    """A passed check carrying one warning: shown in every report, never failing a gate."""
    return CheckResult(
        name=name,
        status=Status.PASSED,
        message=text,
        findings=[Finding(stage=stage, integration=integration, severity=Severity.WARNING, title=text)],
    )


class StageResult(BaseModel):
    """One stage run against one integration."""

    stage: str
    integration: str
    duration_s: float = 0.0
    checks: list[CheckResult] = Field(default_factory=list)
    #: Set when the stage could not run to the end (a tool crashed, a file was unusable).
    error: str | None = None
    skipped_reason: str | None = None
    #: Raw artefacts of the stage, relative to the run directory.
    artefacts: list[str] = Field(default_factory=list)
    #: The signal that stopped the stage while it ran; its checks are what it had finished by then.
    interrupted_by: int | None = None
    #: What the stage measured as a whole (fuzz: ``fuzz_coverage``), as :attr:`CheckResult.figures`.
    figures: dict[str, float] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot see pydantic's decorator over a property
    @property
    def status(self) -> Status:
        if self.interrupted_by is not None:
            return Status.INTERRUPTED
        if self.error is not None:
            return Status.ERROR
        if self.skipped_reason is not None and not self.checks:
            return Status.SKIPPED
        return worst([c.status for c in self.checks], default=Status.PASSED)

    @property
    def findings(self) -> list[Finding]:
        return [f for check in self.checks for f in check.findings]


class IntegrationVerdict(BaseModel):
    """All stages of one consumer -> provider integration, folded into one status."""

    integration: str
    #: None for a provider-only integration.
    consumer: str | None = None
    provider: str
    stages: list[StageResult] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot see pydantic's decorator over a property
    @property
    def status(self) -> Status:
        return worst([s.status for s in self.stages])

    @property
    def findings(self) -> list[Finding]:
        return [f for stage in self.stages for f in stage.findings]


class RunVerdict(BaseModel):
    """The whole run: what was asked, what happened, and the one exit code it implies."""

    run_id: str
    tool_version: str
    manifest: str
    profile: str
    stages: list[str]
    started_at: datetime
    finished_at: datetime | None = None
    integrations: list[IntegrationVerdict] = Field(default_factory=list)
    #: Why the run could not complete (a service did not start); set together with exit 3.
    error: str | None = None
    #: The signal number that interrupted the run, if any.
    interrupted_by: int | None = None

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot see pydantic's decorator over a property
    @property
    def interrupted(self) -> bool:
        return self.interrupted_by is not None

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot see pydantic's decorator over a property
    @property
    def duration_s(self) -> float:
        if self.finished_at is None:
            return 0.0
        return round((self.finished_at - self.started_at).total_seconds(), 3)

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot see pydantic's decorator over a property
    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        if self.error is not None:
            return Status.ERROR.value
        return worst([i.status for i in self.integrations]).value

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot see pydantic's decorator over a property
    @property
    def flaky(self) -> int:
        """How many checks failed once and passed on confirmation (each also carries a warning)."""
        return sum(check.flaky for check in self.checks())

    def checks(self) -> list[CheckResult]:
        """Every check of the run, in report order."""
        return [c for i in self.integrations for s in i.stages for c in s.checks]

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot see pydantic's decorator over a property
    @property
    def exit_code(self) -> int:
        """Interrupted > could not complete (3) > a gate failed (1) > passed (0)."""
        if self.interrupted_by is not None:
            return ExitCode.INTERRUPTED_BASE + self.interrupted_by
        status = self.status
        if status in (Status.ERROR, Status.INTERRUPTED):
            return ExitCode.INCOMPLETE
        if status == Status.FAILED:
            return ExitCode.GATE_FAILED
        return ExitCode.PASSED

    def integration(self, name: str) -> IntegrationVerdict:
        return next(i for i in self.integrations if i.integration == name)
