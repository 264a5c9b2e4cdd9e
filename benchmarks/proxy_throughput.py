"""What the embedded fault proxy costs with no toxics: direct vs through the proxy, in one run.

Set-up (the one the real Toxiproxy was measured in, see LIBRARY-NOTES.md): a tiny HTTP/1.1
server with small responses, a load client, and the proxy, each in its own process on loopback.
Two traffic shapes:

* ``keepalive``: 20 keep-alive connections, one request in flight on each;
* ``new-conn``: 20 workers, a new connection per request (``Connection: close``);
* ``unloaded``: one keep-alive connection, one request at a time: the latency the proxy adds to a
  round trip when it is not queueing (under load, latency is mostly queueing: 20 / rate).

For each shape, ``direct`` (client -> server) and ``proxy`` (client -> proxy -> server) rounds
are interleaved; the medians of requests/s and of the per-request p50/p99 latency are printed,
with the ratio proxy/direct and the added latency (proxy - direct). Observation (HTTP framing
of every request and response) is on, as in a chaos run.

Reference, real Toxiproxy on this machine: ~0.3-0.4 of direct throughput with keep-alive,
~0.2-0.3 with a new connection per request, ~0.06-0.11 ms added per round trip. The issue's
target: at least a third of direct throughput, at most ~0.1 ms added.

    .venv/bin/python benchmarks/proxy_throughput.py [--rounds 5] [--seconds 2] [--no-uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
CLOSE_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
)
REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"
CLOSE_REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
CONNECTIONS = 20


def _loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()  # type: ignore[no-any-return]


# ---- the HTTP server (its own process) ----------------------------------------------------------


class _Server(asyncio.Protocol):
    """Answers each request head with a 2-byte body; closes after answering ``Connection: close``."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if b"Connection: close" in head:
                self.transport.write(CLOSE_RESPONSE)  # type: ignore[attr-defined]
                self.transport.close()
                return
            self.transport.write(RESPONSE)  # type: ignore[attr-defined]


def run_server(port: int) -> None:
    loop = _loop()
    server = loop.run_until_complete(loop.create_server(_Server, "127.0.0.1", port, backlog=1024))
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


# ---- the load client (its own process) ----------------------------------------------------------


