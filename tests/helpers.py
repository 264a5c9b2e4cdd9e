"""Shared helpers for tests that run interlock and real services."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from interlock.contracts.pactfile import load_pact
from interlock.history.recording import interaction_key
from interlock.history.store import HOME_ENV, InteractionOutcome, Store, Verification, pact_sha

REPO = Path(__file__).resolve().parent.parent


def interlock(*args: str, cwd: Path = REPO, timeout: float = 120, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, as a user or CI would.

    Each call gets its own empty verification store unless ``env`` names one (INTERLOCK_HOME), so
    tests neither read nor fill the developer's ``.interlock/``.
    """
    isolated = {HOME_ENV: tempfile.mkdtemp(prefix="interlock-home-")}
    return subprocess.run([sys.executable, "-m", "interlock", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PACT_DO_NOT_TRACK": "true", **isolated, **(env or {})})


def established(home: Path, *pacts: Path, branch: str = "main", passed: bool = True) -> dict[str, str]:
    """A store where every interaction of ``pacts`` once passed on the provider's ``branch``.

    On ``main`` that makes them gate (no longer pending), as they would after the first green
    build. With ``passed=False`` there is history on ``branch`` but none of them ever passed, so
    they are pending. Returns the environment that points interlock at the store.
    """
    with Store(home) as store:
        for path in pacts:
            pact = load_pact(path)
            outcomes = [InteractionOutcome(interaction_key(pact.consumer, pact.provider, i), i.description, passed, False)
                        for i in pact.interactions]
            store.record_verification(Verification(pact.consumer, "earlier", "main", pact.provider, "earlier", branch,
                                                   pact_sha(path.read_bytes()), passed, ""), outcomes)
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
