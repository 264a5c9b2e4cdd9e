"""Message pacts: producing messages from the manifest's handlers, validating them, verifying them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest
from interlock.stages.contracts.messages import MessageProducers
from interlock.stages.contracts.stage import ContractsStage
from tests.helpers import REPO, established, interlock

MESSAGES_PACT = REPO / "contracts" / "pacts" / "checkout-payments-messages.json"
REAL = "examples.shop.payments.events:captured_message_for_verification"


def manifest(tmp_path: Path, handlers: dict[str, str], pacts: Path = MESSAGES_PACT) -> Path:
    lines = "".join(f"      {description}: {handler}\n" for description, handler in handlers.items())
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
services:
  payments:
    run: python -m uvicorn examples.shop.payments:app --host 127.0.0.1 --port {{port}}
    states: /_pact/states
    env: {{SHOP_PROVIDER_STATES: "1", PYTHONPATH: "{REPO}"}}
  checkout:
    base_url: http://127.0.0.1:9
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
    pacts: {pacts}
    messages:
{lines}""")
    return path


def test_the_real_producer_gives_the_body_content_type_and_metadata() -> None:
    producers = MessageProducers({"a payment.captured event": REAL}, [str(REPO)])
    produced = producers.produce({"description": "a payment.captured event"})
    assert produced.status == 200 and producers.failures == []
    body = json.loads(produced.body)
    assert (
        body["type"] == "payment.captured"
        and body["amount"] == 3998
        and body["payment_id"].startswith("pay_")
    )
    assert produced.headers["Content-Type"] == "application/json"
    metadata = json.loads(base64.b64decode(produced.headers["Pact-Message-Metadata"]))
    assert metadata == {"topic": "payments", "contentType": "application/json"}


def test_a_producer_that_raises_or_is_missing_is_recorded_not_raised() -> None:
    producers = MessageProducers({"broken": "tests.fixtures.messages:raising"}, [str(REPO)])
    assert producers.produce({"description": "broken"}).status == 500
    assert producers.produce({"description": "unknown"}).status == 500
    assert [f["description"] for f in producers.failures] == ["broken", "unknown"]
    assert "raised RuntimeError: the producer is broken" in producers.failures[0]["error"]
    assert "no handler for message 'unknown'" in producers.failures[1]["error"]


def test_a_handler_that_is_not_module_colon_function_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"interlock.yaml:\d+: .*handler must be 'module.path:function'"):
        load_manifest(manifest(tmp_path, {"a payment.captured event": "examples.shop.payments.events"}))


def test_a_handler_that_does_not_import_is_a_config_error_at_its_line(tmp_path: Path) -> None:
    loaded = load_manifest(
        manifest(tmp_path, {"a payment.captured event": "examples.shop.payments.events:nope"})
    )
    with pytest.raises(
        ConfigError,
        match=r"interlock.yaml:15: message 'a payment.captured event': cannot load"
        r" handler .*has no function 'nope'",
    ):
        ContractsStage().preflight(loaded, loaded.integrations[0])


def test_a_message_in_a_pact_without_a_handler_is_a_config_error(tmp_path: Path) -> None:
    loaded = load_manifest(manifest(tmp_path, {"another event": REAL}))
    with pytest.raises(
        ConfigError,
        match=r"has the message 'a payment.captured event' but the integration declares no handler for it",
    ):
        ContractsStage().preflight(loaded, loaded.integrations[0])


@pytest.mark.slow
def test_a_producer_change_that_breaks_checkout_fails_the_gate(tmp_path: Path) -> None:
    path = manifest(
        tmp_path, {"a payment.captured event": "tests.fixtures.messages:captured_without_order_id"}
    )
    proc = interlock(
        "contracts",
        "--manifest",
        str(path),
        "--report-dir",
        str(tmp_path / "reports"),
        env=established(tmp_path / "home", MESSAGES_PACT),
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "✗ a payment.captured event: message body is missing $.order_id" in proc.stdout
    summary = (tmp_path / "reports" / "latest" / "summary.md").read_text()
    assert "Actual map is missing the following keys: order_id" in summary


@pytest.mark.slow
def test_bad_message_handlers_exit_2_before_anything_starts(tmp_path: Path) -> None:
    path = manifest(tmp_path, {"a payment.captured event": "no.such.module:f"})
    proc = interlock("contracts", "--manifest", str(path), "--report-dir", str(tmp_path / "reports"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"interlock: {path}:15: message 'a payment.captured event': cannot load handler"
    )
    assert "ModuleNotFoundError" in proc.stderr and "Traceback" not in proc.stderr
