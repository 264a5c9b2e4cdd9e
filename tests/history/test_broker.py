"""The broker path end to end: the real ``pact`` CLI and the real Pact verifier against a broker double.

The double (tests/fixtures/broker_double.py) stores what is published and answers every query
from it; these tests also check which of its documented endpoints the tools really called.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import pytest

from interlock.history.store import DB_FILE
from tests.fixtures.broker_double import BrokerDouble
from tests.helpers import REPO, interlock
from tests.stages.contracts.test_messages import REAL, manifest

pytestmark = pytest.mark.slow

PACTS = REPO / "contracts" / "pacts"
PAYMENTS_PACTS = [PACTS / "checkout-payments.json", PACTS / "checkout-payments-messages.json"]


@pytest.fixture
def broker() -> Iterator[BrokerDouble]:
    with BrokerDouble() as double:
        yield double


def run(broker: BrokerDouble, tmp_path: Path, *args: str, **env: str):
    return interlock(
        *args, env={"PACT_BROKER_BASE_URL": broker.url, "INTERLOCK_HOME": str(tmp_path / "home"), **env}
    )


def local_contract_rows(home: Path) -> dict[str, int]:
    """The local store's non-empty contract tables (not the run history), by row count."""
    counts: dict[str, int] = {}
    for database in [home / DB_FILE] if (home / DB_FILE).exists() else []:
        with closing(sqlite3.connect(database)) as db:
            for table in ("versions", "pacts", "verifications", "interaction_results", "deployments"):
                with suppress(sqlite3.OperationalError):
                    if rows := db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]:
                        counts[f"{database.name}:{table}"] = rows
    return counts


def provider_manifest(tmp_path: Path, app: str = "examples.shop.payments:app") -> Path:
    directory = tmp_path / app.replace(":", "-")
    directory.mkdir(exist_ok=True)
    path = manifest(directory, {"a payment.captured event": REAL})
    path.write_text(path.read_text().replace("examples.shop.payments:app", app))
    return path


def verify(broker: BrokerDouble, tmp_path: Path, version: str, app: str = "examples.shop.payments:app"):
    return run(
        broker,
        tmp_path,
        "contracts",
        "--manifest",
        str(provider_manifest(tmp_path, app)),
        "--report-dir",
        str(tmp_path / "reports"),
        INTERLOCK_PROVIDER_VERSION=version,
        INTERLOCK_PROVIDER_BRANCH="main",
    )


def test_publish_verify_and_can_i_deploy_through_the_broker(broker: BrokerDouble, tmp_path: Path) -> None:
    published = run(
        broker, tmp_path, "publish", *map(str, PAYMENTS_PACTS), "--consumer-version", "c1", "--branch", "main"
    )
    assert published.returncode == 0, published.stdout + published.stderr
    (pact,) = broker.state.pacts.values()  # the CLI merged the HTTP and the message pact of the pair
    assert len(pact.content["interactions"]) == 6 and pact.consumer_versions == ["c1"]

    good = verify(broker, tmp_path, "p1")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "verifying 1 pact(s) from" in good.stdout and "passed (6/6 checks passed" in good.stdout
    (result,) = broker.state.verifications  # published by the Pact core
    assert (result.provider_version, result.success) == ("p1", True)
    assert broker.state.versions[("payments", "p1")].branch == "main"

    yes = run(broker, tmp_path, "can-i-deploy", "--pacticipant", "checkout", "--version", "c1")
    assert yes.returncode == 0, yes.stdout + yes.stderr
    assert "│ checkout │ c1      │ payments │ p1      │ verified │" in yes.stdout
    assert "can-i-deploy: yes" in yes.stdout

    # payments p2 breaks checkout; the pact passed on main before, so it gates and the failure is published.
    bad = verify(broker, tmp_path, "p2", "tests.fixtures.providers:renamed_status")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert [(v.provider_version, v.success) for v in broker.state.verifications] == [
        ("p1", True),
        ("p2", False),
    ]
    no = run(broker, tmp_path, "can-i-deploy", "--pacticipant", "payments", "--version", "p2")
    assert no.returncode == 1, no.stdout + no.stderr
    assert "│ checkout │ c1      │ payments │ p2      │ failed │" in no.stdout
    assert (
        "The verification for the pact between version c1 of checkout and version p2 of payments failed"
        in " ".join(no.stdout.split())
    )

    # checkout c2 publishes a changed pact: nobody verified it.
    changed = json.loads(PAYMENTS_PACTS[0].read_text())
    changed["interactions"] = changed["interactions"][1:]
    changed_path = tmp_path / "checkout-payments.json"
    changed_path.write_text(json.dumps(changed))
    assert (
        run(
            broker, tmp_path, "publish", str(changed_path), "--consumer-version", "c2", "--branch", "main"
        ).returncode
        == 0
    )
    unverified = run(broker, tmp_path, "can-i-deploy", "--pacticipant", "checkout", "--version", "c2")
    assert unverified.returncode == 1
    assert "There is no verified pact between version c2 of checkout" in " ".join(unverified.stdout.split())

    # Environments: checkout c1 may go where payments p1 runs, not where p2 runs.
    for version, environment in (("p1", "production"), ("p2", "staging"), ("p1", "staging")):
        recorded = run(
            broker,
            tmp_path,
            "record-deployment",
            "--pacticipant",
            "payments",
            "--version",
            version,
            "--environment",
            environment,
        )
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert sorted(e["name"] for e in broker.state.environments.values()) == ["production", "staging"]
    assert broker.state.deployed("payments", "staging") == ["p1"]
    to_prod = run(
        broker,
        tmp_path,
        "can-i-deploy",
        "--pacticipant",
        "checkout",
        "--version",
        "c1",
        "--to-environment",
        "production",
    )
    assert to_prod.returncode == 0, to_prod.stdout + to_prod.stderr
    assert (
        run(
            broker,
            tmp_path,
            "record-deployment",
            "--pacticipant",
            "payments",
            "--version",
            "p2",
            "--environment",
            "production",
        ).returncode
        == 0
    )
    replaced = run(
        broker,
        tmp_path,
        "can-i-deploy",
        "--pacticipant",
        "checkout",
        "--version",
        "c1",
        "--to-environment",
        "production",
    )
    assert replaced.returncode == 1, replaced.stdout

    # The tools spoke the broker's documented HAL API, found by following links from the index.
    called = {line.split("?")[0] for line in broker.state.requests}
    assert {
        "GET /",
        "POST /contracts/publish",
        "GET /pacts/provider/payments/for-verification",
        "POST /pacts/provider/payments/for-verification",
        "PUT /pacticipants/payments/branches/main/versions/p1",
        "GET /matrix",
        "GET /environments",
        "POST /environments",
    } <= called
    assert any(
        c.startswith("POST /pacts/provider/payments/consumer/checkout/pact-version/")
        and c.endswith("/verification-results")
        for c in called
    )
    # The local store keeps the run history (trends for report.html) even with a broker, but no
    # contract data: pacts, versions, verifications and deployments are the broker's alone.
    assert local_contract_rows(tmp_path / "home") == {}, (
        "with a broker, nothing is answered from (or written to) the local store"
    )


