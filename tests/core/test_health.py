"""The readiness wait against real HTTP servers on loopback (a thread, or a child process)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from interlock.core import processes
from interlock.core.health import NotReady, wait_ready
from interlock.core.services import free_port


@contextmanager
def server_answering(statuses: list[int]) -> Iterator[tuple[str, list[str]]]:
    """A loopback server answering ``statuses`` in turn (the last one from then on)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(statuses[min(len(seen), len(statuses)) - 1])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_waits_through_non_2xx_answers_until_ready() -> None:
    with server_answering([503, 503, 404, 204]) as (url, seen):
        wait_ready(url, "/health", timeout_s=10)
    assert seen == ["/health"] * 4


def test_the_last_answer_is_named_when_the_deadline_passes() -> None:
    with server_answering([503]) as (url, _seen), pytest.raises(NotReady) as failed:
        wait_ready(url, "/health", timeout_s=0.5)
    assert str(failed.value) == "did not become healthy within 0.5s (GET /health answered 503)"
    assert failed.value.exit_code is None


def test_nothing_listening_is_a_connection_error_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(NotReady, match=r"within 0.3s \(GET /version: ConnectError\)"):
        wait_ready(f"http://127.0.0.1:{free_port()}", "/version", timeout_s=0.3)
    assert time.monotonic() - started < 2


@pytest.mark.slow
def test_a_process_that_dies_is_noticed_before_the_deadline() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])
    started = time.monotonic()
    with pytest.raises(NotReady) as failed:
        wait_ready(f"http://127.0.0.1:{free_port()}", "/health", timeout_s=60, process=process)
    assert time.monotonic() - started < 10
    assert str(failed.value) == "exited with code 3 before it became healthy"
    assert failed.value.exit_code == 3


@pytest.mark.slow
def test_a_child_server_becomes_ready(tmp_path: Path) -> None:
    port = free_port()
    process = processes.spawn(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        log_path=tmp_path / "server.log",
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", "/", timeout_s=30, process=process)
        assert process.poll() is None
    finally:
        processes.stop([process])
