"""``interlock init`` without services: what it finds, what it writes, and that every file loads.

The shop's user-side files (its pacts and the providers' spec files) are copied into an empty
directory, as a team adopting interlock would have them; the end-to-end runs that start the
services are in test_init_e2e.py.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interlock.app.cli import main
from interlock.app.scaffold.plan import parse_env, parse_policy, parse_probe
from interlock.core.errors import UsageError
from interlock.core.manifest import load_manifest
from interlock.stages.chaos.experiment import load_experiment
from interlock.stages.chaos.policy import load_policy
from interlock.stages.fuzz.suite import load_suite
from interlock.stages.load.profile import load_profile
from tests.helpers import REPO

SHOP_FLAGS = (
    "--run",
    "payments=python -m uvicorn examples.shop.payments:app --host 127.0.0.1 --port {port}",
    "--run",
    "inventory=python -m uvicorn examples.shop.inventory:app --host 127.0.0.1 --port {port}",
    "--run",
    "checkout=python -m uvicorn examples.shop.checkout:app --host 127.0.0.1 --port {port}",
    "--states",
    "payments=/_pact/states",
    "--states",
    "inventory=/_pact/states",
    "--env",
    "payments:SHOP_PROVIDER_STATES=1",
    "--env",
    "inventory:SHOP_PROVIDER_STATES=1",
    "--env",
    "checkout:PAYMENTS_URL={proxy:checkout-payments}",
    "--env",
    "checkout:INVENTORY_URL={proxy:checkout-inventory}",
    "--message",
    "a payment.captured event=examples.shop.payments.events:captured_message_for_verification",
    "--resilience",
    "*=budget=1s,retries=2,backoff=50ms,breaker=5/1s",
    "--probe",
    '*=POST /orders {"sku": "SKU-1", "qty": 1}',
)


def init(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``interlock init ARGS`` in this process (the CLI's own entry point, exit code and all)."""
    with pytest.raises(SystemExit) as exited:
        main(["init", *args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["interlock", "init", *args], int(exited.value.code or 0), out, err)


def shop_project(root: Path) -> Path:
    """What a user of the shop has before interlock: pact files and the providers' specs."""
    shutil.copytree(REPO / "contracts" / "pacts", root / "pacts")
    for provider in ("payments", "inventory"):
        (root / "specs" / provider).mkdir(parents=True)
        shutil.copy(REPO / "examples" / "shop" / provider / "openapi.json", root / "specs" / provider)
    return root


def test_parsers_read_the_flags_small_languages() -> None:
    raw, policy = parse_policy("budget=1s,retries=2,backoff=50ms,breaker=5/1s")
    assert raw == {"budget": "1s", "retries": 2, "backoff": "50ms", "breaker": {"failures": 5, "reset": "1s"}}
    assert (policy.budget, policy.attempts, policy.backoff) == (1.0, 3, 0.05)
    assert policy.breaker is not None and policy.breaker.reset == 1.0
    raw, probe = parse_probe('post /orders {"sku": "A"}')
    assert (probe.method, probe.path, probe.json_body, raw["json"]) == (
        "POST",
        "/orders",
        {"sku": "A"},
        {"sku": "A"},
    )
    assert parse_env("checkout:URL={proxy:a-b}") == ("checkout", "URL", "{proxy:a-b}")
    for bad, message in [
        (lambda: parse_policy("retries=2"), "needs at least budget"),
        (lambda: parse_policy("budget=soon"), "budget"),
        (lambda: parse_policy("budget=1s,breaker=5"), "breaker=FAILURES/RESET"),
        (lambda: parse_policy("budget=1s,jitter=full"), "unknown key 'jitter'"),
        (lambda: parse_probe("/orders"), "METHOD /path"),
        (lambda: parse_probe("POST /orders {sku"), "not JSON"),
        (lambda: parse_env("checkout=URL"), "SERVICE:KEY=VALUE"),
    ]:
        with pytest.raises(UsageError, match=message.replace("(", r"\(")):
            bad()


def test_init_writes_a_setup_that_loads_with_interlocks_own_loaders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = shop_project(tmp_path)
    proc = init(capsys, "--dir", str(root), "--no-verify", *SHOP_FLAGS)
    assert proc.returncode == 0, proc.stderr
    written = sorted(str(p.relative_to(root)) for p in root.rglob("*.yaml"))
    assert written == [
        "chaos/checkout-inventory.yaml",
        "chaos/checkout-payments.yaml",
        "interlock.yaml",
        "load/checkout-inventory.yaml",
        "load/checkout-payments.yaml",
        "suites/inventory.yaml",
        "suites/payments.yaml",
    ]
    manifest = load_manifest(root / "interlock.yaml")
    assert [(i.name, i.consumer, i.provider) for i in manifest.integrations] == [
        ("checkout-inventory", "checkout", "inventory"),
        ("checkout-payments", "checkout", "payments"),
    ]
    payments = manifest.integration("checkout-payments")
    assert payments.pacts == ["pacts/checkout-payments-messages.json", "pacts/checkout-payments.json"]
    assert payments.messages == {
        "a payment.captured event": "examples.shop.payments.events:captured_message_for_verification"
    }
    assert manifest.services["payments"].openapi == "specs/payments/openapi.json"  # found by its name
    assert manifest.services["checkout"].openapi is None and manifest.services["payments"].base_path is None
    for integration in manifest.integrations:
        policy = load_policy(manifest, integration)
        assert policy is not None and policy.probe is not None and policy.probe.path == "/orders"
        experiment = load_experiment(manifest.resolve(integration.chaos or ""))
        assert experiment.integration == integration.name
        # The catalogue's expectations from the policy: 3 attempts, the 1 s budget plus slack.
        assert "amplification <= 3" in experiment.faults[0].expect
        assert "p(99) < 1300ms" in experiment.faults[0].expect
        profile = load_profile(manifest.resolve(integration.load or ""))
        assert profile.integration == integration.name and profile.locustfile is None
    # The pacts expect a decline (402) for a valid payment: fuzzing's valid data may get it too.
    suite = load_suite(root / "suites" / "payments.yaml")
    assert suite.accepted_statuses == {"GET /payments/{payment_id}": [404], "POST /payments": [402]}
    assert load_suite(root / "suites" / "inventory.yaml").accepted_statuses == {
        "DELETE /reservations/{reservation_id}": [404],
        "POST /reservations": [404, 409],
    }
    # Every key carries a comment.
    text = (root / "interlock.yaml").read_text()
    assert "budget: 1s   # a consumer call gives up within this" in text
    assert "base_path" not in text
    assert "Next:" in proc.stdout and "interlock verify --stages contracts,fuzz" in proc.stdout


def test_init_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = shop_project(tmp_path)
    (root / "suites").mkdir()
    (root / "suites" / "payments.yaml").write_text("# mine\n")
    proc = init(capsys, "--dir", str(root), "--no-verify", *SHOP_FLAGS)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "interlock init: these files exist; --force overwrites them:",
        "  suites/payments.yaml",
    ]
    assert (root / "suites" / "payments.yaml").read_text() == "# mine\n"
    assert not (root / "interlock.yaml").exists()  # nothing written at all
    proc = init(capsys, "--dir", str(root), "--no-verify", "--force", *SHOP_FLAGS)
    assert proc.returncode == 0, proc.stderr
    assert "accepted_statuses" in (root / "suites" / "payments.yaml").read_text()


