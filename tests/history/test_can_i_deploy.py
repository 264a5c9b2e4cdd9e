"""End to end: verifications recorded by the real gate, then can-i-deploy and pending from the store.

Real CLI, the real payments provider (and a variant that breaks checkout), the committed pacts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.test_gate import payments_manifest
from tests.helpers import REPO, established, interlock

pytestmark = pytest.mark.slow

PACT = REPO / "contracts" / "pacts" / "checkout-payments.json"


def versions(home: Path, provider: str, consumer: str = "c1") -> dict[str, str]:
    return {
        "INTERLOCK_HOME": str(home),
        "INTERLOCK_PROVIDER_VERSION": provider,
        "INTERLOCK_PROVIDER_BRANCH": "main",
        "INTERLOCK_CONSUMER_VERSION": consumer,
        "INTERLOCK_CONSUMER_BRANCH": "main",
        "PACT_BROKER_BASE_URL": "",
    }


def test_can_i_deploy_answers_from_the_verifications_the_gate_recorded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    good = payments_manifest(tmp_path)
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    breaking = payments_manifest(bad_dir, "tests.fixtures.providers:renamed_status")
    reports = ["--report-dir", str(tmp_path / "reports")]

    options = [
        "--provider-version",
        "p1",
        "--provider-branch",
        "main",
        "--consumer-version",
        "c1",
        "--consumer-branch",
        "main",
    ]  # the command-line spelling of versions()
    first = interlock(
        "contracts",
        "--manifest",
        str(good),
        *reports,
        *options,
        env={"INTERLOCK_HOME": str(home), "PACT_BROKER_BASE_URL": ""},
    )
    assert first.returncode == 0, first.stdout + first.stderr
    yes = interlock(
        "can-i-deploy", "--pacticipant", "checkout", "--version", "c1", env={"INTERLOCK_HOME": str(home)}
    )
    assert yes.returncode == 0, yes.stdout + yes.stderr
    assert "can-i-deploy: yes" in yes.stdout
    assert "│ checkout │ c1      │ payments │ p1      │ verified │" in yes.stdout

    # payments p2 renames a field checkout reads: the interactions passed on main before, so they gate.
    second = interlock("contracts", "--manifest", str(breaking), *reports, env=versions(home, "p2"))
    assert second.returncode == 1, second.stdout + second.stderr
    no = interlock(
        "can-i-deploy", "--pacticipant", "payments", "--version", "p2", env={"INTERLOCK_HOME": str(home)}
    )
    assert no.returncode == 1, no.stdout + no.stderr
    assert "│ checkout │ c1      │ payments │ p2      │ failed │" in no.stdout
    assert "can-i-deploy: no: the verification of checkout c1 -> payments p2 failed" in no.stdout

    # checkout c2 publishes a changed pact that no provider has verified.
    changed = json.loads(PACT.read_text())
    changed["interactions"] = changed["interactions"][1:]
    changed_path = tmp_path / "checkout-payments.json"
    changed_path.write_text(json.dumps(changed))
    published = interlock(
        "publish",
        str(changed_path),
        "--consumer-version",
        "c2",
        "--branch",
        "main",
        env={"INTERLOCK_HOME": str(home), "PACT_BROKER_BASE_URL": ""},
    )
    assert published.returncode == 0, published.stdout + published.stderr
    unverified = interlock(
        "can-i-deploy", "--pacticipant", "checkout", "--version", "c2", env={"INTERLOCK_HOME": str(home)}
    )
    assert unverified.returncode == 1
    assert "unverified" in unverified.stdout and "has not been verified" in unverified.stdout

    # Environments: checkout c1 may go where payments p1 runs, not where p2 runs.
    for version, environment in (("p1", "production"), ("p2", "staging")):
        recorded = interlock(
            "record-deployment",
            "--pacticipant",
            "payments",
            "--version",
            version,
            "--environment",
            environment,
            env={"INTERLOCK_HOME": str(home)},
        )
        assert recorded.returncode == 0, recorded.stderr
    to_prod = interlock(
        "can-i-deploy",
        "--pacticipant",
        "checkout",
        "--version",
        "c1",
        "--to-environment",
        "production",
        env={"INTERLOCK_HOME": str(home)},
    )
    assert to_prod.returncode == 0, to_prod.stdout
    to_staging = interlock(
        "can-i-deploy",
        "--pacticipant",
        "checkout",
        "--version",
        "c1",
        "--to-environment",
        "staging",
        env={"INTERLOCK_HOME": str(home)},
    )
    assert to_staging.returncode == 1, to_staging.stdout


def test_an_interaction_never_verified_on_main_is_pending(tmp_path: Path) -> None:
    home = tmp_path / "home"
    established(home, REPO / "contracts" / "pacts" / "checkout-payments.json", passed=False)
    breaking = payments_manifest(tmp_path, "tests.fixtures.providers:renamed_status")
    proc = interlock(
        "contracts",
        "--manifest",
        str(breaking),
        "--report-dir",
        str(tmp_path / "reports"),
        env=versions(home, "p1"),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pending (does not fail the gate until it has passed on the provider's main branch)" in proc.stdout
    verdict = json.loads((tmp_path / "reports" / "latest" / "verdict.json").read_text())
    checks = verdict["integrations"][0]["stages"][0]["checks"]
    pending = [c for c in checks if c["findings"]]
    assert pending and all(c["status"] == "passed" and c["message"].startswith("pending") for c in pending)
    assert all(f["severity"] == "warning" for c in pending for f in c["findings"])
    summary = (tmp_path / "reports" / "latest" / "summary.md").read_text()
    assert "## ⚠️ Warnings (they do not fail the gate)" in summary
    assert (
        "(pending interaction: failures do not fail the gate): a request for a payment: response body is"
        " missing $.status" in summary
    )
    # The failed verification is still recorded: this provider version may not be deployed.
    no = interlock(
        "can-i-deploy", "--pacticipant", "payments", "--version", "p1", env={"INTERLOCK_HOME": str(home)}
    )
    assert no.returncode == 1 and "failed" in no.stdout


def test_can_i_deploy_bad_input_exits_2(tmp_path: Path) -> None:
    home = {"INTERLOCK_HOME": str(tmp_path / "home"), "PACT_BROKER_BASE_URL": ""}
    empty = interlock("can-i-deploy", "--pacticipant", "checkout", "--version", "c1", env=home)
    assert empty.returncode == 2 and "the store is empty" in empty.stderr
    missing = interlock("can-i-deploy", "--pacticipant", "checkout", env=home)
    assert missing.returncode == 2 and "--version" in missing.stderr
    bad_pact = tmp_path / "bad.json"
    bad_pact.write_text("{not json")
    published = interlock("publish", str(bad_pact), "--consumer-version", "c1", env=home)
    assert published.returncode == 2 and f"{bad_pact}:1: not valid JSON" in published.stderr
