"""The embedded fault proxy against the real Toxiproxy, side by side in one run.

Set-up (issue 14): a tiny HTTP/1.1 server with 64-byte response bodies, a load client, and the
proxies, each in its own process on loopback. Three targets:

* ``direct``: client -> server (the ceiling);
* ``real``: client -> the real ``toxiproxy-server`` -> server, found at ``../shared/toxiproxy/``
  beside the repository or on PATH (without it the benchmark says so and measures the others);
* ``interlock``: client -> ``interlock proxy serve`` -> server, per-request observation on (it
  is always on: every chaos and load run reads it).

Both proxies are configured through the same Toxiproxy HTTP API (:class:`ProxyClient`). Two
traffic shapes: ``keepalive`` (20 keep-alive connections, one request in flight on each) and
``new-conn`` (20 at a time, a new connection per request, ``Connection: close``); each with no
toxic, with a 1 ms ``latency`` toxic downstream, and with a ``slicer`` downstream (pieces of
~16 bytes, 10 µs apart), since chaos runs measure through toxics.

``--bare`` adds a fourth target, the ceiling for any proxy written on this event loop: a bare
uvloop forwarder (its own process) that only reads each chunk and writes it to the other socket,
with no API, no observation and no toxics (so it is measured with ``--toxics none`` only).
``--bare-processes N`` runs N such forwarders sharing the port (``SO_REUSEPORT``), the ceiling
of a multi-process design on this machine.

Rounds run in ABBA order (direct, real, interlock, then interlock, real, direct, ...), so each
target meets the same drift in machine load; the ratios interlock/real are taken per round and
their median printed, with throughput, p50 and p99 per target (medians over rounds). The load
client is wrk when installed (``--client python`` forces the built-in asyncio one); its CPU use
is printed per target, so a saturated client shows (a client at ~100% of a core is the
bottleneck, not the proxy). Load average (``uptime``) is printed at the start of every case.

    .venv/bin/python benchmarks/proxy_throughput.py [--rounds 6] [--seconds 2] \\
        [--shapes keepalive,new-conn] [--toxics none,latency,slicer] [--client wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

BODY = b"x" * 64
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n\r\n" + BODY
CLOSE_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\nConnection: close\r\n\r\n" + BODY
)
REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"
CLOSE_REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
CONNECTIONS = 20
TARGETS = ("direct", "real", "interlock", "bare")
SHAPES = ("keepalive", "new-conn")
TOXICS: dict[str, dict[str, Any] | None] = {
    "none": None,
    "latency": {"type": "latency", "stream": "downstream", "attributes": {"latency": 1}},
    "slicer": {
        "type": "slicer",
        "stream": "downstream",
        "attributes": {"average_size": 16, "size_variation": 4, "delay": 10},
    },
}


def _loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


# ---- the HTTP server (its own process) ----------------------------------------------------------


class _Server(asyncio.Protocol):
    """Answers each request head with a 64-byte body; closes after answering ``Connection: close``."""

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
            if b"Connection: close" in head or b"connection: close" in head:
                self.transport.write(CLOSE_RESPONSE)  # type: ignore[attr-defined]
                self.transport.close()
                return
            self.transport.write(RESPONSE)  # type: ignore[attr-defined]


def run_server(port: int) -> None:
    loop = _loop()
    server = loop.run_until_complete(loop.create_server(_Server, "127.0.0.1", port, backlog=4096))
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


# ---- the bare forwarder (``--bare``; its own process) ---------------------------------------------


class _Forward(asyncio.Protocol):
    """One socket of a bare forwarded connection: writes what it reads to its peer, nothing else."""

    def __init__(self) -> None:
        self.peer: _Forward | None = None
        self.transport: asyncio.Transport | None = None
        self.early: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.write(data)
        else:
            self.early.append(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


def run_forwarder(port: int, upstream: int, processes: int = 1) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    children: list[int] = []
    for _ in range(processes - 1):
        child = os.fork()
        if child == 0:  # each child accepts on the shared socket (the kernel spreads accepts)
            children.clear()
            break
        children.append(child)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            os.kill(child, signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    loop = _loop()

    def accepted() -> _Forward:
        client = _Forward()

        async def dial() -> None:
            transport, provider = await loop.create_connection(_Forward, "127.0.0.1", upstream)
            provider.peer, client.peer = client, provider
            for data in client.early:
                transport.write(data)
            client.early = []

        loop.create_task(dial())
        return client

    server = loop.run_until_complete(loop.create_server(accepted, sock=listener))
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


# ---- the built-in load client (its own process; wrk is used when installed) ---------------------


class _Client(asyncio.Protocol):
    """One client connection as a protocol (streams cost more CPU than the proxy being measured)."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.buffer = b""
        self.waiter: asyncio.Future[None] | None = None
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


