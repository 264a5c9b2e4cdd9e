"""Every way a command can end maps to one stderr line and a documented exit code."""

from __future__ import annotations

import click
import pytest

from interlock.core.entry import run_command
from interlock.core.errors import ConfigError, ExitCode, RunIncomplete


@click.group()
def tool() -> None:
    """A stand-in CLI."""


@tool.command()
@click.option("--count", type=int, required=True)
@click.option("--fail", type=click.Choice(["config", "incomplete", "ctrl-c", "click", "code"]))
def run(count: int, fail: str | None) -> int:
    if fail == "config":
        raise ConfigError("unknown key 'x'", "interlock.yaml", 4)
    if fail == "incomplete":
        raise RunIncomplete("payments did not start")
    if fail == "ctrl-c":
        raise KeyboardInterrupt
    if fail == "click":
        raise click.ClickException("bad\n   value")
    return count if fail == "code" else 0


def ends(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as raised:
        run_command(tool, argv, "tool")
    return int(raised.value.code or 0), capsys.readouterr().err.strip()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["run", "--count", "1"], ExitCode.PASSED, ""),
        (["run", "--count", "5", "--fail", "code"], 5, ""),
        (
            ["run", "--count", "1", "--fail", "config"],
            ExitCode.USAGE,
            "tool: interlock.yaml:4: unknown key 'x'",
        ),
        (
            ["run", "--count", "1", "--fail", "incomplete"],
            ExitCode.INCOMPLETE,
            "tool: payments did not start",
        ),
        (["run", "--count", "1", "--fail", "ctrl-c"], 130, "tool: interrupted"),
        (["run", "--count", "1", "--fail", "click"], ExitCode.USAGE, "tool: error: bad value"),
    ],
)
def test_outcomes(argv: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert ends(argv, capsys) == (code, message)


def test_usage_errors_point_at_the_subcommands_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, message = ends(["run", "--count", "many"], capsys)
    assert code == ExitCode.USAGE
    assert message.startswith("tool: error: Invalid value for '--count'")
    assert message.endswith("(see 'tool run --help')")
    assert "\n" not in message


def test_usage_errors_of_the_group_point_at_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, message = ends(["nope"], capsys)
    assert code == ExitCode.USAGE
    assert message.startswith("tool: error: No such command 'nope'")
    assert message.endswith("(see 'tool --help')")
