"""Show and save the judged changes of a spec diff: a rich table, JSON and Markdown."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from interlock.core.redact import redact_data
from interlock.core.verdict import Severity
from interlock.openapi.impact import JudgedChange

JSON_FILE = "spec-diff.json"
MARKDOWN_FILE = "spec-diff.md"
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
_MARK = {Severity.ERROR: "✗ error", Severity.WARNING: "! warning", Severity.INFO: "· info"}


@dataclass(frozen=True)
class DiffReport:
    provider: str
    base: str
    head: str
    changes: list[JudgedChange]

    @property
    def ordered(self) -> list[JudgedChange]:
        return sorted(self.changes, key=lambda j: (_ORDER[j.severity], j.change.operation, j.change.rule))

    def count(self, severity: Severity) -> int:
        return sum(j.severity == severity for j in self.changes)

    @property
    def summary(self) -> str:
        errors, warnings, infos = (self.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO))
        return (
            f"{len(self.changes)} change(s) to the spec of {self.provider}: {errors} breaking a consumer"
            f" (error), {warnings} warning(s), {infos} info"
        )

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = redact_data(
            {
                "provider": self.provider,
                "base": self.base,
                "head": self.head,
                "counts": {s.value: self.count(s) for s in Severity},
                "changes": [
                    {
                        "severity": j.severity.value,
                        "level": j.change.level.value,
                        "rule": j.change.rule,
                        "operation": j.change.operation,
                        "pointer": j.change.pointer,
                        "message": j.change.message,
                        "consumers": [
                            {
                                "consumer": u.consumer,
                                "interaction": u.interaction,
                                "pact": u.pact,
                                "why": u.why,
                            }
                            for u in j.uses
                        ],
                    }
                    for j in self.ordered
                ],
            }
        )
        return data


def print_table(report: DiffReport, console: Console) -> None:
    console.print(f"{escape(report.provider)}: {escape(report.base)} -> {escape(report.head)}")
    if not report.changes:
        console.print("no changes", style="green")
        return
    if not console.is_terminal:  # a log has no width: fold nothing, so every line can be searched
        console.width = 1000
    table = Table(show_lines=True, expand=False)
    for column in ("severity", "change", "where", "what", "consumers that depend on it"):
        table.add_column(column, overflow="fold")
    for judged in report.ordered:
        change = judged.change
        uses = "\n".join(f"{u} ({u.why})" for u in judged.uses) or "-"
        table.add_row(
            _MARK[judged.severity],
            f"{change.rule}\n({change.level.value})",
            f"{change.operation}\n{change.pointer}",
            change.message,
            uses,
            style=_STYLE[judged.severity],
        )
    console.print(table)
    console.print(report.summary, style=_STYLE[Severity.ERROR] if report.count(Severity.ERROR) else None)


def render_markdown(report: DiffReport) -> str:
    lines = [
        f"# interlock spec diff: {report.provider}",
        "",
        f"`{report.base}` -> `{report.head}`",
        "",
        report.summary,
        "",
        "| severity | change | where | what | consumers that depend on it |",
        "|---|---|---|---|---|",
    ]
    for judged in report.ordered:
        change = judged.change
        uses = "<br>".join(_cell(f"{u} ({u.why})") for u in judged.uses) or "-"
        lines.append(
            f"| {judged.severity.value} | `{change.rule}` ({change.level.value}) | "
            f"`{change.operation}` `{change.pointer}` | {_cell(change.message)} | {uses} |"
        )
    return "\n".join(lines) + "\n"


def write_report(report: DiffReport, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        (JSON_FILE, json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"),
        (MARKDOWN_FILE, render_markdown(report)),
    ):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
