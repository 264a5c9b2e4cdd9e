"""The embedded proxy server as a child process, for stages and tests.

``with EmbeddedProxy(log_path) as proxy:`` spawns ``python -m interlock.proxy serve`` on a free
port through :mod:`interlock.core.processes` (own process group, dies with interlock), waits for
``GET /version`` and stops it on exit. ``proxy.url`` is what ``TOXIPROXY_URL`` would hold and
``proxy.client()`` a :class:`ProxyClient` for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from interlock.core import processes
from interlock.core.errors import RunIncomplete
from interlock.core.services import free_port, log_tail
from interlock.proxy.client import ProxyClient

START_TIMEOUT_S = 15.0
_BIND_RETRIES = 3


class EmbeddedProxy:
    """A running ``interlock proxy serve`` child; use as a context manager."""

    def __init__(
        self,
        log_path: Path | None = None,
        *,
        seed: int | None = None,
        config: Path | None = None,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
    ) -> None:
        self.log_path = log_path or Path(tempfile.mkdtemp(prefix="interlock-proxy-")) / "proxy.log"
        self.seed = seed
        self.config = config
        self.host = host
        self.env = env
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self) -> ProxyClient:
        return ProxyClient(self.url)

    def start(self) -> EmbeddedProxy:
        """Spawn and wait until the API answers. A port taken in the bind race is retried."""
        for _attempt in range(_BIND_RETRIES):
            self.port = free_port()
            argv = [
                sys.executable,
                "-m",
                "interlock.proxy",
                "serve",
                "--host",
                self.host,
                "--port",
                str(self.port),
            ]
            if self.seed is not None:
                argv += ["--seed", str(self.seed)]
            if self.config is not None:
                argv += ["--config", str(self.config)]
            env = {**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})}
            self.process = processes.spawn(argv, log_path=self.log_path, env=env)
            if self._wait_ready():
                return self
            code = self.process.poll()
            self.stop()
            if code != 2:  # 2 is "port in use": try another port
                break
        raise RunIncomplete(
            f"the embedded fault proxy did not start\n--- last lines of {self.log_path} ---\n"
            + log_tail(self.log_path)
        )

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                try:
                    if http.get(self.url + "/version").status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """SIGTERM (the server closes every listener and connection), then SIGKILL after a grace period."""
        if self.process is not None:
            processes.stop([self.process], grace_s=5.0)
            self.process = None

    def __enter__(self) -> EmbeddedProxy:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