WORKERS = {"keepalive": _keepalive_worker, "new-conn": _new_connection_worker}


async def _load(port: int, shape: str, seconds: float) -> dict[str, float]:
    worker = WORKERS[shape]
    latencies: list[float] = []
    warm_until = time.perf_counter() + 0.3
    await asyncio.gather(*(worker(port, warm_until, []) for _ in range(CONNECTIONS)))
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(worker(port, until, latencies) for _ in range(CONNECTIONS)))
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


def _python_client(port: int, shape: str, seconds: float) -> dict[str, float]:
    argv = [sys.executable, __file__, "--role", "client", "--port", str(port), "--shape", shape]
    out = subprocess.run(
        [*argv, "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk_client(port: int, shape: str, seconds: float) -> dict[str, float]:
    """One wrk thread, 20 connections; ``new-conn`` sends ``Connection: close`` (wrk reconnects)."""
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    if shape == "new-conn":
        argv += ["-H", "Connection: close"]
    out = subprocess.run(
        [*argv, f"http://127.0.0.1:{port}/ping"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    percentiles = {
        int(m.group(1)): float(m.group(2)) * _WRK_UNITS[m.group(3)]
        for m in re.finditer(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": percentiles[50],
        "p99_ms": percentiles[99],
        "requests": requests,
        "errors": errors.group(1) if errors else "",  # type: ignore[dict-item]
    }


# ---- orchestration ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()  # --bare-processes
    return own + sum(_cpu_seconds(int(child)) for child in children)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measure(
    client: Callable[[int, str, float], dict[str, float]],
    port: int,
    shape: str,
    seconds: float,
    proxy_pid: int | None,
) -> dict[str, float]:
    cpu_before = _cpu_seconds(proxy_pid) if proxy_pid else 0.0
    client_before, wall_before = _children_cpu(), time.perf_counter()
    result = client(port, shape, seconds)
    # The client's share of a core over its whole run: near 1.0 means the client is the limit.
    result["client_core"] = (_children_cpu() - client_before) / (time.perf_counter() - wall_before)
    if proxy_pid:  # CPU the proxy spent per request (warm-up included, so slightly over)
        result["proxy_cpu_us"] = 1e6 * (_cpu_seconds(proxy_pid) - cpu_before) / result["requests"]
        result["proxy_core"] = (_cpu_seconds(proxy_pid) - cpu_before) / (time.perf_counter() - wall_before)
    return result


def find_real_server() -> Path | None:
    beside = REPO.parent / "shared" / "toxiproxy" / "toxiproxy-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("toxiproxy-server")
    return Path(found) if found else None


class _RealServer:
    """``toxiproxy-server`` on a free port, its output discarded (it logs every connection)."""

    def __init__(self, binary: Path) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [str(binary), "-host", "127.0.0.1", "-port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from interlock.core.health import wait_ready

        wait_ready(f"http://127.0.0.1:{self.port}", "/version", timeout_s=10.0, process=self.process)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6, help="ABBA rounds per case (even is best)")
    parser.add_argument("--seconds", type=float, default=2.0, help="measured seconds per round and target")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--toxics", default=",".join(TOXICS))
    parser.add_argument(
        "--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--no-uvloop", action="store_true", help="run the proxy on the standard asyncio loop")
    parser.add_argument("--no-real", action="store_true", help="leave the real Toxiproxy out")
    parser.add_argument(
        "--bare", action="store_true", help="also measure a bare uvloop forwarder (toxic none)"
    )
    parser.add_argument("--bare-processes", type=int, default=1, help="forwarder processes sharing the port")
    parser.add_argument(
        "--role", choices=["main", "server", "client", "forwarder"], default="main", help=argparse.SUPPRESS
    )
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--shape", default="keepalive", help=argparse.SUPPRESS)
    parser.add_argument("--upstream", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "forwarder":
        run_forwarder(args.port, args.upstream, args.bare_processes)
        return
    if args.bare and args.toxics != "none":
        parser.error("--bare forwards without toxics: use it with --toxics none")
    if args.role == "server":
        run_server(args.port)
        return
    if args.role == "client":
        run_client(args.port, args.shape, args.seconds)
        return

    from interlock.proxy.client import ProxyClient
    from interlock.proxy.process import EmbeddedProxy

    client = _wrk_client if args.client == "wrk" else _python_client
    binary = None if args.no_real else find_real_server()
    if binary is None:
        print(
            "proxy_throughput: the real toxiproxy-server is not at ../shared/toxiproxy/ nor on PATH"
            + (" (--no-real)" if args.no_real else "")
            + ": measuring direct and interlock only"
        )
    server_port = _free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--role", "server", "--port", str(server_port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    env = {"PYTHONPATH": str(REPO / "src")}
    if args.no_uvloop:
        env["INTERLOCK_PROXY_NO_UVLOOP"] = "1"
    real = _RealServer(binary) if binary is not None else None
    bare: subprocess.Popen[str] | None = None
    try:
        with EmbeddedProxy(env=env) as embedded:
            assert embedded.process is not None
            apis: dict[str, tuple[ProxyClient, int | None]] = {
                "interlock": (embedded.client(), embedded.process.pid)
            }
            if real is not None:
                apis["real"] = (ProxyClient(f"http://127.0.0.1:{real.port}"), real.process.pid)
            ports = {"direct": server_port}
            if args.bare:
                ports["bare"] = _free_port()
                argv_bare = [sys.executable, __file__, "--role", "forwarder", "--port", str(ports["bare"])]
                argv_bare += ["--upstream", str(server_port), "--bare-processes", str(args.bare_processes)]
                bare = subprocess.Popen(
                    argv_bare,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert bare.stdout is not None and bare.stdout.readline().strip() == "ready"
            for target, (api, _pid) in apis.items():
                listen = api.create_proxy("bench", "127.0.0.1:0", f"127.0.0.1:{server_port}")["listen"]
                ports[target] = int(listen.rsplit(":", 1)[1])
            targets = [t for t in TARGETS if t in ports]
            print(
                f"proxy_throughput: {args.rounds} ABBA rounds x {args.seconds:g}s per target, {CONNECTIONS} "
                f"connections, client {args.client}, {os.cpu_count()} CPUs, interlock event loop: "
                f"{'asyncio' if args.no_uvloop else 'uvloop'}"
                + (f", real: {binary} ({apis['real'][0].version()})" if real is not None else "")
            )
            rows = []
            for toxic_name in args.toxics.split(","):
                toxic = TOXICS[toxic_name]
                for api, _pid in apis.values():
                    if toxic is not None:
                        api.add_toxic("bench", name="bench_toxic", **toxic)
                for shape in args.shapes.split(","):
                    load = os.getloadavg()
                    results: dict[str, list[dict[str, float]]] = {t: [] for t in targets}
                    for index in range(args.rounds):
                        for target in targets if index % 2 == 0 else reversed(targets):
                            pid = (
                                apis[target][1]
                                if target in apis
                                else (bare.pid if target == "bare" and bare else None)
                            )
                            results[target].append(_measure(client, ports[target], shape, args.seconds, pid))
                    rows.append(_report(shape, toxic_name, results, load))
                for api, _pid in apis.values():
                    if toxic is not None:
                        api.remove_toxic("bench", "bench_toxic")
            observed = apis["interlock"][0].observations("bench")["next"] - 1
            print(f"\n(interlock observed {observed} requests in all)\n")
            _summary(rows)
    finally:
        if bare is not None:
            bare.terminate()
            bare.wait()
        if real is not None:
            real.stop()
        server.terminate()
        server.wait()


def _report(
    shape: str, toxic: str, results: dict[str, list[dict[str, float]]], load: tuple[float, float, float]
) -> dict[str, Any]:
    def median(target: str, key: str) -> float:
        return statistics.median(r[key] for r in results[target])

    print(f"\n{shape}, toxic: {toxic}   (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    for target, rounds in results.items():
        extra = ""
        if "proxy_cpu_us" in rounds[0]:
            extra = f"   proxy CPU {median(target, 'proxy_cpu_us'):5.0f} µs/req, {median(target, 'proxy_core'):.2f} cores"
        errors = {str(r.get("errors")) for r in rounds if r.get("errors")}
        print(
            f"  {target:9} {median(target, 'rps'):8.0f} req/s  p50 {median(target, 'p50_ms'):7.3f} ms"
            f"  p99 {median(target, 'p99_ms'):7.3f} ms  client {median(target, 'client_core'):.2f} cores{extra}"
            "   rounds: "
            + ", ".join(str(round(r["rps"])) for r in rounds)
            + (f"   socket errors: {'; '.join(sorted(errors))}" if errors else "")
        )
    row: dict[str, Any] = {"shape": shape, "toxic": toxic, "rps": {t: median(t, "rps") for t in results}}
    for target in results:
        if target != "direct":
            row[f"{target}/direct"] = statistics.median(
                p["rps"] / d["rps"] for d, p in zip(results["direct"], results[target], strict=True)
            )
    if "real" in results and "bare" in results:
        row["ratio_bare"] = statistics.median(
            b["rps"] / r["rps"] for r, b in zip(results["real"], results["bare"], strict=True)
        )
        print(f"  bare forwarder/real (median of paired rounds): throughput {row['ratio_bare']:.2f}x")
    if "real" in results:
        pairs = list(zip(results["real"], results["interlock"], strict=True))
        for key in ("rps", "p50_ms", "p99_ms"):
            row[f"ratio_{key}"] = statistics.median(i[key] / r[key] for r, i in pairs)
        # CPU per request does not depend on how much of the machine each proxy got, so it is
        # the figure that holds on a busy machine (a multi-threaded Go server gets more CPU share
        # than a one-thread Python one when the cores are oversubscribed).
        row["cpu_ratio"] = statistics.median(r["proxy_cpu_us"] / i["proxy_cpu_us"] for r, i in pairs)
        print(
            f"  interlock/real (median of paired rounds): throughput {row['ratio_rps']:.2f}x, "
            f"p50 {row['ratio_p50_ms']:.2f}x, p99 {row['ratio_p99_ms']:.2f}x; "
            f"requests per CPU-second {row['cpu_ratio']:.2f}x"
        )
    return row


def _cell(row: dict[str, Any], target: str) -> str:
    """Requests/s of one target, with its share of direct in the same rounds."""
    if target not in row["rps"]:
        return "-"
    share = f" ({row[f'{target}/direct']:.3f})" if target != "direct" else ""
    return f"{row['rps'][target] / 1000:.1f}k{share}"


def _summary(rows: list[dict[str, Any]]) -> None:
    """The issue's table: req/s per target (share of direct), and interlock/real per round."""
    print(
        "| traffic | toxic | direct | real Toxiproxy | interlock proxy | interlock / real "
        "| requests per CPU-second, interlock / real |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = (
            f"**{row['ratio_rps']:.2f}x** throughput, p50 {row['ratio_p50_ms']:.2f}x, p99 {row['ratio_p99_ms']:.2f}x"
            if "ratio_rps" in row
            else "-"
        )
        print(
            f"| {row['shape']} | {row['toxic']} | {_cell(row, 'direct')} | {_cell(row, 'real')} "
            f"| {_cell(row, 'interlock')} | {ratio} | {row.get('cpu_ratio', float('nan')):.2f}x |"
        )


if __name__ == "__main__":
    main()
