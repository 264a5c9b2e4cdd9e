"""The real Toxiproxy 2.12.0 server, for running the same tests against it as against the embedded one.

The binary is a reference kept beside the repository (``../shared/toxiproxy/toxiproxy-server``) or
on ``PATH``; a user's clone has neither, so tests that need it skip. ``.ci/run`` puts the shared
directory on ``PATH`` when it exists, so CI runs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interlock.core import processes
from interlock.core.health import NotReady, wait_ready
from interlock.core.services import free_port
from tests.helpers import REPO

BINARY = "toxiproxy-server"
SHARED = REPO.parent / "shared" / "toxiproxy"
_BIND_RETRIES = 3


def toxiproxy_binary(name: str = BINARY) -> Path | None:
    """``../shared/toxiproxy/NAME`` beside the repository, else the one on ``PATH``."""
    shared = SHARED / name
    if shared.is_file() and os.access(shared, os.X_OK):
        return shared
    found = shutil.which(name)
    return Path(found) if found else None


def require_toxiproxy(name: str = BINARY) -> Path:
    """The binary (``toxiproxy-server`` or ``toxiproxy-cli``), or skip the calling test (a user's
    clone does not have it)."""
    binary = toxiproxy_binary(name)
    if binary is None:
        pytest.skip(f"the real Toxiproxy ({name}) is neither in {SHARED} nor on PATH")
    return binary


@contextmanager
def real_toxiproxy(log: Path) -> Iterator[str]:
    """A real ``toxiproxy-server`` on a free loopback port; yields its API URL."""
    binary = require_toxiproxy()
    for attempt in range(1, _BIND_RETRIES + 1):
        port = free_port()
        process = processes.spawn(
            [str(binary), "-host", "127.0.0.1", "-port", str(port)],
            log_path=log,
            env={**os.environ, "LOG_LEVEL": "info"},  # no per-request debug lines
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, "/version", timeout_s=10, process=process, max_interval_s=0.05)
        except NotReady as exc:
            processes.stop([process], grace_s=2)
            if exc.exit_code is None or attempt == _BIND_RETRIES:  # exited: most likely lost the port race
                raise RuntimeError(f"toxiproxy-server {exc}: {log.read_text()[-2000:]}") from None
            continue
        try:
            yield url
        finally:
            processes.stop([process], grace_s=2)
        return
