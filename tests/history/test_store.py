"""The verification store, the can-i-deploy matrix and pending, on real pact files (no services)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.core.verdict import Severity, Status
from interlock.history.matrix import RowStatus, can_i_deploy
from interlock.history.recording import History, PactVersions, interaction_key
from interlock.history.store import Store, pact_sha
from interlock.history.versions import VersionInfo, detect
from interlock.pacts.pactfile import load_pact
from interlock.stages.contracts.findings import PENDING_MESSAGE, checks_for_pact
from tests.helpers import REPO

PAYMENTS_PACT = REPO / "contracts" / "pacts" / "checkout-payments.json"
INVENTORY_PACT = REPO / "contracts" / "pacts" / "checkout-inventory.json"


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    monkeypatch.setenv("INTERLOCK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("INTERLOCK_PENDING", raising=False)
    h = History(tmp_path, "run-1")
    yield h
    h.close()


def _outcome(pact_path: Path, failing: set[str] = frozenset()) -> dict:
    """A worker outcome for ``pact_path`` as the Pact core reports it: OK, or a body mismatch."""
    pact = load_pact(pact_path)
    results = []
    for i in pact.interactions:
        item = {"description": i.description, "providerStates": [s.name for s in i.states], "duration": "5ms"}
        if i.description in failing:
            item |= {
                "result": "Error",
                "mismatch": {
                    "mismatches": [
                        {
                            "type": "BodyMismatch",
                            "path": "$",
                            "mismatch": "missing the following keys: status",
                        }
                    ]
                },
            }
        else:
            item["result"] = "OK"
        results.append(item)
    return {"results": {"interactionResults": results}, "state_failures": []}


def _verify(
    history: History,
    pact_path: Path,
    *,
    provider: str,
    branch: str,
    consumer: str = "c1",
    failing: set[str] = frozenset(),
) -> list:
    """What the contracts stage does for one pact, with the Pact core's outcome given."""
    pact = load_pact(pact_path)
    pending = history.pending(pact)
    checks = checks_for_pact(
        pact,
        _outcome(pact_path, failing),
        integration="i",
        pact_label=pact_path.name,
        provider_url="http://127.0.0.1:1",
        states_url=None,
        reproduce_cmd="rerun",
        is_pending=lambda i: interaction_key(pact.consumer, pact.provider, i) in pending,
    )
    found = PactVersions(
        VersionInfo(consumer, "main"), VersionInfo(provider, branch), pact_sha(pact_path.read_bytes())
    )
    history.record(pact, found, checks, pending)
    return checks


def test_every_interaction_is_pending_until_it_passes_on_main(history: History) -> None:
    pact = load_pact(PAYMENTS_PACT)
    assert history.pending(pact) == set(), "without any history on main, everything gates"
    _verify(history, PAYMENTS_PACT, provider="p1", branch="feature-x")
    assert history.pending(pact) == set(), "a feature branch is no history of main"
    failed = _verify(
        history, PAYMENTS_PACT, provider="p2", branch="main", failing={"a request for a payment"}
    )
    assert [c.status for c in failed].count(Status.FAILED) == 1, "the first verification on main gates"
    assert [
        i.description
        for i in pact.interactions
        if interaction_key(pact.consumer, pact.provider, i) in history.pending(pact)
    ] == ["a request for a payment"]


def test_a_pending_failure_warns_and_a_gating_failure_fails(history: History) -> None:
    broken = {"a request for a payment", "a request to charge an order"}
    _verify(history, PAYMENTS_PACT, provider="p0", branch="main", failing=broken)  # history, never passed
    first = {
        c.name.split(" :: ")[1]: c
        for c in _verify(history, PAYMENTS_PACT, provider="p1", branch="main", failing=broken)
    }
    for name in broken:  # never passed on main: pending
        assert first[name].status == Status.PASSED and first[name].message == PENDING_MESSAGE
        assert [f.severity for f in first[name].findings] == [Severity.WARNING]
    _verify(history, PAYMENTS_PACT, provider="p2", branch="main")  # now everything passed once on main
    again = {
        c.name.split(" :: ")[1]: c
        for c in _verify(history, PAYMENTS_PACT, provider="p3", branch="main", failing=broken)
    }
    for name in broken:
        assert again[name].status == Status.FAILED
        assert [f.severity for f in again[name].findings] == [Severity.ERROR]
        assert again[name].findings[0].title == f"{name}: response body is missing $.status"


