"""Fixtures for the fault proxy tests: the server under test (a real child process) and real upstreams.

Every test talks to the server over real sockets: the API over HTTP, traffic over TCP. A test that
takes ``server`` (or ``api``/``http``) runs twice: against the embedded server and against the real
Toxiproxy 2.12.0 binary (``tests/real_toxiproxy.py``; skipped when absent), so the embedded one is
held to what the real one does. A test of an interlock-only extension (``http_error``,
observations, credentials, ...) is marked ``@pytest.mark.embedded_only`` and runs once.
The embedded server is shared by the session, the real one by a module; both are cleaned after
each test (every proxy deleted), so tests stay fast.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from interlock.proxy.client import ProxyClient
from interlock.proxy.process import EmbeddedProxy
from tests.real_toxiproxy import real_toxiproxy

EMBEDDED = "embedded"
REAL = "toxiproxy"


@dataclass(frozen=True)
class ApiServer:
    """The server a test drives: which one (``kind``), its API URL and its log."""

    kind: str
    url: str
    log_path: Path

    @property
    def real(self) -> bool:
        return self.kind == REAL

    def client(self) -> ProxyClient:
        return ProxyClient(self.url)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test using the server runs on both servers, unless it is marked ``embedded_only``."""
    if "server" in metafunc.fixturenames:
        only_embedded = metafunc.definition.get_closest_marker("embedded_only") is not None
        metafunc.parametrize("server", [EMBEDDED] if only_embedded else [EMBEDDED, REAL], indirect=True)


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    log = tmp_path_factory.mktemp("proxy") / "proxy.log"
    with EmbeddedProxy(log, seed=7) as proxy:
        yield ApiServer(EMBEDDED, proxy.url, log)


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """One real Toxiproxy per test module (it starts in milliseconds; a module keeps CI cheap)."""
    log = tmp_path_factory.mktemp("toxiproxy") / "toxiproxy.log"
    with real_toxiproxy(log) as url:
        yield ApiServer(REAL, url, log)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> ApiServer:
    name = "real_server" if request.param == REAL else "embedded_server"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def api(server: ApiServer) -> Iterator[ProxyClient]:
    with server.client() as client:
        yield client
        for name in list(client.proxies()):
            client.delete_proxy(name)


@pytest.fixture
def http(server: ApiServer, api: ProxyClient) -> Iterator[httpx.Client]:
    """Raw HTTP to the API, with a curl-like User-Agent (not a browser)."""
    with httpx.Client(
        base_url=server.url, timeout=10, headers={"User-Agent": "curl/8.0"}, verify=False
    ) as client:
        yield client


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while True:
            try:
                data = self.request.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.request.sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="session")
def echo_upstream() -> Iterator[str]:
    """``host:port`` of a TCP echo server."""
    server = _Server(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Http(BaseHTTPRequestHandler):
    """A keep-alive HTTP/1.1 provider: every method answers 200 with a small JSON body."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status = 201 if self.command == "POST" else 200
        body = b'{"ok":true}' if self.command != "HEAD" else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "11")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def http_upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Http)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def address(listen: str) -> tuple[str, int]:
    host, port = listen.rsplit(":", 1)
    return host.strip("[]"), int(port)


def connect(listen: str, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(address(listen), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def log_of(server: ApiServer) -> str:
    return Path(server.log_path).read_text()


def read_response(sock: socket.socket) -> bytes:
    """Exactly one HTTP response with a Content-Length body (providers may write it in pieces)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
    return head + b"\r\n\r\n" + body + recv_exactly(sock, length - len(body))
