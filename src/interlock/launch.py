"""The ``interlock`` command's first frame: Ctrl-C or SIGTERM at any moment is one line, never a traceback.

Importing the CLI loads every stage and its libraries (about half a second). A signal during
that import, before :func:`interlock.core.entry.run_command` has its handlers in place, used to
print Python's KeyboardInterrupt traceback. This module imports nothing heavy itself, so it is
in place from the first milliseconds: a signal before the command runs ends the process with
``interlock: interrupted`` and 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM).
"""

# Only what CPython has loaded before any of our code runs: ``signal`` (it imports enum) or
# ``typing`` or ``__future__`` would each widen the window in which a signal still means a traceback.
import _signal  # type: ignore[import-not-found]  # signal's C core: typeshed has no stub for it
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import NoReturn

_SIGINT, _SIGTERM = _signal.SIGINT, _signal.SIGTERM


class _StartupInterrupted(BaseException):
    def __init__(self, signum: int) -> None:
        self.signum = signum


def _stop_starting(signum: int, _frame: "FrameType | None") -> None:
    raise _StartupInterrupted(signum)


def main() -> "NoReturn":
    """Import and run the CLI; a signal before it starts is one line and exit 128 + its number."""
    previous = {
        sig: _signal.signal(sig, _stop_starting)
        for sig in (_SIGINT, _SIGTERM)
        if _signal.getsignal(sig) != _signal.SIG_IGN  # a parent that ignores it (nohup, &) is obeyed
    }
    try:
        from interlock.app.cli import main as cli_main

        for sig, handler in previous.items():  # the command's own handling from here on
            _signal.signal(sig, handler)
    except _StartupInterrupted as exc:
        _interrupted(exc.signum)
    except KeyboardInterrupt:  # the first instant, before our handler was installed
        _interrupted(_SIGINT)
    try:
        cli_main()
    except KeyboardInterrupt:  # between handing over and the command's own try (run_command)
        _interrupted(_SIGINT)


def _interrupted(signum: int) -> "NoReturn":
    sys.stderr.write("interlock: interrupted\n")
    sys.stderr.flush()
    sys.exit(128 + signum)
