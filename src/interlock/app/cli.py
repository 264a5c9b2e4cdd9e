"""The ``interlock`` command line.

Errors never show a traceback: bad input is one line on stderr and exit 2, a run that could not
complete is exit 3 with the reason, and a gate failure is exit 1 with the report's path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from interlock import __version__
from interlock.app import pipeline
from interlock.app.commands import history as history_cli
from interlock.app.commands.confirm_options import confirm_options
from interlock.app.commands.init import init as init_command
from interlock.app.commands.replay import replay as replay_command
from interlock.app.reporting import show_verdict
from interlock.app.run_options import PROFILES, RunOptions
from interlock.app.stages import STAGE_ENTRIES
from interlock.core.console import Output
from interlock.core.entry import run_command

EPILOG = """\b
Exit codes:
  0  every gate passed
  1  a gate failed (see reports/latest/summary.md)
  2  bad input: manifest, pact or other file, or command line
  3  the run could not complete (a service did not start, a tool crashed)
  130/143  interrupted by Ctrl-C / SIGTERM (the report is still written)
"""


_SANDBOX_META = "interlock.sandbox"


def _remember_sandbox(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_SANDBOX_META] = True


def _common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--manifest",
            "-m",
            type=click.Path(path_type=Path, dir_okay=False),
            default=Path("interlock.yaml"),
            show_default=True,
            help="The manifest: services to start and integrations to verify.",
        ),
        click.option(
            "--only",
            multiple=True,
            metavar="INTEGRATION",
            help="Verify only this integration (repeat or comma-separate for several).",
        ),
        click.option(
            "--report-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=Path("reports"),
            show_default=True,
            help="Where reports/<run-id>/ and reports/latest are written.",
        ),
        click.option(
            "--sandbox",
            is_flag=True,
            expose_value=False,  # read by _run, so the commands' signatures stay as they are
            callback=_remember_sandbox,
            help="Run in a private network namespace with only loopback (Linux), so nothing the run"
            " starts can reach another host. Also `sandbox: true` in the manifest.",
        ),
        click.option(
            "--plain/--rich",
            "plain",
            default=None,
            help="Plain log lines or rich terminal output (default: rich on a terminal, plain in CI).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG
)
@click.version_option(__version__, "--version", prog_name="interlock", message="%(prog)s %(version)s")
def cli() -> None:
    """interlock verifies every service integration before release: consumer-driven contracts
    (Pact), OpenAPI fuzzing, fault injection and load, folded into one verdict per integration.

    Start with `interlock verify` in a directory with an interlock.yaml.
    """


@cli.command(epilog=EPILOG)
@_common_options
@history_cli.version_options
@click.option(
    "--stages",
    default="all",
    show_default=True,
    metavar="LIST",
    help=f"Comma-separated stages to run: {', '.join(pipeline.STAGES)}"
    + (f" ({', '.join(pipeline.PLANNED_STAGES)}: planned)." if pipeline.PLANNED_STAGES else "."),
)
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="ci",
    show_default=True,
    help="ci: budgets sized for a pipeline gate; full: pre-release depth (longer fuzz, load and soak).",
)
@confirm_options
def verify(
    manifest: Path,
    only: tuple[str, ...],
    report_dir: Path,
    plain: bool | None,
    stages: str,
    profile: str,
    confirm: int | None,
    strict_flaky: bool | None,
) -> int:
    """Run the gate: start the services, run every stage for every integration, write reports.

    Reports go to REPORT_DIR/<run-id>/ (verdict.json, junit.xml, summary.md, report.html,
    service logs and each stage's raw artefacts), and REPORT_DIR/latest points at the newest run.
    """
    options = RunOptions(
        manifest, [stages], only, profile, report_dir, confirm=confirm, strict_flaky=strict_flaky
    )
    return _run(options, plain)


for _command in history_cli.COMMANDS:
    cli.add_command(_command)
cli.add_command(replay_command)
cli.add_command(init_command)

from interlock.proxy.cli import proxy as _proxy_commands  # noqa: E402 - the proxy's own command group

cli.add_command(_proxy_commands)


def _run(options: RunOptions, plain: bool | None) -> int:
    if click.get_current_context().meta.get(_SANDBOX_META):
        options = replace(options, sandbox=True)
    output = Output(plain=plain)
    outcome = pipeline.run(options, output)
    verdict = outcome.verdict
    if verdict.error:
        click.echo(f"interlock: the run could not complete: {verdict.error}", err=True)
    show_verdict(verdict, outcome.run_dir, output)
    return verdict.exit_code


for _entry in STAGE_ENTRIES:  # each stage's own command: `interlock contracts`, `interlock fuzz`, ...
    if _entry.command is not None:
        cli.add_command(_entry.command(_common_options, _run, EPILOG))


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: every failure mode ends in one line on stderr and a documented exit code."""
    run_command(cli, argv, "interlock")
