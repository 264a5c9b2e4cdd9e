"""Shared helpers for tests that run interlock and real services."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interlock.core.health import NotReady, wait_ready
from interlock.core.services import free_port
from interlock.history.recording import interaction_key
from interlock.history.store import HOME_ENV, InteractionOutcome, Store, Verification, pact_sha
from interlock.pacts.pactfile import load_pact

REPO = Path(__file__).resolve().parent.parent


def interlock(
    *args: str,
    cwd: Path = REPO,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, as a user or CI would.

    Each call gets its own empty verification store unless ``env`` names one (INTERLOCK_HOME), so
    tests neither read nor fill the developer's ``.interlock/``.
    """
    isolated = {HOME_ENV: tempfile.mkdtemp(prefix="interlock-home-")}
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true", **isolated, **(env or {})},
    )


def established(home: Path, *pacts: Path, branch: str = "main", passed: bool = True) -> dict[str, str]:
    """A store where every interaction of ``pacts`` once passed on the provider's ``branch``.

    On ``main`` that makes them gate (no longer pending), as they would after the first green
    build. With ``passed=False`` there is history on ``branch`` but none of them ever passed, so
    they are pending. Returns the environment that points interlock at the store.
    """
    with Store(home) as store:
        for path in pacts:
            pact = load_pact(path)
            outcomes = [
                InteractionOutcome(
                    interaction_key(pact.consumer, pact.provider, i), i.description, passed, False
                )
                for i in pact.interactions
            ]
            store.record_verification(
                Verification(
                    pact.consumer,
                    "earlier",
                    "main",
                    pact.provider,
                    "earlier",
                    branch,
                    pact_sha(path.read_bytes()),
                    passed,
                    "",
                ),
                outcomes,
            )
    return {HOME_ENV: str(home)}


def processes_of_run(run_id: str) -> list[int]:
    """PIDs of live processes that interlock started for ``run_id`` (it sets INTERLOCK_RUN_ID)."""
    marker = f"INTERLOCK_RUN_ID={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@contextmanager
def running(app: str) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port until the block ends."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url, "/openapi.json", timeout_s=20, process=proc, max_interval_s=0.05)
        except NotReady as exc:
            raise AssertionError(f"{app} {exc}") from None
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def read_until(proc: subprocess.Popen[str], marker: str, timeout_s: float = 60) -> tuple[list[str], str]:
    """Read a plain-output run's lines until one contains ``marker``; returns them and the run id.

    Fails the test (with what was seen) when the process ends or the time runs out first.
    """
    seen: list[str] = []
    run_id = ""
    deadline = time.monotonic() + timeout_s
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if match := re.search(r"run (\d{8}-\d{6}-[0-9a-f]{4})", line):
            run_id = match.group(1)
        if marker in line:
            return seen, run_id
    pytest.fail(f"never saw {marker!r}:\n" + "".join(seen))


@functools.cache
def sandbox_available() -> bool:
    """Whether this machine lets interlock create a private network namespace (``--sandbox``).

    Asked of a child process, which enters one for real and ends: the test process stays where it is.
    """
    probe = "from interlock.core.sandbox import enter_sandbox; enter_sandbox()"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30).returncode == 0


def sandbox_args() -> list[str]:
    """``["--sandbox"]`` where it is available, so a test that starts services runs sandboxed there."""
    return ["--sandbox"] if sandbox_available() else []


def require_sandbox() -> None:
    if not sandbox_available():
        pytest.skip("no private network namespace here (unshare(CLONE_NEWNET) refused)")
