"""Real servers for fabric tests: a tiny provider on loopback, a separate fault-proxy process, and the
real Toxiproxy binary where it is present."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from interlock.core import processes
from interlock.core.health import NotReady, wait_ready
from interlock.core.services import free_port
from tests.helpers import REPO
from tests.real_toxiproxy import real_toxiproxy


class _Provider(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(200, {"ok": True})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer(201, {"created": self.path, "key": self.headers.get("Idempotency-Key")})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def tiny_provider() -> Iterator[str]:
    """An HTTP/1.1 provider on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def separate_proxy_server(log: Path) -> Iterator[str]:
    """``interlock proxy serve`` in its own process: stands in for a real Toxiproxy server."""
    port = free_port()
    process = processes.spawn(
        [sys.executable, "-m", "interlock", "proxy", "serve", "--host", "127.0.0.1", "--port", str(port)],
        log_path=log,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url, "/version", timeout_s=20, process=process, max_interval_s=0.05)
        except NotReady as exc:
            raise RuntimeError(f"the proxy server {exc}: {log.read_text()}") from None
        yield url
    finally:
        processes.stop([process], grace_s=2)


#: What ``TOXIPROXY_URL`` can name in a test: interlock's own server as a stand-in, or the real one.
TOXIPROXY_SERVERS = ("stand-in", "toxiproxy-2.12.0")


@contextmanager
def toxiproxy_server(kind: str, log: Path) -> Iterator[str]:
    """A Toxiproxy server of ``kind`` (one of :data:`TOXIPROXY_SERVERS`); yields its API URL.

    The real binary is skipped where absent (a user's clone), like ``tests/proxy``.
    """
    start = separate_proxy_server if kind == "stand-in" else real_toxiproxy
    with start(log) as url:
        yield url