class _Client(asyncio.Protocol):
    """One client connection as a protocol (streams cost more CPU than the proxy being measured)."""

    def __init__(self, request: bytes, done: asyncio.Future[None] | None = None) -> None:
        self.request = request
        self.buffer = b""
        self.waiter: asyncio.Future[None] | None = done
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, waiter: asyncio.Future[None]) -> None:
        self.waiter = waiter
        self.transport.write(self.request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        length = int(self.buffer.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
        if len(self.buffer) >= end + 4 + length:
            self.buffer = self.buffer[end + 4 + length :]
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed before the response"))


async def _keepalive_worker(port: int, until: float, latencies: list[float]) -> None:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_connection(lambda: _Client(REQUEST), "127.0.0.1", port)
    clock = time.perf_counter
    try:
        while clock() < until:
            started = clock()
            waiter = loop.create_future()
            client.send(waiter)
            await waiter
            latencies.append(clock() - started)
    finally:
        transport.close()


async def _new_connection_worker(port: int, until: float, latencies: list[float]) -> None:
    loop = asyncio.get_running_loop()
    clock = time.perf_counter
    while clock() < until:
        started = clock()
        transport, client = await loop.create_connection(lambda: _Client(CLOSE_REQUEST), "127.0.0.1", port)
        waiter = loop.create_future()
        client.send(waiter)
        await waiter
        transport.close()
        latencies.append(clock() - started)


SHAPES = {  # name: (worker, connections)
    "keepalive": (_keepalive_worker, CONNECTIONS),
    "new-conn": (_new_connection_worker, CONNECTIONS),
    "unloaded": (_keepalive_worker, 1),
}


async def _load(port: int, shape: str, seconds: float) -> dict[str, float]:
    worker, connections = SHAPES[shape]
    latencies: list[float] = []
    warm_until = time.perf_counter() + 0.3
    await asyncio.gather(*(worker(port, warm_until, []) for _ in range(connections)))
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(worker(port, until, latencies) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "requests": len(latencies),
    }


def run_client(port: int, shape: str, seconds: float) -> None:
    loop = _loop()
    print(json.dumps(loop.run_until_complete(_load(port, shape, seconds))), flush=True)


# ---- orchestration ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(port: int, shape: str, seconds: float, proxy_pid: int | None = None) -> dict[str, float]:
    cpu_before = _cpu_seconds(proxy_pid) if proxy_pid else 0.0
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--role",
            "client",
            "--port",
            str(port),
            "--shape",
            shape,
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    if proxy_pid:  # CPU the proxy spent per request (warm-up included, so slightly over)
        result["proxy_cpu_us"] = 1e6 * (_cpu_seconds(proxy_pid) - cpu_before) / result["requests"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="measured seconds per round and target")
    parser.add_argument("--no-uvloop", action="store_true", help="run the proxy on the standard asyncio loop")
    parser.add_argument(
        "--role", choices=["main", "server", "client"], default="main", help=argparse.SUPPRESS
    )
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--shape", default="keepalive", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "server":
        run_server(args.port)
        return
    if args.role == "client":
        run_client(args.port, args.shape, args.seconds)
        return

    from interlock.proxy.process import EmbeddedProxy

    server_port = _free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--role", "server", "--port", str(server_port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    env = {"PYTHONPATH": str(REPO / "src")}
    extra = {"INTERLOCK_PROXY_NO_UVLOOP": "1"} if args.no_uvloop else {}
    try:
        with EmbeddedProxy(env={**env, **extra}) as proxy, proxy.client() as api:
            listen = api.create_proxy("bench", "127.0.0.1:0", f"127.0.0.1:{server_port}")["listen"]
            proxy_port = int(listen.rsplit(":", 1)[1])
            print(
                f"proxy_throughput: {args.rounds} rounds x {args.seconds:g}s per target, {CONNECTIONS} "
                f"connections, {os.cpu_count()} CPUs, proxy event loop: "
                f"{'asyncio' if args.no_uvloop else 'uvloop'}"
            )
            for shape in SHAPES:
                results: dict[str, list[dict[str, float]]] = {"direct": [], "proxy": []}
                for _ in range(args.rounds):
                    results["direct"].append(_measure(server_port, shape, args.seconds))
                    results["proxy"].append(_measure(proxy_port, shape, args.seconds, proxy.process.pid))
                _report(shape, results)
            observed = api.observations("bench")["next"] - 1
            print(f"  (the proxy observed {observed} requests in all)")
    finally:
        server.terminate()
        server.wait()


def _report(shape: str, results: dict[str, list[dict[str, float]]]) -> None:
    def median(target: str, key: str) -> float:
        return statistics.median(r[key] for r in results[target])

    direct_rps, proxy_rps = median("direct", "rps"), median("proxy", "rps")
    print(f"\n{shape}:")
    for target in ("direct", "proxy"):
        print(
            f"  {target:6}  {median(target, 'rps'):9.0f} req/s   p50 {median(target, 'p50_ms'):6.3f} ms"
            f"   p99 {median(target, 'p99_ms'):6.3f} ms   rounds: "
            + ", ".join(f"{r['rps']:.0f}" for r in results[target])
        )
    # Rounds are interleaved, so each proxy round has a direct round beside it under the same load.
    paired = statistics.median(
        p["rps"] / d["rps"] for d, p in zip(results["direct"], results["proxy"], strict=False)
    )
    print(
        f"  ratio proxy/direct throughput: {proxy_rps / direct_rps:.2f}"
        f" (median of paired rounds {paired:.2f})   "
        f"proxy CPU per request: {median('proxy', 'proxy_cpu_us'):.0f} µs"
    )
    # Added latency per round trip: at equal load, what the proxy adds to each request.
    print(
        f"  added latency: p50 {median('proxy', 'p50_ms') - median('direct', 'p50_ms'):+.3f} ms, "
        f"p99 {median('proxy', 'p99_ms') - median('direct', 'p99_ms'):+.3f} ms"
    )


if __name__ == "__main__":
    main()
