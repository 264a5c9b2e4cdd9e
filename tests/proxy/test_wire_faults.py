"""interlock's connection- and protocol-level faults through the real embedded proxy: ``down`` (accept,
count, reset), ``auth_expiry`` (Bearer tokens seen before expire), and ``Retry-After`` as observed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from interlock.proxy.client import ProxyClient
from tests.proxy.test_http_faults import make, make_listen, wait_complete

#: down's accept-and-reset, auth_expiry and the observations are interlock's extensions (docs/proxy.md).
pytestmark = pytest.mark.embedded_only

TOKEN_A = "eyJhbGciOiJIUzI1NiJ9.token-a.signature-aaaaaaaaaaaaaaaa"
TOKEN_B = "eyJhbGciOiJIUzI1NiJ9.token-b.signature-bbbbbbbbbbbbbbbb"


def test_down_accepts_counts_and_resets_without_dialling_the_provider(
    api: ProxyClient, http_upstream: str
) -> None:
    base = make(api, http_upstream)
    with httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/before").status_code == 200  # a pooled keep-alive connection
        api.add_toxic("h", "down", name="down", attributes={})
        for _ in range(3):
            with pytest.raises(httpx.TransportError):  # reset by peer, never an answer
                client.get("/during")
        api.remove_toxic("h", "down")
        assert client.get("/after").status_code == 200
    records = wait_complete(api, "h", 5)
    refused = [r for r in records if r["refused"]]
    # The pooled connection was reset when the toxic came; then each new connection is one attempt.
    assert len(refused) >= 2, records
    assert all(
        (r["method"], r["path"], r["status"], r["reached_provider"]) == ("", "", None, False)
        and r["started"] == r["finished"]
        for r in refused
    )
    reached = [r["path"] for r in records if r["reached_provider"]]
    assert reached[0] == "/before" and reached[-1] == "/after" and "/during" not in reached


def test_down_is_a_reset_a_raw_client_sees_before_any_byte(api: ProxyClient, http_upstream: str) -> None:
    listen = make_listen(api, http_upstream)
    api.add_toxic("h", "down", attributes={})
    host, port = listen.rsplit(":", 1)
    data: bytes | None = None
    try:  # the RST can come before connect() returns (a loaded machine), before the write, or after it
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = sock.recv(100)
    except (ConnectionResetError, BrokenPipeError):
        data = None
    assert data is None or data == b""  # a reset (or, if the race is lost, EOF): never an answer
    assert [r["refused"] for r in wait_complete(api, "h", 1)] == [True]


def test_auth_expiry_expires_tokens_seen_before_and_only_those(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)
    with httpx.Client(base_url=base, timeout=5) as client:
        old = {"Authorization": f"Bearer {TOKEN_A}"}
        assert client.get("/r", headers=old).status_code == 200
        api.add_toxic("h", "auth_expiry", attributes={})
        expired = client.get("/r", headers=old)
        assert expired.status_code == 401
        assert expired.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        basic = client.post("/oauth/token", headers={"Authorization": "Basic Y2hlY2tvdXQ6czNjcjN0"})
        assert basic.status_code == 201  # other schemes pass: the token endpoint works
        fresh = {"Authorization": f"Bearer {TOKEN_B}"}
        assert client.get("/r", headers=fresh).status_code == 200  # a token first seen now passes
        assert client.get("/r", headers=fresh).status_code == 200
        assert client.get("/anonymous").status_code == 200
        assert client.get("/r", headers=old).status_code == 401  # still expired
    records = wait_complete(api, "h", 7)
    assert [(r["status"], r["reached_provider"], r["scheme"]) for r in records] == [
        (200, True, "bearer"),
        (401, False, "bearer"),
        (201, True, "basic"),
        (200, True, "bearer"),
        (200, True, "bearer"),
        (200, True, None),
        (401, False, "bearer"),
    ]
    a, b = records[0]["caller"], records[3]["caller"]
    assert a == records[1]["caller"] == records[6]["caller"] and b == records[4]["caller"] != a
    assert records[5]["caller"] is None
    # Fingerprints only: no token, nor any part of one, leaves the proxy in an observation.
    text = str(api.observations("h"))
    assert "token-a" not in text and "token-b" not in text and "Y2hlY2tvdXQ6czNjcjN0" not in text


class _RateLimited(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        status, retry_after = {"/busy": (429, "3"), "/down": (503, "Wed, 21 Oct 2099 07:28:00 GMT")}.get(
            self.path, (200, "5")
        )
        self.send_response(status)
        self.send_header("Retry-After", retry_after)  # on a 200 it means nothing, and is not read
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rate_limited() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RateLimited)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_retry_after_is_observed_from_the_provider_and_from_http_error(
    api: ProxyClient, rate_limited: str
) -> None:
    base = make(api, rate_limited)
    with httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/busy").status_code == 429
        assert client.get("/down").status_code == 503
        assert client.get("/fine").status_code == 200
        api.add_toxic("h", "http_error", attributes={"status": 429, "retry_after": 2})
        assert client.get("/fine").status_code == 429
    records = wait_complete(api, "h", 4)
    retry_after = [r["retry_after"] for r in records]
    assert retry_after[0] == 3.0 and retry_after[2] is None and retry_after[3] == 2.0
    assert retry_after[1] > 365 * 24 * 3600  # an HTTP-date, in seconds from now


def test_the_new_kinds_are_listed_like_any_toxic(api: ProxyClient, http_upstream: str) -> None:
    make(api, http_upstream)
    before = time.time()
    api.add_toxic("h", "auth_expiry", attributes={})
    api.add_toxic("h", "down", attributes={})
    toxics = {t["type"]: t for t in api.toxics("h")}
    assert toxics["down"]["attributes"] == {}
    assert before - 1 <= toxics["auth_expiry"]["attributes"]["before"] <= time.time() + 1
