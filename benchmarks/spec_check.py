"""What the offline spec check costs, next to the Pact replay it runs beside.

Measured in one run, alternating, medians of N rounds:
- `interlock contracts check-spec`: both example pacts against both spec files, no service started;
- `interlock contracts`: the whole contracts stage (providers started, spec check + Pact replay);
- in-process: the spec check and the spec diff alone (load the spec, check 10 interactions; diff a
  spec against a changed copy and judge the changes against the pacts), without interpreter start-up.

    .venv/bin/python benchmarks/spec_check.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def cli_seconds(*args: str) -> float:
    with tempfile.TemporaryDirectory() as reports:
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "interlock", *args, "--report-dir", reports, "--plain"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PACT_DO_NOT_TRACK": "true"},
            check=False,
        )
        elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"interlock {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def in_process_check() -> float:
    from interlock.openapi.check import check_pact
    from interlock.openapi.document import load_spec
    from interlock.pacts.pactfile import load_pact

    started = time.perf_counter()
    for provider in ("payments", "inventory"):
        doc = load_spec(REPO / "examples" / "shop" / provider / "openapi.json")
        pact = load_pact(REPO / "contracts" / "pacts" / f"checkout-{provider}.json")
        check_pact(doc, pact, integration="i", pact_label="p", spec_label="s")
    return time.perf_counter() - started


def in_process_diff() -> float:
    from interlock.openapi.diff import diff_specs
    from interlock.openapi.document import load_spec
    from interlock.openapi.impact import judge
    from interlock.pacts.pactfile import load_pact

    started = time.perf_counter()
    base = load_spec(REPO / "examples" / "shop" / "payments" / "openapi.json")
    head = load_spec(REPO / "tests" / "fixtures" / "specs" / "payments-without-status.json")
    pact = load_pact(REPO / "contracts" / "pacts" / "checkout-payments.json")
    judge(diff_specs(base, head), [(pact, "p")], base, head)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    in_process_check()  # warm the imports once
    timings: dict[str, list[float]] = {
        "check-spec (CLI)": [],
        "contracts stage (CLI)": [],
        "spec check (in-process)": [],
        "spec diff (in-process)": [],
    }
    for index in range(rounds):
        timings["check-spec (CLI)"].append(cli_seconds("contracts", "check-spec"))
        timings["contracts stage (CLI)"].append(cli_seconds("contracts"))
        timings["spec check (in-process)"].append(in_process_check())
        timings["spec diff (in-process)"].append(in_process_diff())
        print(f"round {index + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.3f}s" for k, v in timings.items()))
    medians = {k: statistics.median(v) for k, v in timings.items()}
    print("\nmedians:")
    for name, value in medians.items():
        print(f"  {name:<26} {value:7.3f} s")
    ratio = medians["check-spec (CLI)"] / medians["contracts stage (CLI)"]
    print(
        f"\ncheck-spec takes {ratio:.2f}x the time of the contracts stage, and starts no service;"
        f" the check itself is {medians['spec check (in-process)'] * 1000:.0f} ms for 10 interactions."
    )


if __name__ == "__main__":
    main()