def test_pending_can_be_switched_off(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLOCK_PENDING", "off")
    checks = _verify(
        history, PAYMENTS_PACT, provider="p1", branch="main", failing={"a request for a payment"}
    )
    assert [c.status for c in checks].count(Status.FAILED) == 1


def test_can_i_deploy_yes_for_a_verified_pair_no_for_failed_or_unverified(
    history: History, tmp_path: Path
) -> None:
    _verify(history, PAYMENTS_PACT, provider="p1", branch="main", consumer="c1")
    _verify(history, INVENTORY_PACT, provider="i1", branch="main", consumer="c1")
    store = history.store
    yes = can_i_deploy(store, "checkout", "c1", environment=None, main_branch="main")
    assert yes.deployable, yes.reason
    assert {(r.provider, r.provider_version, r.status) for r in yes.rows} == {
        ("payments", "p1", RowStatus.VERIFIED),
        ("inventory", "i1", RowStatus.VERIFIED),
    }
    assert can_i_deploy(store, "payments", "p1", environment=None, main_branch="main").deployable

    # payments p2 (main) fails checkout's pact: neither payments p2 nor checkout c1 (against latest
    # main) may go.
    _verify(
        history,
        PAYMENTS_PACT,
        provider="p2",
        branch="main",
        consumer="c1",
        failing={"a request for a payment"},
    )
    no = can_i_deploy(store, "payments", "p2", environment=None, main_branch="main")
    assert not no.deployable and [r.status for r in no.rows] == [RowStatus.FAILED]
    assert "the verification of checkout c1 -> payments p2 failed" in no.reason
    assert not can_i_deploy(store, "checkout", "c1", environment=None, main_branch="main").deployable

    # checkout c2 publishes a changed pact that nobody verified yet.
    changed = json.loads(PAYMENTS_PACT.read_text())
    changed["interactions"] = changed["interactions"][:-1]
    changed_path = tmp_path / "checkout-payments.json"
    changed_path.write_text(json.dumps(changed))
    store.publish_pact("checkout", "c2", "main", "payments", pact_sha(changed_path.read_bytes()))
    unverified = can_i_deploy(store, "checkout", "c2", environment=None, main_branch="main")
    assert not unverified.deployable
    assert ("payments", RowStatus.UNVERIFIED) in {(r.provider, r.status) for r in unverified.rows}
    assert "the pact of checkout c2 -> payments p2 has not been verified" in unverified.reason


def test_can_i_deploy_to_an_environment_uses_what_is_deployed_there(history: History) -> None:
    _verify(history, PAYMENTS_PACT, provider="p1", branch="main", consumer="c1")
    _verify(
        history,
        PAYMENTS_PACT,
        provider="p2",
        branch="main",
        consumer="c1",
        failing={"a request for a payment"},
    )
    store = history.store
    missing = can_i_deploy(store, "checkout", "c1", environment="production", main_branch="main")
    assert not missing.deployable and missing.rows[0].status == RowStatus.MISSING
    assert "no version of payments is recorded as deployed to production" in missing.reason

    store.record_deployment("payments", "p1", "production")
    assert can_i_deploy(store, "checkout", "c1", environment="production", main_branch="main").deployable
    # no consumer runs in production yet, so payments p2 breaks nobody there ...
    assert can_i_deploy(store, "payments", "p2", environment="production", main_branch="main").deployable
    store.record_deployment("checkout", "c1", "production")
    assert not can_i_deploy(store, "payments", "p2", environment="production", main_branch="main").deployable
    assert can_i_deploy(store, "payments", "p1", environment="production", main_branch="main").deployable
    # ... and deploying p2 replaces p1 there, which checkout c1 was verified against.
    store.record_deployment("payments", "p2", "production")
    assert store.deployed("payments", "production") == ["p2"]
    assert not can_i_deploy(store, "checkout", "c1", environment="production", main_branch="main").deployable


def test_the_same_pact_content_counts_for_every_consumer_version(history: History) -> None:
    _verify(history, PAYMENTS_PACT, provider="p1", branch="main", consumer="c1")
    history.store.publish_pact("checkout", "c9", "main", "payments", pact_sha(PAYMENTS_PACT.read_bytes()))
    decision = can_i_deploy(history.store, "checkout", "c9", environment=None, main_branch="main")
    assert decision.deployable, decision.reason


def test_an_unknown_version_is_a_no(history: History) -> None:
    _verify(history, PAYMENTS_PACT, provider="p1", branch="main")
    decision = can_i_deploy(history.store, "checkout", "nope", environment=None, main_branch="main")
    assert not decision.deployable and "no version nope of checkout" in decision.reason


def test_the_consumer_version_of_a_local_pact(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    pact = load_pact(PAYMENTS_PACT)
    monkeypatch.setenv("INTERLOCK_CONSUMER_VERSION", "from-env")
    assert history.versions_for(pact).consumer.number == "from-env"
    monkeypatch.delenv("INTERLOCK_CONSUMER_VERSION")
    history.store.publish_pact(
        "checkout", "published-1", "feat", "payments", pact_sha(PAYMENTS_PACT.read_bytes())
    )
    assert history.versions_for(pact).consumer == VersionInfo("published-1", "feat")


def test_versions_come_from_options_env_ci_then_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "INTERLOCK_PROVIDER_VERSION",
        "INTERLOCK_PROVIDER_BRANCH",
        "GITHUB_SHA",
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
        "CI_COMMIT_SHA",
        "CI_COMMIT_SHORT_SHA",
        "CI_COMMIT_REF_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    assert detect("provider", tmp_path) == VersionInfo("unknown", None)  # not a git tree
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    assert detect("provider", tmp_path) == VersionInfo("0123456", "main")
    monkeypatch.setenv("INTERLOCK_PROVIDER_VERSION", "v7")
    assert detect("provider", tmp_path).number == "v7"
    assert detect("provider", tmp_path, version="opt", branch="b") == VersionInfo("opt", "b")
    monkeypatch.delenv("INTERLOCK_PROVIDER_VERSION")
    monkeypatch.delenv("GITHUB_SHA")
    monkeypatch.delenv("GITHUB_REF_NAME")
    if (REPO / ".git").exists():  # CI may test an export without git
        from_git = detect("provider", REPO)  # this repository: git's short sha
        assert from_git.number != "unknown" and len(from_git.number) >= 7


def test_the_store_survives_reopening(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.record_deployment("payments", "p1", "production")
    with Store(tmp_path) as store:
        assert store.deployed("payments", "production") == ["p1"]
        assert store.environments() == ["production"]
