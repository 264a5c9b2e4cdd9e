"""Each toxic measured with real TCP traffic through both servers (echo upstream).

Timing bounds are generous (the machine is shared and noisy) but each one separates "toxic
applied" from "not applied" by a wide margin.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from interlock.proxy.client import ProxyClient
from tests.proxy.conftest import ApiServer, connect, recv_exactly


def make(api: ProxyClient, upstream: str, name: str = "t") -> str:
    return str(api.create_proxy(name, "127.0.0.1:0", upstream)["listen"])


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> float:
    started = time.monotonic()
    sock.sendall(payload)
    assert recv_exactly(sock, len(payload)) == payload
    return time.monotonic() - started


def time_to_eof(sock: socket.socket, limit_s: float = 5.0) -> tuple[float, bytes]:
    """Seconds until the peer closes, and what arrived before."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return time.monotonic() - started, received
        received += chunk


def test_no_toxic_is_fast(api: ProxyClient, echo_upstream: str) -> None:
    with connect(make(api, echo_upstream)) as sock:
        assert min(round_trip(sock) for _ in range(5)) < 0.05


def test_latency_delays_each_round_trip(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "latency", attributes={"latency": 100})
    with connect(listen) as sock:
        trips = [round_trip(sock) for _ in range(3)]
    assert all(0.095 <= t < 0.4 for t in trips), trips


def test_latencies_on_both_streams_add_up(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "latency", stream="upstream", attributes={"latency": 60})
    api.add_toxic("t", "latency", stream="downstream", attributes={"latency": 60})
    with connect(listen) as sock:
        assert 0.115 <= round_trip(sock) < 0.4


def test_jitter_spreads_delays_around_the_latency(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "latency", attributes={"latency": 100, "jitter": 60})
    with connect(listen) as sock:
        trips = [round_trip(sock) for _ in range(12)]
    assert all(0.035 <= t < 0.45 for t in trips), trips
    assert max(trips) - min(trips) > 0.03, trips  # uniform over [40, 160) ms: never all the same


def test_bandwidth_limits_the_rate_in_kb_of_1000_bytes(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "bandwidth", attributes={"rate": 100})  # 100 KB/s = 100 000 B/s
    payload = bytes(range(256)) * 200  # 51 200 bytes -> ~0.51 s
    with connect(listen) as sock:
        elapsed = round_trip(sock, payload)
    assert 0.45 <= elapsed < 1.5, elapsed


def test_slow_close_delays_the_close_but_not_the_data(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    with connect(listen) as sock:
        sock.shutdown(socket.SHUT_WR)
        quick, _ = time_to_eof(sock)
    api.add_toxic("t", "slow_close", attributes={"delay": 300})
    with connect(listen) as sock:
        assert round_trip(sock) < 0.1
        sock.shutdown(socket.SHUT_WR)
        slow, _ = time_to_eof(sock)
    assert quick < 0.1 and 0.28 <= slow < 1.0, (quick, slow)


def test_timeout_drops_data_and_closes_after_the_timeout(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "timeout", attributes={"timeout": 300})
    with connect(listen) as sock:
        sock.sendall(b"lost")
        elapsed, received = time_to_eof(sock)
    assert received == b""
    assert 0.25 <= elapsed < 1.0, elapsed


def test_timeout_zero_holds_the_connection_until_the_toxic_is_removed(
    api: ProxyClient, echo_upstream: str
) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "timeout", attributes={"timeout": 0})
    with connect(listen) as sock:
        sock.sendall(b"lost")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(10)  # no data, still open
        api.remove_toxic("t", "timeout_downstream")
        elapsed, received = time_to_eof(sock)
    assert received == b"" and elapsed < 0.5


def test_reset_peer_sends_a_real_rst(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "reset_peer", stream="upstream", attributes={"timeout": 200})
    with connect(listen) as sock:
        started = time.monotonic()
        sock.sendall(b"boom")
        with pytest.raises(ConnectionResetError):
            sock.recv(10)
        assert 0.18 <= time.monotonic() - started < 1.0


def test_reset_peer_added_to_an_open_connection(
    api: ProxyClient, echo_upstream: str, server: ApiServer
) -> None:
    """A documented difference: Toxiproxy sets SO_LINGER=0 only at connection set-up, so it sends
    a FIN here; the embedded proxy resets, as a reset_peer fault means."""
    listen = make(api, echo_upstream)
    with connect(listen) as sock:
        round_trip(sock)
        api.add_toxic("t", "reset_peer", attributes={"timeout": 0})
        sock.sendall(b"boom")
        if server.real:
            assert time_to_eof(sock)[1] == b""
        else:
            with pytest.raises(ConnectionResetError):
                sock.recv(10)


