"""The embedded proxy server as a child process, for stages and tests.

``with EmbeddedProxy(log_path) as proxy:`` starts ``python -m interlock.proxy serve`` on a free
port through :func:`interlock.core.worker.start` (own process group, dies with interlock, log
kept), waits for ``GET /version`` with :func:`interlock.core.health.wait_ready` (the wait the
manifest's services use) and stops it on exit. ``proxy.url`` is what ``TOXIPROXY_URL`` would hold
and ``proxy.client()`` a :class:`ProxyClient` for it.

Unlike the stages' workers it takes no job file: it is a server configured by the same command
line as ``interlock proxy serve``, and it has no outcome, only a readiness.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from interlock.core import worker
from interlock.core.health import NotReady, wait_ready
from interlock.core.services import free_port
from interlock.proxy.client import ProxyClient

START_TIMEOUT_S = 15.0
_BIND_RETRIES = 3
#: ``interlock proxy serve`` exits with this when its port is taken (another process won the race).
_PORT_IN_USE = 2


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
        self._child: worker.Child | None = None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._child.process if self._child is not None else None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self) -> ProxyClient:
        return ProxyClient(self.url)

    def start(self) -> EmbeddedProxy:
        """Spawn and wait until the API answers. A port taken in the bind race is retried."""
        for attempt in range(1, _BIND_RETRIES + 1):
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
            child = self._child = worker.start(
                argv, log=self.log_path, what="the embedded fault proxy", env=self.env
            )
            try:
                wait_ready(
                    self.url,
                    "/version",
                    timeout_s=START_TIMEOUT_S,
                    process=child.process,
                    max_interval_s=0.05,
                    request_timeout_s=1.0,
                )
                return self
            except NotReady as exc:
                self.stop()
                if exc.exit_code != _PORT_IN_USE or attempt == _BIND_RETRIES:
                    raise child.failed(str(exc)) from None
            except BaseException:  # Ctrl-C while waiting: the caller never gets a proxy to stop
                self.stop()
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def stop(self) -> None:
        """SIGTERM (the server closes every listener and connection), then SIGKILL after a grace period."""
        if self._child is not None:
            self._child.stop(grace_s=5.0)
            self._child = None

    def __enter__(self) -> EmbeddedProxy:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
