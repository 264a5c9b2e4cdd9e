"""``ctrf.json``: the run verdict in the Common Test Report Format (https://ctrf.io), beside junit.xml.

CI dashboards and actions that read CTRF (github-actions-ctrf, ctrf-cli, ...) show an interlock
run like any test run: one test per check, its suite the integration and the stage. What JUnit
has no words for, CTRF has: a check confirmed by a re-run carries ``retries`` and
``retryAttempts`` (each attempt's status and measurement), and ``flaky: true`` when it failed and
then passed. Statuses map one to one, except ``error`` and ``interrupted``, which are CTRF's
``other`` with the interlock status in ``rawStatus``.

Written from the redacted verdict, like every report (see :func:`interlock.core.reports.write_reports`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from interlock.core.verdict import CheckResult, IntegrationVerdict, RunVerdict, StageResult, Status

CTRF_FILE = "ctrf.json"
#: The CTRF specification version the document follows (tests/fixtures/ctrf/ctrf.schema.json).
SPEC_VERSION = "1.0.0"
_STATUS = {
    Status.PASSED: "passed",
    Status.FAILED: "failed",
    Status.SKIPPED: "skipped",
    Status.ERROR: "other",
    Status.INTERRUPTED: "other",
}


def render_ctrf(verdict: RunVerdict) -> dict[str, Any]:
    """The CTRF document of ``verdict`` (a JSON-ready mapping)."""
    start = _ms(verdict.started_at)
    stop = _ms(verdict.finished_at) if verdict.finished_at else start
    tests = [
        test
        for integration in verdict.integrations
        for stage in integration.stages
        for test in _stage_tests(integration, stage)
    ]
    if verdict.error is not None or verdict.interrupted:
        message = verdict.error or f"interrupted by signal {verdict.interrupted_by}"
        tests.append(
            {
                "name": "run completed",
                "status": "other",
                "rawStatus": "interrupted" if verdict.interrupted else "error",
                "duration": 0,
                "suite": ["interlock"],
                "message": message.splitlines()[0] if message else "",
                "trace": message,
            }
        )
    summary: dict[str, Any] = {
        "tests": len(tests),
        **{status: sum(t["status"] == status for t in tests) for status in ("passed", "failed", "skipped")},
        "pending": 0,
        "other": sum(t["status"] == "other" for t in tests),
        "flaky": sum(bool(t.get("flaky")) for t in tests),
        "suites": len(verdict.integrations),
        "start": start,
        "stop": stop,
        "duration": max(0, stop - start),
    }
    return {
        "reportFormat": "CTRF",
        "specVersion": SPEC_VERSION,
        "reportId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"interlock:run:{verdict.run_id}")),
        "timestamp": (verdict.finished_at or verdict.started_at).isoformat(),
        "generatedBy": f"interlock {verdict.tool_version}",
        "results": {
            "tool": {"name": "interlock", "version": verdict.tool_version},
            "summary": summary,
            "tests": tests,
            "environment": {"reportName": f"interlock run {verdict.run_id}"},
            "extra": {
                "runId": verdict.run_id,
                "status": verdict.status,
                "exitCode": verdict.exit_code,
                "profile": verdict.profile,
                "stages": verdict.stages,
            },
        },
    }


def _stage_tests(integration: IntegrationVerdict, stage: StageResult) -> list[dict[str, Any]]:
    tests = [_check_test(integration, stage, check) for check in stage.checks]
    if stage.error is not None:
        tests.append(
            {
                "name": f"{stage.stage} stage",
                "status": "other",
                "rawStatus": stage.status.value,
                "duration": _duration_ms(stage.duration_s),
                "suite": [integration.integration, stage.stage],
                "message": stage.error.splitlines()[0] if stage.error else "",
                "trace": stage.error,
                **_labels(integration, stage),
            }
        )
    return tests


def _check_test(integration: IntegrationVerdict, stage: StageResult, check: CheckResult) -> dict[str, Any]:
    test: dict[str, Any] = {
        "name": check.name,
        "status": _STATUS[check.status],
        "duration": _duration_ms(check.duration_s),
        "suite": [integration.integration, stage.stage],
        **_labels(integration, stage),
    }
    if _STATUS[check.status] == "other":
        test["rawStatus"] = check.status.value
    if check.status != Status.PASSED or check.flaky:
        titles = [f.title for f in check.findings]
        test["message"] = "; ".join(titles) or check.message
        trace = "\n\n".join(
            "\n".join(filter(None, [f.title, f.detail, f"reproduce: {f.reproduce}" if f.reproduce else ""]))
            for f in check.findings
        )
        if trace:
            test["trace"] = trace
    elif check.message:
        test["stdout"] = [check.message]
    if check.attempts:
        test["retries"] = len(check.attempts) - 1
        test["flaky"] = check.flaky
        test["retryAttempts"] = [
            {
                "attempt": attempt.attempt,
                "status": _STATUS[attempt.status],
                "duration": _duration_ms(attempt.duration_s),
                "message": "; ".join(attempt.findings) or attempt.message,
            }
            for attempt in check.attempts
        ]
    return test


def _labels(integration: IntegrationVerdict, stage: StageResult) -> dict[str, Any]:
    labels: dict[str, Any] = {"integration": integration.integration, "stage": stage.stage}
    labels["provider"] = integration.provider
    if integration.consumer is not None:
        labels["consumer"] = integration.consumer
    return {"type": "integration", "tags": [stage.stage], "labels": labels}


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _duration_ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))
