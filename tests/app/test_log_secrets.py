"""The secret hygiene scan of service logs, on real log files and a real manifest."""

from __future__ import annotations

from pathlib import Path

import yaml

from interlock.app.log_secrets import CHECK, LogSecretScan
from interlock.app.pipeline import redaction_policy
from interlock.core.manifest import Manifest, load_manifest
from interlock.core.redact import RedactionPolicy, Secret
from interlock.core.services import RunningService, ServiceGroup
from interlock.core.verdict import Status

TOKEN = "tok-9fQ2xLr7Kp"
WIRE = "wire-Mx81Qz5vT3"


def manifest(tmp_path: Path, **checkout: object) -> Manifest:
    data = {
        "version": 1,
        "services": {
            "payments": {"run": "true", "env": {"PAYMENTS_TOKEN": TOKEN, "AUTH_MODE": "none"}},
            "checkout": {
                "run": "true",
                "env": {"PAYMENTS_TOKEN": TOKEN, "SHORT_SECRET": "admin"},
                **checkout,
            },
            "inventory": {"run": "true"},
            "db": {"run": "true"},
        },
        "integrations": [
            {"name": "checkout-payments", "consumer": "checkout", "provider": "payments"},
            {"name": "checkout-inventory", "consumer": "checkout", "provider": "inventory"},
        ],
    }
    path = tmp_path / "interlock.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_manifest(path)


def started(loaded: Manifest, run_dir: Path) -> ServiceGroup:
    """The services as a run has them: each with its log under run_dir/services."""
    group = ServiceGroup(loaded, run_dir / "services", run_id="r")
    (run_dir / "services").mkdir(parents=True)
    for name in loaded.services:
        log = run_dir / "services" / f"{name}.log"
        log.write_text("INFO started\nINFO admin logged in\nINFO AUTH_MODE=none\n")
        group.running[name] = RunningService(name, "http://127.0.0.1:1", None, log)
    return group


def test_a_service_that_logs_a_secret_gets_one_finding_naming_it(tmp_path: Path) -> None:
    loaded = manifest(tmp_path)
    run_dir = tmp_path / "run"
    services = started(loaded, run_dir)
    scan = LogSecretScan(loaded, services, run_dir)
    policy = redaction_policy(loaded)
    payments = loaded.integrations[0]
    assert scan.check("contracts", payments, policy) is None  # "admin", "none" never match

    with (run_dir / "services" / "checkout.log").open("a") as log:
        log.write(f"DEBUG calling payments with token {TOKEN} (attempt 1)\n")
        log.write(f"DEBUG calling payments with token {TOKEN} (attempt 2)\n")
    check = scan.check("chaos", payments, policy)
    assert check is not None and check.name == CHECK and check.status == Status.FAILED
    (finding,) = check.findings
    assert finding.stage == "chaos" and finding.integration == "checkout-payments"
    assert finding.title == (
        "checkout logged a secret (services.checkout.env.PAYMENTS_TOKEN) at services/checkout.log:4"
    )
    assert (
        "services/checkout.log:4: DEBUG calling payments with token [REDACTED] (attempt 1)" in finding.detail
    )
    assert (
        "on 2 line(s)" in finding.detail
        and "secret: services.checkout.env.PAYMENTS_TOKEN" in finding.detail
        and "log_secrets_check: false" in finding.detail
    )
    assert TOKEN not in finding.model_dump_json()

    # reported once per run, even when it is logged again
    with (run_dir / "services" / "checkout.log").open("a") as log:
        log.write(f"DEBUG token {TOKEN}\n")
    assert scan.check("load", payments, policy) is None


def test_wire_credentials_are_searched_for_too(tmp_path: Path) -> None:
    loaded = manifest(tmp_path)
    run_dir = tmp_path / "run"
    services = started(loaded, run_dir)
    with (run_dir / "services" / "payments.log").open("a") as log:
        log.write(f"INFO request headers: {{'authorization': 'Bearer {WIRE}'}}\n")
    check = LogSecretScan(loaded, services, run_dir).check(
        "chaos", loaded.integrations[0], RedactionPolicy(), [("authorization", f"Bearer {WIRE}")]
    )
    assert check is not None
    (finding,) = check.findings  # the header value and the credential in it: one line, one finding
    assert finding.title.startswith("payments logged a secret (")
    assert "fault proxy" in finding.title and finding.title.endswith("services/payments.log:4")
    assert WIRE not in finding.model_dump_json()
    # the credential alone, learnt before, is the same leak: not reported again with its header


def test_only_the_integrations_services_and_services_of_no_integration_are_searched(tmp_path: Path) -> None:
    loaded = manifest(tmp_path)
    run_dir = tmp_path / "run"
    services = started(loaded, run_dir)
    for name in ("inventory", "db"):
        with (run_dir / "services" / f"{name}.log").open("a") as log:
            log.write(f"oops {TOKEN}\n")
    policy = RedactionPolicy().with_secrets([Secret(TOKEN, meaning="the suite's auth")])
    scan = LogSecretScan(loaded, services, run_dir)
    check = scan.check("fuzz", loaded.integrations[0], policy)  # checkout-payments: not inventory's log
    assert check is not None and [f.title.split()[0] for f in check.findings] == ["db"]
    later = scan.check("fuzz", loaded.integrations[1], policy)  # checkout-inventory: now inventory's
    assert later is not None and [f.title.split()[0] for f in later.findings] == ["inventory"]


def test_the_check_can_be_turned_off_per_service(tmp_path: Path) -> None:
    loaded = manifest(tmp_path, log_secrets_check=False)
    run_dir = tmp_path / "run"
    services = started(loaded, run_dir)
    with (run_dir / "services" / "checkout.log").open("a") as log:
        log.write(f"token {TOKEN}\n")
    assert (
        LogSecretScan(loaded, services, run_dir).check(
            "chaos", loaded.integrations[0], redaction_policy(loaded)
        )
        is None
    )


def test_a_header_holding_a_secret_reported_before_is_the_same_leak(tmp_path: Path) -> None:
    loaded = manifest(tmp_path)
    run_dir = tmp_path / "run"
    services = started(loaded, run_dir)
    scan = LogSecretScan(loaded, services, run_dir)
    with (run_dir / "services" / "payments.log").open("a") as log:
        log.write(f"INFO starting with token {TOKEN}\n")
    first = scan.check("contracts", loaded.integrations[0], redaction_policy(loaded))
    assert first is not None and len(first.findings) == 1
    with (run_dir / "services" / "payments.log").open("a") as log:
        log.write(f"INFO headers: Authorization: Bearer {TOKEN}\n")
    wire = [("authorization", f"Bearer {TOKEN}")]
    assert scan.check("chaos", loaded.integrations[0], redaction_policy(loaded), wire) is None