def test_a_pact_the_broker_marks_pending_does_not_fail_the_gate(broker: BrokerDouble, tmp_path: Path) -> None:
    assert (
        run(
            broker,
            tmp_path,
            "publish",
            *map(str, PAYMENTS_PACTS),
            "--consumer-version",
            "c1",
            "--branch",
            "main",
        ).returncode
        == 0
    )
    proc = verify(broker, tmp_path, "p1", "tests.fixtures.providers:renamed_status")
    assert proc.returncode == 0, proc.stdout + proc.stderr  # never verified on main: pending
    assert "warning: contracts checkout-payments: pending" in proc.stdout
    assert [(v.provider_version, v.success) for v in broker.state.verifications] == [("p1", False)]
    no = run(broker, tmp_path, "can-i-deploy", "--pacticipant", "payments", "--version", "p1")
    assert no.returncode == 1, no.stdout


def test_an_unreachable_broker_is_exit_3_with_one_line(tmp_path: Path) -> None:
    proc = interlock(
        "can-i-deploy",
        "--pacticipant",
        "checkout",
        "--version",
        "c1",
        env={"PACT_BROKER_BASE_URL": "http://127.0.0.1:9"},
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stderr.startswith("interlock: `pact broker can-i-deploy`") and "Traceback" not in proc.stderr


def test_broker_credentials_reach_the_verifier_but_no_report_file(
    broker: BrokerDouble, tmp_path: Path
) -> None:
    published = run(
        broker, tmp_path, "publish", str(PAYMENTS_PACTS[0]), "--consumer-version", "c1", "--branch", "main"
    )
    assert published.returncode == 0, published.stdout + published.stderr
    secret = "s3cr3t-broker-password"
    proc = run(
        broker,
        tmp_path,
        "contracts",
        "--manifest",
        str(provider_manifest(tmp_path)),
        "--report-dir",
        str(tmp_path / "reports"),
        INTERLOCK_PROVIDER_VERSION="p1",
        INTERLOCK_PROVIDER_BRANCH="main",
        PACT_BROKER_USERNAME="ci",
        PACT_BROKER_PASSWORD=secret,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [v.provider_version for v in broker.state.verifications] == ["p1"], proc.stdout  # published
    (job,) = (tmp_path / "reports" / "latest").glob("contracts/*/broker.job.json")
    assert json.loads(job.read_text())["broker"]["password"] == "[REDACTED]"
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert secret not in path.read_text(errors="replace"), path
