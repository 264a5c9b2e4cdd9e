"""How long interlock takes to refuse a chaos/load run against a service on another host.

The issue's case: a provider at http://staging.example.invalid:8080 with ``--stages chaos,load``
must be refused with exit 2 before anything starts and without a DNS look-up. Baseline, measured
in the same run: ``interlock --version`` (the interpreter and CLI start-up every command pays).
Rounds alternate; medians and the refusal's cost over the bare start-up are printed.

    .venv/bin/python benchmarks/refusal_time.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.app.test_remote_refusal import remote_shop  # noqa: E402 - after the path that makes it importable

INTERLOCK = str(Path(sys.executable).parent / "interlock")


def seconds(*args: str) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.run([INTERLOCK, *args], capture_output=True, text=True, timeout=60, check=False)
    return time.perf_counter() - started, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    refusals, startups = [], []
    with tempfile.TemporaryDirectory() as work:
        manifest = remote_shop(Path(work), remote="payments")
        for _ in range(rounds):
            elapsed, code = seconds("verify", "--manifest", str(manifest), "--stages", "chaos,load")
            assert code == 2, f"expected exit 2, got {code}"
            refusals.append(elapsed)
            elapsed, code = seconds("--version")
            startups.append(elapsed)
        started = sorted(p.name for p in Path(work).iterdir() if p.name.startswith("started"))
    refusal, startup = statistics.median(refusals), statistics.median(startups)
    print(f"refusal (exit 2):        median {refusal:.2f}s  min {min(refusals):.2f}s")
    print(f"interlock --version:     median {startup:.2f}s  min {min(startups):.2f}s")
    print(f"refusal over start-up:   {refusal - startup:+.2f}s  (ratio {refusal / startup:.2f})")
    print(f"services started:        {started or 'none'}")


if __name__ == "__main__":
    main()
