"""Run a click command so that every failure mode ends in one line and a documented exit code.

Shared by ``interlock`` itself and by light entry points such as ``python -m interlock.proxy``,
which the chaos and load stages spawn: importing the whole CLI (every stage and its libraries)
would add most of a second to each fault proxy's start.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from interlock.core.errors import ExitCode, InterlockError


def run_command(command: click.Command, argv: Sequence[str] | None, prog_name: str) -> NoReturn:
    """Run ``command``; usage errors exit 2, interlock errors their own code, Ctrl-C 130."""
    try:
        code = command.main(
            args=list(argv) if argv is not None else None, prog_name=prog_name, standalone_mode=False
        )
    except click.UsageError as exc:
        name = exc.ctx.command_path if exc.ctx and exc.ctx.parent is not None else prog_name
        click.echo(
            f"{prog_name.split()[0]}: error: {' '.join(exc.format_message().split())} (see '{name} --help')",
            err=True,
        )
        sys.exit(ExitCode.USAGE)
    except click.ClickException as exc:
        click.echo(f"{prog_name.split()[0]}: error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(ExitCode.USAGE)
    except (click.Abort, KeyboardInterrupt):
        click.echo(f"{prog_name.split()[0]}: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED_BASE + 2)
    except InterlockError as exc:
        click.echo(f"{prog_name.split()[0]}: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
