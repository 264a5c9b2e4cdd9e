"""The can-i-deploy answer as a rich table, the same whether it came from the store or a broker."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table

from interlock.history.matrix import Decision, RowStatus

_STYLE = {
    RowStatus.VERIFIED: "green",
    RowStatus.FAILED: "red",
    RowStatus.UNVERIFIED: "yellow",
    RowStatus.MISSING: "yellow",
}


def render(decision: Decision, stream: IO[str], *, source: str) -> None:
    console = Console(file=stream, highlight=False, soft_wrap=True)
    table = Table(
        title=f"{decision.pacticipant} {decision.version} against {decision.target} ({source})",
        title_justify="left",
    )
    for column in ("consumer", "version", "provider", "version", "result", "verified at"):
        table.add_column(column)
    for row in decision.rows:
        table.add_row(
            row.consumer,
            row.consumer_version,
            row.provider,
            row.provider_version,
            f"[{_STYLE[row.status]}]{row.status.value}[/]",
            row.verified_at[:19].replace("T", " "),
        )
    if decision.rows:
        console.print(table)
    answer = "[bold green]yes[/]" if decision.deployable else "[bold red]no[/]"
    console.print(f"can-i-deploy: {answer}: {decision.reason}")
