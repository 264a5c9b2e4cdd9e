"""Throughput of a Locust run through interlock against plain `locust --headless`.

The same locustfile (FastHttpUser, no think time), the same shape (N users, spawned at once,
for T seconds) and the same target (a trivial asyncio server that outpaces one Locust process, so
the load generator is the bottleneck and any overhead of interlock's sampler shows):

* plain: `locust -f F --headless -u N -r N -t Ts --csv P`
* interlock: `interlock load` with a ramp profile of N users at N/s for T seconds, which adds
  interlock's per-request sampler, the per-second files, the progress watcher and the plots.

Throughput is read the same way for both: requests in Locust's aggregated stats CSV divided by
the shape's duration. Rounds alternate (plain, interlock, plain, ...) and medians are compared.

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
LOCUSTFILE = '''
from locust import FastHttpUser, constant, task


class Hammer(FastHttpUser):
    wait_time = constant(0)

    @task
    def hit(self):
        self.client.get("/ping")
'''


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


def plain(work: Path, url: str, users: int, seconds: int, index: int) -> float:
    prefix = work / f"plain-{index}"
    subprocess.run([sys.executable, "-m", "locust", "-f", str(work / "bench_locustfile.py"), "--headless",
                    "-H", url, "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--csv", str(prefix),
                    "--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"],
                   check=True, capture_output=True, timeout=seconds + 60)
    return requests_in(Path(f"{prefix}_stats.csv")) / seconds


def through_interlock(work: Path, manifest: Path, seconds: int, index: int) -> float:
    reports = work / f"reports-{index}"
    result = subprocess.run([sys.executable, "-m", "interlock", "load", "--plain", "--manifest", str(manifest),
                             "--report-dir", str(reports)], capture_output=True, text=True, timeout=seconds + 90,
                            env={**os.environ, "INTERLOCK_LOAD_HISTORY": str(work / "history")})
    if result.returncode != 0:
        raise RuntimeError(f"interlock load failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return requests_in(reports / "latest" / "load" / "bench-fast" / "locust_stats.csv") / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
                f"shape: {{type: ramp, users: {args.users}, spawn_rate: {args.users}, duration: {args.seconds}s}}\n"
                f"slo: ['error_rate < 1%']\n", encoding="utf-8")
            manifest = work / "interlock.yaml"
            manifest.write_text(f"version: 1\nservices:\n  fast:\n    base_url: {url}\n    health: /ping\n"
                                f"  bench:\n    base_url: {url}\n    health: /ping\n"
                                "integrations:\n  - {name: bench-fast, consumer: bench, provider: fast,"
                                " load: load/fast.yaml}\n", encoding="utf-8")
            plain_rps, interlock_rps = [], []
            for index in range(args.rounds):
                plain_rps.append(plain(work, url, args.users, args.seconds, index))
                interlock_rps.append(through_interlock(work, manifest, args.seconds, index))
                print(f"round {index + 1}: plain locust {plain_rps[-1]:8.0f} req/s   "
                      f"interlock {interlock_rps[-1]:8.0f} req/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    plain_median, interlock_median = statistics.median(plain_rps), statistics.median(interlock_rps)
    ratio = interlock_median / plain_median
    print(f"\n{args.users} users, {args.seconds}s per run, {args.rounds} interleaved rounds (medians):")
    print(f"  plain locust --headless : {plain_median:8.0f} req/s")
    print(f"  interlock load          : {interlock_median:8.0f} req/s")
    print(f"  interlock / plain       : {ratio:.3f}  ({'within' if ratio >= 0.95 else 'NOT within'} 5%)")


if __name__ == "__main__":
    main()
