"""Throughput of a Locust run through interlock against plain `locust --headless`.

The same locustfile (FastHttpUser, no think time), the same shape (N users, spawned at once,
for T seconds) and the same target (a trivial asyncio server that outpaces one Locust process, so
the load generator is the bottleneck and any overhead of interlock's sampler shows):

* plain: `locust -f F --headless -u N -r N -t Ts --csv P`
* interlock: `interlock load` with a ramp profile of N users at N/s for T seconds, which adds
  interlock's per-request sampler, the per-second files, the progress watcher and the plots.

Throughput is read the same way for both: requests in Locust's aggregated stats CSV divided by
the shape's duration. Rounds alternate (plain, interlock, plain, ...) and medians are compared,
as is the median of each round's paired ratio. On a machine shared with other work req/s swings
with the neighbours' load, so the Locust process's own CPU time is sampled from /proc too (the
same way in both modes): requests per Locust CPU-second measures the sampler's cost directly.

    .venv/bin/python benchmarks/load_overhead.py [--rounds 5] [--users 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCUSTFILE = """
from locust import FastHttpUser, constant, task


class Hammer(FastHttpUser):
    wait_time = constant(0)

    @task
    def hit(self):
        self.client.get("/ping")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def requests_in(stats_csv: Path) -> int:
    with stats_csv.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return int(row["Request Count"])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def locust_cpu_seconds(process: subprocess.Popen[str], marker: str) -> float:
    """Wait for ``process``; meanwhile sample the CPU time of the Locust process whose command line
    holds ``marker`` (the last sample before it exits: both modes lose the same final instant)."""
    seen: dict[int, float] = {}
    while process.poll() is None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if "locust" in cmdline and marker in cmdline:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    seen[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            except OSError:
                continue
        time.sleep(0.1)
    return sum(seen.values())


def plain(work: Path, url: str, users: int, seconds: int, index: int) -> tuple[float, float]:
    prefix = work / f"plain-{index}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(work / "bench_locustfile.py"),
            "--headless",
            "-H",
            url,
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--exit-code-on-error",
            "0",
            "--loglevel",
            "WARNING",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    cpu = locust_cpu_seconds(process, str(prefix))
    if process.returncode != 0:
        raise RuntimeError(f"plain locust failed ({process.returncode})")
    requests = requests_in(Path(f"{prefix}_stats.csv"))
    return requests / seconds, requests / cpu


def through_interlock(work: Path, manifest: Path, seconds: int, index: int) -> tuple[float, float]:
    reports = work / f"reports-{index}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interlock",
            "load",
            "--plain",
            "--manifest",
            str(manifest),
            "--report-dir",
            str(reports),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "INTERLOCK_LOAD_HISTORY": str(work / "history")},
    )
    cpu = locust_cpu_seconds(process, str(reports))
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise RuntimeError(f"interlock load failed ({process.returncode}):\n{output}")
    requests = requests_in(reports / "latest" / "load" / "bench-fast" / "locust_stats.csv")
    return requests / seconds, requests / cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, str(REPO / "benchmarks" / "fast_server.py"), str(port)])
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory(prefix="interlock-load-bench-") as tmp:
            work = Path(tmp)
            (work / "bench_locustfile.py").write_text(LOCUSTFILE, encoding="utf-8")
            (work / "load").mkdir()
            (work / "load" / "fast.yaml").write_text(
                f"target: fast\nlocustfile: bench_locustfile.py\nbaseline: false\n"
                f"shape: {{type: ramp, users: {args.users}, spawn_rate: {args.users},"
                f" duration: {args.seconds}s}}\n"
                f"slo: ['error_rate < 1%']\n",
                encoding="utf-8",
            )
            manifest = work / "interlock.yaml"
            manifest.write_text(
                f"version: 1\nservices:\n  fast:\n    base_url: {url}\n    health: /ping\n"
                f"  bench:\n    base_url: {url}\n    health: /ping\n"
                "integrations:\n  - {name: bench-fast, consumer: bench, provider: fast,"
                " load: load/fast.yaml}\n",
                encoding="utf-8",
            )
            plain_rps, interlock_rps, plain_eff, interlock_eff = [], [], [], []
            for index in range(args.rounds):
                rps, eff = plain(work, url, args.users, args.seconds, index)
                plain_rps.append(rps)
                plain_eff.append(eff)
                rps, eff = through_interlock(work, manifest, args.seconds, index)
                interlock_rps.append(rps)
                interlock_eff.append(eff)
                print(
                    f"round {index + 1}: plain locust {plain_rps[-1]:6.0f} req/s"
                    f" ({plain_eff[-1]:5.0f} req/CPU-s)"
                    f"   interlock {interlock_rps[-1]:6.0f} req/s ({interlock_eff[-1]:5.0f} req/CPU-s)",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=10)
    plain_median, interlock_median = statistics.median(plain_rps), statistics.median(interlock_rps)
    ratio = interlock_median / plain_median
    paired = statistics.median(i / p for i, p in zip(interlock_rps, plain_rps, strict=True))
    eff_ratio = statistics.median(interlock_eff) / statistics.median(plain_eff)
    print(f"\n{args.users} users, {args.seconds}s per run, {args.rounds} interleaved rounds (medians):")
    print(
        f"  plain locust --headless : {plain_median:8.0f} req/s"
        f"  {statistics.median(plain_eff):6.0f} req/CPU-s"
    )
    print(
        f"  interlock load          : {interlock_median:8.0f} req/s"
        f"  {statistics.median(interlock_eff):6.0f} req/CPU-s"
    )
    print(
        f"  interlock / plain       : {ratio:.3f} (median of paired rounds {paired:.3f};"
        f" per Locust CPU-second {eff_ratio:.3f})"
        f"  -> {'within' if min(ratio, eff_ratio) >= 0.95 else 'NOT within'} 5%"
    )


if __name__ == "__main__":
    main()
