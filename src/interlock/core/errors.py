"""Errors that end a run, each tied to one of interlock's exit codes.

The CLI is the only place that turns these into exit codes and one-line messages; the engine
raises them and never prints or exits itself.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes (see DESIGN.md)."""

    PASSED = 0
    GATE_FAILED = 1
    USAGE = 2
    INCOMPLETE = 3
    #: Interrupted runs exit 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM).
    INTERRUPTED_BASE = 128


class InterlockError(Exception):
    """Base class for errors that end a run with a one-line message."""

    exit_code: ExitCode = ExitCode.INCOMPLETE


class ConfigError(InterlockError):
    """Bad input: a manifest, pact, spec or experiment file that cannot be used (exit 2).

    Rendered as ``path:line: message`` so editors and CI annotations can jump to the spot.
    """

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        message = _one_line(self.message)
        if self.path is None:
            return message
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {message}"


#: The longest message a ConfigError prints: one that quotes a value from a hostile file (a 5 MB
#: string where a name belongs) must still be one readable line.
MAX_MESSAGE_CHARS = 500


def _one_line(message: str) -> str:
    flat = " ".join(message.split()) if "\n" in message or "\r" in message else message
    return flat if len(flat) <= MAX_MESSAGE_CHARS else flat[: MAX_MESSAGE_CHARS - 1] + "…"


class UsageError(InterlockError):
    """A bad command line: unknown option, unknown integration or stage (exit 2)."""

    exit_code = ExitCode.USAGE


class RunIncomplete(InterlockError):
    """The run could not complete: a service did not start, a tool crashed (exit 3)."""

    exit_code = ExitCode.INCOMPLETE


class Interrupted(BaseException):
    """Raised in the main thread on SIGINT/SIGTERM so every ``finally`` runs.

    A BaseException (like KeyboardInterrupt) so that ``except Exception`` in stage code does
    not swallow it.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        #: What the stage that was running had measured: a ``StageResult`` it sets on the way out
        #: (typed loosely: errors sits below the verdict model), else the pipeline makes an empty one.
        self.partial: object | None = None
        super().__init__(f"interrupted by signal {signum}")
