"""The child that runs interlock's CLI on one input file after another, under a memory limit.

Started by tests/app/test_input_fuzzing.py with RLIMIT_AS set; reads one JSON request per line
(``{"argv": [...], "timeout_s": N}``) and answers one JSON line: the exit code, stdout,
stderr, and whether anything escaped the CLI (a traceback, a timeout, running out of memory).
One process for many files: importing interlock takes most of a second, a run a few ms.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import sys
import time
import traceback
from types import FrameType


class _TimedOut(BaseException):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _TimedOut


def _judge(argv: list[str], timeout_s: float) -> dict[str, object]:
    from interlock.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: object = None
    escaped = ""
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(argv)
    except SystemExit as exc:
        code = exc.code
    except _TimedOut:
        escaped = f"did not finish within {timeout_s:g}s"
    except MemoryError:
        escaped = "MemoryError (over the memory limit)"
    except BaseException:
        escaped = traceback.format_exc()[-3000:]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return {
        "code": code,
        "stdout": out.getvalue()[:2000],
        "stderr": err.getvalue()[:5000],
        "escaped": escaped,
        "elapsed_s": round(time.monotonic() - started, 3),
    }


def main() -> None:
    signal.signal(signal.SIGALRM, _alarm)
    from interlock.app import cli  # noqa: F401  # imported once, before the first file

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        answer = _judge(request["argv"], request["timeout_s"])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
