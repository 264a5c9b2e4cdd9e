"""How long the contracts gate takes on the bundled example, against a bare baseline.

Baseline: what a team would script by hand: start the two providers with uvicorn, poll their
health, run pact-python's Verifier in-process with the URL state handler (and, for payments, its
message pact with pact-python's message handler), stop them.
interlock: `interlock contracts` as a user runs it (manifest, services, one verifier child per
pact, findings, three reports).

Both are measured in the same run, alternating, and the ratio of medians is printed.

    .venv/bin/python benchmarks/contracts_gate.py [--rounds 5]
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

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PACTS = REPO / "contracts" / "pacts"
PROVIDERS = {"payments": "examples.shop.payments:app", "inventory": "examples.shop.inventory:app"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bare_baseline() -> float:
    """Start providers, verify both pacts with the Verifier, stop: wall seconds."""
    from pact import Verifier

    started = time.perf_counter()
    procs, urls = [], {}
    env = {**os.environ, "SHOP_PROVIDER_STATES": "1"}
    for name, app in PROVIDERS.items():
        port = free_port()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls[name] = f"http://127.0.0.1:{port}"
    try:
        for url in urls.values():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(url + "/health", timeout=1).is_success:
                        break
                except httpx.HTTPError:
                    time.sleep(0.02)
        for name, url in urls.items():
            verifier = (
                Verifier(name, host="127.0.0.1")
                .add_transport(url=url)
                .add_source(str(PACTS / f"checkout-{name}.json"))
                .state_handler(url + "/_pact/states", teardown=True, body=True)
            )
            if name == "payments":
                verifier.add_source(str(PACTS / "checkout-payments-messages.json"))
                verifier.message_handler({"a payment.captured event": _payment_captured})
            saved = os.dup(1)  # the core writes its report to fd 1
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            try:
                verifier.verify()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
    return time.perf_counter() - started


def _payment_captured() -> dict:
    from examples.shop.payments.events import captured_message_for_verification

    message = captured_message_for_verification()
    return {**message, "contents": json.dumps(message["contents"]).encode()}


def interlock_run(report_dir: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "interlock", "contracts", "--report-dir", str(report_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "INTERLOCK_HOME": str(report_dir / "home")},
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"interlock contracts exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ["PACT_DO_NOT_TRACK"] = "true"
    bare, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            bare.append(bare_baseline())
            ours.append(interlock_run(Path(tmp)))
            print(f"round {round_ + 1}: baseline {bare[-1]:.2f}s  interlock {ours[-1]:.2f}s", flush=True)
    b, o = statistics.median(bare), statistics.median(ours)
    print(
        f"\nmedian of {args.rounds}: baseline {b:.2f}s, interlock contracts {o:.2f}s,"
        f" ratio {o / b:.2f}x (target: whole gate < 60 s)"
    )


if __name__ == "__main__":
    main()
