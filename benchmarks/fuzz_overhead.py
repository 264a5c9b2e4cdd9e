"""interlock fuzz against plain `schemathesis run`: same spec, same budget, same seed, one run.

Target: tests/fixtures/fuzz_providers.py:several_bugs (the example payments provider with a
500 on unicode input and a response-schema violation).

Baseline: what a team would script by hand: start the provider with uvicorn, poll until it
serves its spec, `st run URL -c all -n N --seed S -w 1 --generation-database none` (all phases),
stop it. interlock: `interlock fuzz --max-examples N --seed S` on a manifest that
starts the same provider (manifest, services, worker child, interlock's checks, findings and
three reports), with no suite, so no statuses are accepted that plain schemathesis rejects.

Rounds alternate; the medians and their ratio are printed, and the failures each found
(operation, code) are compared.

    .venv/bin/python benchmarks/fuzz_overhead.py [--rounds 5] [--examples 100] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers import running  # noqa: E402 - after the path that makes it importable

APP = "tests.fixtures.fuzz_providers:several_bugs"
BIN = Path(sys.executable).parent


def plain_run(examples: int, seed: int, work: Path) -> tuple[float, set[tuple[str, str]]]:
    """Start the provider, `st run` it, stop it: wall seconds and (operation, code) failures."""
    started = time.perf_counter()
    reports = work / f"st-{time.monotonic_ns()}"
    with running(APP) as url:  # start the provider, wait until it serves its spec, stop it at the end
        subprocess.run(
            [
                str(BIN / "st"),
                "run",
                url + "/openapi.json",
                "-c",
                "all",
                "-n",
                str(examples),
                "--seed",
                str(seed),
                "-w",
                "1",
                "--generation-database",
                "none",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--report",
                "json",
                "--report-dir",
                str(reports),
            ],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=600,
        )
    elapsed = time.perf_counter() - started
    report = json.loads(next(reports.glob("*.json")).read_text())
    found = {(op, f["code"]) for f in report["failures"] for op in f["operations"]}
    return elapsed, found


def interlock_run(examples: int, seed: int, work: Path) -> tuple[float, set[tuple[str, str]]]:
    manifest = work / "interlock.yaml"
    manifest.write_text(f"""\
version: 1
services:
  payments:
    run: python -m uvicorn {APP} --host 127.0.0.1 --port {{port}}
    openapi: /openapi.json
    env: {{PYTHONPATH: "{REPO}"}}
  checkout:
    base_url: http://127.0.0.1:9
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
""")
    (work / "suites").mkdir(exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "interlock"),
            "fuzz",
            "--manifest",
            str(manifest),
            "--suites",
            str(work / "suites"),
            "--report-dir",
            str(work / "reports"),
            "--max-examples",
            str(examples),
            "--seed",
            str(seed),
            "--time-budget",
            "10m",
            "--plain",
        ],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=900,
    )
    elapsed = time.perf_counter() - started
    result = json.loads(
        (work / "reports" / "latest" / "fuzz" / "providers" / "payments" / "result.json").read_text()
    )
    found = {(f["operation"], f["code"]) for f in result["failures"]}
    return elapsed, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    plain_times, interlock_times = [], []
    plain_found: set[tuple[str, str]] = set()
    interlock_found: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            work = Path(tmp) / f"round{round_}"
            work.mkdir()
            order = [("plain", plain_run), ("interlock", interlock_run)]
            if round_ % 2:
                order.reverse()
            for name, runner in order:
                elapsed, found = runner(args.examples, args.seed, work)
                (plain_times if name == "plain" else interlock_times).append(elapsed)
                (plain_found if name == "plain" else interlock_found).update(found)
                print(f"round {round_ + 1} {name:9s} {elapsed:6.2f}s  {len(found)} failures", flush=True)
    plain, ours = statistics.median(plain_times), statistics.median(interlock_times)
    print(
        f"\nplain `st run`   median {plain:.2f}s over {args.rounds} rounds"
        f" (-n {args.examples}, seed {args.seed})"
    )
    print(f"interlock fuzz   median {ours:.2f}s")
    print(f"overhead         {ours - plain:+.2f}s = {(ours - plain) / plain:+.1%} of the plain run")
    print(f"failures         plain {sorted(plain_found)}")
    print(f"                 interlock {sorted(interlock_found)}")
    # The plain JSON report files stateful failures under "Stateful tests", not their operation.
    missing = {
        (op, code)
        for op, code in plain_found
        if not any(code == c and op in (o, "Stateful tests") for o, c in interlock_found)
    }
    print(f"found by plain only: {sorted(missing) or 'none'}")


if __name__ == "__main__":
    main()