def test_without_a_terminal_what_is_missing_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = shop_project(tmp_path)
    proc = init(capsys, "--dir", str(root), "--no-verify", "--run", "payments=python -m x {port}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "interlock: service 'checkout': say how to reach it: --run checkout=COMMAND (with {port}) or"
        " --base-url checkout=URL"
    ]
    assert not (root / "interlock.yaml").exists()


def test_what_cannot_be_used_is_left_out_and_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No --message: the message pact stays out; no policy or probe: no chaos file, each one said."""
    root = shop_project(tmp_path)
    flags = list(SHOP_FLAGS[:18])  # the services, states and env only
    proc = init(
        capsys, "--dir", str(root), "--no-verify", *flags, "--resilience", "checkout-payments=budget=2s"
    )
    assert proc.returncode == 0, proc.stderr
    manifest = load_manifest(root / "interlock.yaml")
    assert manifest.integration("checkout-payments").pacts == ["pacts/checkout-payments.json"]
    assert manifest.integration("checkout-payments").chaos is None
    assert manifest.integration("checkout-inventory").resilience is None
    assert not (root / "chaos").exists()
    assert "checkout-payments-messages.json left out: no producer for the message(s)" in proc.stdout
    assert "checkout-payments: the policy has no probe, so no chaos experiment (--probe)" in proc.stdout
    assert "checkout-inventory: no resilience policy, so no chaos experiment (--resilience)" in proc.stdout


def test_a_spec_files_base_path_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fixtures.base_path_service import openapi_3

    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "openapi.json").write_text(json.dumps(openapi_3()))
    proc = init(
        capsys, "--dir", str(tmp_path), "--no-verify", "--integration", "items",
        "--run", "items=python -m tests.fixtures.base_path_service {port}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    manifest = load_manifest(tmp_path / "interlock.yaml")
    assert manifest.services["items"].base_path == "/v1"
    assert manifest.services["items"].openapi == "items/openapi.json"
    assert [(i.name, i.consumer) for i in manifest.integrations] == [("items", None)]
    assert load_suite(tmp_path / "suites" / "items.yaml").accepted_statuses == {}


@pytest.mark.slow
def test_on_a_terminal_init_asks_for_what_is_missing(tmp_path: Path) -> None:
    """A real pseudo-terminal: each missing answer is prompted for, and the answers are written."""
    root = shop_project(tmp_path)
    answers = {
        "How is checkout started?": "http://127.0.0.1:8000",
        "How is inventory started?": "python -m uvicorn examples.shop.inventory:app --port {port}",
        "How is payments started?": "python -m uvicorn examples.shop.payments:app --port {port}",
        "inventory's pacts use provider states": "/_pact/states",
        "payments's pacts use provider states": "",
        "Resilience policy of checkout towards inventory": "budget=2s,retries=1",
        "The request to checkout that makes it call inventory": "GET /health",
        "Resilience policy of checkout towards payments": "",
    }
    controller, terminal = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "interlock", "init", "--dir", str(root), "--no-verify"],
        stdin=terminal, stdout=terminal, stderr=terminal, cwd=REPO, close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    seen, asked = "", []
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        if not select.select([controller], [], [], 0.5)[0]:
            continue
        try:
            seen += os.read(controller, 4096).decode(errors="replace")
        except OSError:
            break
        for prompt, answer in answers.items():
            if prompt in seen and prompt not in asked:
                asked.append(prompt)
                os.write(controller, (answer + "\n").encode())
    child.wait(timeout=10)
    os.close(controller)
    assert child.returncode == 0, seen
    assert asked == list(answers), seen
    manifest = load_manifest(root / "interlock.yaml")
    assert manifest.services["checkout"].base_url == "http://127.0.0.1:8000"
    assert manifest.services["inventory"].states == "/_pact/states"
    assert manifest.services["payments"].states is None
    policy = load_policy(manifest, manifest.integration("checkout-inventory"))
    assert policy is not None and policy.budget == 2.0 and policy.probe is not None
    assert manifest.integration("checkout-payments").resilience is None


def test_the_base_path_of_a_running_services_spec_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--base-url`` with a URL-path spec: init fetches it from the running service (a real server)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.fixtures.base_path_service import openapi_3

    class Spec(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(openapi_3()).encode() if self.path == "/openapi.json" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Spec)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        proc = init(
            capsys, "--dir", str(tmp_path), "--no-verify", "--integration", "items",
            "--base-url", f"items={url}", "--openapi", "items=/openapi.json",
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    manifest = load_manifest(tmp_path / "interlock.yaml")
    assert (manifest.services["items"].openapi, manifest.services["items"].base_path) == (
        "/openapi.json",
        "/v1",
    )
    assert manifest.services["items"].base_url == url


def test_with_a_broker_integrations_are_named_and_the_broker_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = init(
        capsys, "--dir", str(tmp_path), "--no-verify", "--broker", "https://broker.example",
        "--integration", "checkout:payments", "--run", "checkout=serve checkout {port}",
        "--run", "payments=serve payments {port}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    manifest = load_manifest(tmp_path / "interlock.yaml")
    [integration] = manifest.integrations
    assert (integration.name, integration.consumer, integration.provider, integration.pacts) == (
        "checkout-payments", "checkout", "payments", []
    )  # fmt: skip
    assert (
        "# Pacts come from the Pact Broker at https://broker.example"
        in (tmp_path / "interlock.yaml").read_text()
    )
    assert "export PACT_BROKER_BASE_URL=https://broker.example" in proc.stdout
