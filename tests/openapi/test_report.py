"""A spec diff report: errors first, the same changes in the table, JSON and Markdown, redacted."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from interlock.core.redact import MASK
from interlock.core.verdict import Severity
from interlock.openapi.changes import Change, Level, Target
from interlock.openapi.impact import JudgedChange, Use
from interlock.openapi.report import (
    JSON_FILE,
    MARKDOWN_FILE,
    DiffReport,
    print_table,
    render_markdown,
    write_report,
)


def change(rule: str, operation: str, message: str, level: Level = Level.BREAKING) -> Change:
    return Change(
        rule, level, operation, message, "#/paths/~1payments/post", Target("POST", "/payments", "any")
    )


USE = Use(
    "checkout", "a request to charge an order", "contracts/pacts/checkout-payments.json", "reads status"
)
REPORT = DiffReport(
    "payments",
    "main",
    "HEAD",
    [
        JudgedChange(change("response-property-added", "POST /payments", "new | field"), Severity.INFO),
        JudgedChange(
            change("enum-value-removed", "POST /payments", "example Bearer abc123 removed"), Severity.WARNING
        ),
        JudgedChange(
            change("response-property-removed", "POST /payments", "status\nremoved"), Severity.ERROR, [USE]
        ),
        JudgedChange(change("operation-removed", "GET /payments/{id}", "gone"), Severity.ERROR),
    ],
)


def test_errors_come_first_then_by_operation_and_rule() -> None:
    assert [j.change.rule for j in REPORT.ordered] == [
        "operation-removed",
        "response-property-removed",
        "enum-value-removed",
        "response-property-added",
    ]
    assert [REPORT.count(s) for s in Severity] == [2, 1, 1]
    assert REPORT.summary == (
        "4 change(s) to the spec of payments: 2 breaking a consumer (error), 1 warning(s), 1 info"
    )


def test_json_holds_every_change_with_the_consumers_that_depend_on_it_redacted() -> None:
    data = REPORT.as_dict()
    assert (data["provider"], data["base"], data["head"]) == ("payments", "main", "HEAD")
    assert data["counts"] == {"error": 2, "warning": 1, "info": 1}
    removed = data["changes"][1]
    assert removed == {
        "severity": "error",
        "level": "breaking",
        "rule": "response-property-removed",
        "operation": "POST /payments",
        "pointer": "#/paths/~1payments/post",
        "message": "status\nremoved",
        "consumers": [
            {
                "consumer": "checkout",
                "interaction": "a request to charge an order",
                "pact": "contracts/pacts/checkout-payments.json",
                "why": "reads status",
            }
        ],
    }
    assert data["changes"][2]["message"] == f"example Bearer {MASK} removed"


def test_markdown_rows_escape_pipes_and_newlines() -> None:
    text = render_markdown(REPORT)
    lines = text.splitlines()
    assert lines[0] == "# interlock spec diff: payments"
    assert lines[2] == "`main` -> `HEAD`"
    rows = [line for line in lines if line.startswith(("| error", "| info"))]
    assert rows[1] == (
        "| error | `response-property-removed` (breaking) | `POST /payments` `#/paths/~1payments/post` |"
        " status removed | checkout: a request to charge an order (reads status) |"
    )
    assert rows[2].endswith("| new \\| field | - |")


def test_write_report_writes_json_and_markdown(tmp_path: Path) -> None:
    written = write_report(REPORT, tmp_path / "out")
    assert [p.name for p in written] == [JSON_FILE, MARKDOWN_FILE]
    assert json.loads(written[0].read_text())["counts"]["error"] == 2
    assert written[1].read_text() == render_markdown(REPORT)


def test_the_table_in_a_log_is_not_folded() -> None:
    stream = io.StringIO()
    print_table(REPORT, Console(file=stream, width=60))
    text = stream.getvalue()
    assert text.startswith("payments: main -> HEAD\n")
    assert "checkout: a request to charge an order (reads status)" in text  # one line, not folded
    assert text.rstrip().endswith(REPORT.summary)


def test_no_changes() -> None:
    stream = io.StringIO()
    print_table(DiffReport("payments", "a", "b", []), Console(file=stream))
    assert stream.getvalue() == "payments: a -> b\nno changes\n"
    assert DiffReport("payments", "a", "b", []).as_dict()["changes"] == []