def test_slicer_splits_into_small_delayed_pieces(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "slicer", attributes={"average_size": 100, "size_variation": 0, "delay": 20_000})
    payload = bytes(1000)
    with connect(listen) as sock:
        started = time.monotonic()
        sock.sendall(payload)
        pieces = []
        while sum(map(len, pieces)) < len(payload):
            pieces.append(sock.recv(65536))
        elapsed = time.monotonic() - started
    sizes = sorted(map(len, pieces))
    assert sum(sizes) == 1000
    # 16 pieces of ~62 B, 20 ms apart; a busy reader may merge a few, never most of them.
    assert len(sizes) >= 6 and sizes[len(sizes) // 2] <= 126, sizes
    assert 0.25 <= elapsed < 1.5, elapsed


def test_slicer_microsecond_delays_keep_their_average(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "slicer", attributes={"average_size": 10, "size_variation": 5, "delay": 500})
    payload = bytes(2000)  # ~200+ pieces, 500 µs apart -> ~0.1 s or more, never all at once
    with connect(listen) as sock:
        elapsed = round_trip(sock, payload)
    assert 0.08 <= elapsed < 1.5, elapsed


def test_limit_data_truncates_then_closes(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "limit_data", attributes={"bytes": 10})
    with connect(listen) as sock:
        sock.sendall(b"0123456789abcdef")
        _, received = time_to_eof(sock)
    assert received == b"0123456789"


def test_toxics_apply_live_to_open_connections(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    with connect(listen) as sock:
        assert round_trip(sock) < 0.1
        api.add_toxic("t", "latency", attributes={"latency": 250})
        assert round_trip(sock) >= 0.24
        api.update_toxic("t", "latency_downstream", attributes={"latency": 10})
        assert round_trip(sock) < 0.15
        api.remove_toxic("t", "latency_downstream")
        assert round_trip(sock) < 0.1


def test_removing_a_toxic_releases_held_data_at_once(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "latency", attributes={"latency": 5000})
    with connect(listen) as sock:
        started = time.monotonic()
        sock.sendall(b"held")
        time.sleep(0.1)
        api.remove_toxic("t", "latency_downstream")
        assert recv_exactly(sock, 4) == b"held"
        assert time.monotonic() - started < 1.0


def test_toxicity_applies_to_a_fraction_of_connections(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "latency", toxicity=0.5, attributes={"latency": 120})
    slow = 0
    for _ in range(24):
        with connect(listen) as sock:
            slow += round_trip(sock) >= 0.11
    assert 3 <= slow <= 21, slow  # binomial(24, 0.5): outside this is < 1 in 1000


def test_toxicity_zero_and_one(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    api.add_toxic("t", "latency", toxicity=0, attributes={"latency": 200})
    api.add_toxic("t", "latency", name="always", toxicity=1, stream="upstream", attributes={"latency": 50})
    with connect(listen) as sock:
        assert 0.045 <= round_trip(sock) < 0.19


def test_down_refuses_new_connections_and_closes_open_ones(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    with connect(listen) as sock:
        round_trip(sock)
        api.update_proxy("t", enabled=False)
        assert time_to_eof(sock)[1] == b""
    with pytest.raises(ConnectionRefusedError):
        connect(listen)
    api.update_proxy("t", enabled=True)
    with connect(listen) as sock:
        assert round_trip(sock) < 0.1


def test_unreachable_upstream_closes_the_client_and_the_proxy_stays_up(
    api: ProxyClient, echo_upstream: str
) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    dead = f"127.0.0.1:{holder.getsockname()[1]}"
    holder.close()
    listen = make(api, dead)
    for _ in range(2):
        with connect(listen) as sock:
            assert time_to_eof(sock)[1] == b""
    api.update_proxy("t", upstream=echo_upstream)
    with connect(api.get_proxy("t")["listen"]) as sock:
        round_trip(sock)


def echo_in_parallel(listen: str, payload: bytes) -> bytes:
    """Send and receive at the same time, so flow control is exercised in both directions."""
    with connect(listen, timeout=30) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        received = recv_exactly(sock, len(payload))
        sender.join()
    return received


def test_big_transfers_keep_every_byte_in_order(api: ProxyClient, echo_upstream: str) -> None:
    listen = make(api, echo_upstream)
    payload = bytes(range(256)) * 16_384  # 4 MiB
    assert echo_in_parallel(listen, payload) == payload  # the fast path
    api.add_toxic("t", "noop")
    api.add_toxic("t", "latency", name="lat", attributes={"latency": 1})
    assert echo_in_parallel(listen, payload) == payload  # through the pump
