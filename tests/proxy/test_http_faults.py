"""HTTP-level faults (http_error) and provider-side observation, through real HTTP clients."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from interlock.proxy.client import ProxyClient
from interlock.proxy.process import EmbeddedProxy
from tests.proxy.conftest import connect, read_response, recv_exactly

# http_error and observations are interlock's extensions: the real Toxiproxy has neither.
pytestmark = pytest.mark.embedded_only


def make(api: ProxyClient, upstream: str, name: str = "h") -> str:
    """A proxy to ``upstream``; its base URL."""
    return "http://" + make_listen(api, upstream, name)


def make_listen(api: ProxyClient, upstream: str, name: str = "h") -> str:
    """A proxy to ``upstream``; its ``host:port`` for raw sockets."""
    return str(api.create_proxy(name, "127.0.0.1:0", upstream)["listen"])


def wait_complete(api: ProxyClient, proxy: str, count: int) -> list[dict]:
    """Observations once ``count`` of them are complete (finished set), within 5 s."""
    deadline = time.monotonic() + 5
    while True:
        records = api.observations(proxy)["observations"]
        if sum(r["finished"] is not None for r in records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.02)


def test_observes_requests_over_keep_alive(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)
    with httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/a?x=1").status_code == 200
        assert client.post("/payments", json={"n": 1}, headers={"Idempotency-Key": "k-1"}).status_code == 201
        assert client.head("/h").status_code == 200
        assert client.get("/after-head").status_code == 200
    records = wait_complete(api, "h", 4)
    assert [
        (r["method"], r["path"], r["idempotency_key"], r["status"], r["reached_provider"]) for r in records
    ] == [
        ("GET", "/a?x=1", None, 200, True),
        ("POST", "/payments", "k-1", 201, True),
        ("HEAD", "/h", None, 200, True),
        ("GET", "/after-head", None, 200, True),
    ]
    assert len({r["connection"] for r in records}) == 1  # one keep-alive connection
    assert [r["seq"] for r in records] == [1, 2, 3, 4] or records[0]["seq"] < records[-1]["seq"]
    assert all(r["started"] <= r["finished"] for r in records)


def test_observes_new_connections_and_pages_with_since(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)
    for index in range(3):
        httpx.post(f"{base}/orders/{index}", headers={"Connection": "close"}, timeout=5)
    records = wait_complete(api, "h", 3)
    assert len({r["connection"] for r in records}) == 3
    cursor = api.observations("h")["next"]
    assert cursor == records[-1]["seq"] + 1
    httpx.get(f"{base}/later", timeout=5)
    wait_complete(api, "h", 4)
    page = api.observations("h", since=cursor)
    assert [r["path"] for r in page["observations"]] == ["/later"]
    api.clear_observations("h")
    assert api.observations("h")["observations"] == []
    httpx.get(f"{base}/fresh", timeout=5)
    fresh = wait_complete(api, "h", 1)
    assert fresh[0]["seq"] > records[-1]["seq"]  # seq keeps counting across clears


def test_pipelined_requests_pair_with_their_responses(api: ProxyClient, http_upstream: str) -> None:
    listen = make_listen(api, http_upstream)
    with connect(listen) as sock:
        sock.sendall(
            b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nDELETE /two HTTP/1.1\r\nHost: x\r\n\r\n"
            b"PUT /three HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        )
        received = b""
        while received.count(b"HTTP/1.1 200") < 3:
            received += sock.recv(65536)
    records = wait_complete(api, "h", 3)
    assert [(r["method"], r["status"]) for r in records] == [("GET", 200), ("DELETE", 200), ("PUT", 200)]


def test_chunked_request_bodies_are_framed(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)

    def body():  # a generator makes httpx send Transfer-Encoding: chunked
        yield b"part-1"
        yield b"part-2"

    with httpx.Client(base_url=base, timeout=5) as client:
        # The upstream ignores chunked bodies, so only frame what the proxy saw: two requests.
        client.post("/chunked", content=body(), headers={"Content-Length": "12"})
        client.get("/next")
    records = wait_complete(api, "h", 2)
    assert [r["path"] for r in records] == ["/chunked", "/next"]


def test_http_error_answers_instead_of_the_provider(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)
    api.add_toxic("h", "http_error", attributes={"status": 503, "retry_after": 2, "body": "try later"})
    with httpx.Client(base_url=base, timeout=5) as client:
        for _ in range(2):  # keep-alive survives the canned answer
            response = client.post("/payments", json={"n": 1}, headers={"Idempotency-Key": "k"})
            assert response.status_code == 503
            assert response.headers["retry-after"] == "2"
            assert response.text == "try later"
        api.remove_toxic("h", "http_error_downstream")
        assert client.post("/payments", json={"n": 1}).status_code == 201
    records = wait_complete(api, "h", 3)
    assert [(r["status"], r["reached_provider"]) for r in records] == [
        (503, False),
        (503, False),
        (201, True),
    ]
    assert records[0]["idempotency_key"] == "k"


def test_http_error_429_at_a_probability_is_seeded_per_request(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)
    api.add_toxic("h", "http_error", attributes={"status": 429, "probability": 0.5, "retry_after": None})
    with httpx.Client(base_url=base, timeout=5) as client:
        statuses = [client.get(f"/r{i}").status_code for i in range(40)]
    assert set(statuses) == {200, 429}
    assert 8 <= statuses.count(429) <= 32, statuses
    records = wait_complete(api, "h", 40)
    assert [r["status"] for r in records] == statuses
    assert all(r["reached_provider"] == (r["status"] == 200) for r in records)


def test_http_error_keeps_order_with_pipelined_requests(api: ProxyClient, http_upstream: str) -> None:
    listen = make_listen(api, http_upstream)
    api.add_toxic("h", "latency", attributes={"latency": 50})
    with connect(listen) as sock:
        sock.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.01)
        api.add_toxic("h", "http_error", attributes={"status": 418})
        sock.sendall(b"POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody")
        received = b""
        while b"418" not in received:
            received += sock.recv(65536)
    assert received.index(b"HTTP/1.1 200") < received.index(b"HTTP/1.1 418")


def test_a_request_head_split_across_reads_is_answered_whole(api: ProxyClient, http_upstream: str) -> None:
    listen = make_listen(api, http_upstream)
    api.add_toxic("h", "http_error", attributes={"status": 503})
    with connect(listen) as sock:
        sock.sendall(b"GET /sp")
        time.sleep(0.05)
        sock.sendall(b"lit HTTP/1.1\r\nHost: x\r\n\r\n")
        head = sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable")
    records = wait_complete(api, "h", 1)
    assert [(r["path"], r["reached_provider"]) for r in records] == [("/split", False)]


def test_non_http_traffic_is_forwarded_untouched(api: ProxyClient, echo_upstream: str) -> None:
    listen = api.create_proxy("h", "127.0.0.1:0", echo_upstream)["listen"]
    api.add_toxic("h", "http_error")
    with connect(listen) as sock:
        sock.sendall(b"\x00\x01binary\r\n\r\nstuff")
        assert recv_exactly(sock, 17) == b"\x00\x01binary\r\n\r\nstuff"
    assert api.observations("h")["observations"] == []


def test_unanswered_requests_end_without_a_status(api: ProxyClient) -> None:
    silent = socket.socket()  # accepts (the kernel does) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        base = make(api, f"127.0.0.1:{silent.getsockname()[1]}")
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{base}/lost", timeout=0.3)
        records = wait_complete(api, "h", 1)
    finally:
        silent.close()
    assert [(r["path"], r["status"], r["reached_provider"]) for r in records] == [("/lost", None, True)]
    assert records[0]["finished"] is not None


def test_a_dropped_response_still_shows_the_providers_status(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)
    api.add_toxic("h", "timeout", attributes={"timeout": 200})
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{base}/dropped", timeout=5)
    records = wait_complete(api, "h", 1)
    assert [(r["path"], r["status"]) for r in records] == [("/dropped", 200)]


def test_in_flight_requests_hold_the_cursor(api: ProxyClient, http_upstream: str) -> None:
    listen = make_listen(api, http_upstream)
    api.add_toxic("h", "latency", attributes={"latency": 400})
    with connect(listen) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.15)
        page = api.observations("h")
        assert [r["status"] for r in page["observations"]] == [200]  # the provider answered at once
    assert page["next"] == page["observations"][0]["seq"] + 1


def test_observations_of_a_missing_proxy_is_404(api: ProxyClient) -> None:
    from interlock.proxy.client import ProxyNotFound

    with pytest.raises(ProxyNotFound, match="proxy not found"):
        api.observations("nope")


def test_bad_since_is_400(api: ProxyClient, http_upstream: str, server) -> None:
    make(api, http_upstream)
    response = httpx.get(f"{server.url}/interlock/observations/h?since=x")
    assert response.status_code == 400


def test_http_error_toggled_live_on_a_keep_alive_connection(api: ProxyClient, http_upstream: str) -> None:
    listen = make_listen(api, http_upstream)
    with connect(listen) as sock:
        sock.sendall(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_response(sock)
        api.add_toxic("h", "http_error", attributes={"status": 503})
        sock.sendall(b"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        second = read_response(sock)
        api.remove_toxic("h", "http_error_downstream")
        sock.sendall(b"GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
        third = read_response(sock)
    assert [first[:12], second[:12], third[:12]] == [b"HTTP/1.1 200", b"HTTP/1.1 503", b"HTTP/1.1 200"]
    records = wait_complete(api, "h", 3)
    assert [(r["path"], r["status"], r["reached_provider"]) for r in records] == [
        ("/1", 200, True),
        ("/2", 503, False),
        ("/3", 200, True),
    ]


def _statuses_with_seed(seed: int, upstream: str, tmp_path) -> list[int]:
    with EmbeddedProxy(tmp_path / f"seed-{seed}.log", seed=seed) as proxy, proxy.client() as client:
        listen = client.create_proxy("s", "127.0.0.1:0", upstream)["listen"]
        client.add_toxic("s", "http_error", toxicity=0.9, attributes={"status": 503, "probability": 0.5})
        statuses = []
        for _ in range(3):  # toxicity is rolled per connection, probability per request
            with httpx.Client(base_url=f"http://{listen}", timeout=5) as http:
                statuses += [http.get("/x").status_code for _ in range(12)]
        return statuses


@pytest.mark.slow
def test_a_seed_makes_fault_decisions_repeatable(http_upstream: str, tmp_path) -> None:
    first = _statuses_with_seed(11, http_upstream, tmp_path)
    assert set(first) == {200, 503}
    assert _statuses_with_seed(11, http_upstream, tmp_path) == first
    assert _statuses_with_seed(12, http_upstream, tmp_path) != first


@pytest.mark.parametrize(
    "request_bytes",
    [b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"GET /old HTTP/1.0\r\n\r\n"],
)
def test_a_canned_answer_to_a_closing_request_closes_like_a_server(
    api: ProxyClient, http_upstream: str, request_bytes: bytes
) -> None:
    listen = make_listen(api, http_upstream)
    api.add_toxic("h", "http_error", attributes={"status": 503, "retry_after": 1})
    with connect(listen) as sock:
        sock.sendall(request_bytes)
        sock.settimeout(5)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 503") and b"Connection: close\r\n" in received
    assert b"Retry-After: 1\r\n" in received


def test_requests_sliced_into_tiny_pieces_are_still_observed(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream)
    api.add_toxic(
        "h", "slicer", stream="upstream", attributes={"average_size": 7, "size_variation": 3, "delay": 100}
    )
    with httpx.Client(base_url=base, timeout=5) as client:
        assert client.post("/sliced", json={"n": 1}, headers={"Idempotency-Key": "k-9"}).status_code == 201
        assert client.get("/again").status_code == 200
    records = wait_complete(api, "h", 2)
    assert [(r["method"], r["path"], r["idempotency_key"], r["status"]) for r in records] == [
        ("POST", "/sliced", "k-9", 201),
        ("GET", "/again", None, 200),
    ]


def test_credentials_the_consumer_sent_are_served_for_the_run_to_mask(
    api: ProxyClient, http_upstream: str
) -> None:
    base = make(api, http_upstream)
    httpx.get(
        f"{base}/a", headers={"Authorization": "Bearer wire-1", "X-Other": "not-a-credential"}, timeout=5
    )
    wait_complete(api, "h", 1)
    assert api.credentials("h") == [("authorization", "Bearer wire-1")]
