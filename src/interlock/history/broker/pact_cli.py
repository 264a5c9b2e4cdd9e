"""Run the ``pact`` CLI (pact-python-cli): ``pact broker publish | can-i-deploy | record-deployment``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from interlock.core.errors import RunIncomplete
from interlock.history.broker.config import BrokerConfig

#: Broker calls are small; a broker that takes longer than this is treated as down.
TIMEOUT_S = 60.0


def pact_executable() -> str:
    """The ``pact`` binary next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "pact"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("pact")
    if found is None:
        raise RunIncomplete("the `pact` CLI is not installed (pip install pact-python-cli)")
    return found


def run_broker_command(config: BrokerConfig, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``pact broker COMMAND ARGS`` against ``config``; the caller reads the exit code and output."""
    argv = [pact_executable(), "broker", command, *config.cli_auth(), "--retries", "0", *args]
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env={**os.environ, "PACT_DO_NOT_TRACK": "true", "NO_COLOR": "1"},
        )
    except subprocess.TimeoutExpired:
        raise RunIncomplete(
            f"`pact broker {command}` did not answer within {TIMEOUT_S:g}s ({config.url})"
        ) from None
