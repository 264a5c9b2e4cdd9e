"""How long the example's chaos stage takes, and where the time goes, against the contracts gate.

interlock: `interlock chaos` on the bundled example as a user runs it (fault proxy, services,
both experiment files, journals, reports). Baseline: `interlock contracts` on the same example,
which starts the same providers and runs the quickest gate, measured in the same run, alternating.
The target is "well under a minute" for the chaos stage; the breakdown shows how much of it is the
faults themselves (calls under fault) and how much is waiting for the consumer to recover
(the breaker's 1 s reset, per fault), which no implementation can avoid.

    .venv/bin/python benchmarks/chaos_stage.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(command: str, report_dir: Path) -> tuple[float, Path]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "interlock", command, "--plain", "--report-dir", str(report_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true"},
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"interlock {command} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return elapsed, (report_dir / "latest").resolve()


def breakdown(run_dir: Path) -> dict[str, float]:
    """Seconds spent per phase kind, from the journals."""
    spent = {"steady_state": 0.0, "fault": 0.0, "recovery": 0.0}
    for journal in run_dir.glob("chaos/*/journal-*.json"):
        for phase in json.loads(journal.read_text())["phases"]:
            end = phase["rolled_back_at"] or phase["finished"]
            spent[phase["kind"]] += end - phase["started"]
    stage = sum(
        s["duration_s"]
        for i in json.loads((run_dir / "verdict.json").read_text())["integrations"]
        for s in i["stages"]
    )
    return {**spent, "stage": stage}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    chaos, contracts, parts = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            seconds, _ = timed("contracts", Path(tmp) / f"contracts-{n}")
            contracts.append(seconds)
            seconds, run_dir = timed("chaos", Path(tmp) / f"chaos-{n}")
            chaos.append(seconds)
            parts.append(breakdown(run_dir))
            print(f"round {n + 1}: contracts {contracts[-1]:.1f}s, chaos {chaos[-1]:.1f}s", flush=True)
    median = statistics.median
    print(f"\ninterlock contracts (baseline): median {median(contracts):.1f}s")
    print(
        f"interlock chaos:                median {median(chaos):.1f}s"
        f"  ({median(chaos) / median(contracts):.1f}x the contracts gate)"
    )
    for kind in ("stage", "steady_state", "fault", "recovery"):
        print(f"  {kind:<13} median {median(p[kind] for p in parts):5.1f}s")


if __name__ == "__main__":
    main()
