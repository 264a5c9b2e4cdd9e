"""The verification store's own writes and queries, without the contracts stage around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.history.store import (
    DB_FILE,
    HOME_DIR,
    HOME_ENV,
    InteractionOutcome,
    Store,
    Verification,
    home_dir,
    pact_sha,
)
from tests.helpers import REPO


def verification(
    provider_version: str, *, success: bool, sha: str = "sha-1", branch: str = "main"
) -> Verification:
    return Verification("checkout", "c1", "main", "payments", provider_version, branch, sha, success, "")


def test_home_dir_override_env_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOME_ENV, raising=False)
    assert home_dir(tmp_path) == tmp_path / HOME_DIR
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "env"))
    assert home_dir(tmp_path) == tmp_path / "env"
    assert home_dir(tmp_path, tmp_path / "opt") == tmp_path / "opt"


def test_pact_sha_ignores_whitespace_and_key_order() -> None:
    content = (REPO / "contracts" / "pacts" / "checkout-payments.json").read_bytes()
    assert pact_sha(content) == pact_sha(json.dumps(json.loads(content), sort_keys=True).encode())
    assert pact_sha(b'{"b": 1,\n "a": [1, 2]}') == pact_sha(b'{"a":[1,2],"b":1}')
    assert pact_sha(b'{"a": [2, 1]}') != pact_sha(b'{"a": [1, 2]}')
    assert len(pact_sha(content)) == 64


def test_versions_keep_a_known_branch(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.add_version("payments", "p1", "feature")
        store.add_version("payments", "p1", None)  # a deployment does not know the branch
        assert store.version_branch("payments", "p1") == "feature"
        store.add_version("payments", "p1", "main")
        assert store.version_branch("payments", "p1") == "main"
        assert store.version_branch("payments", "p9") is None
        assert store.knows("payments") and not store.knows("checkout")
        assert store.has_version("payments", "p1") and not store.has_version("payments", "p2")
        assert store.pacticipants() == ["payments"]
    assert (tmp_path / DB_FILE).is_file()


def test_pacts_latest_versions_and_the_version_of_some_content(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.publish_pact("checkout", "c1", "main", "payments", "sha-1")
        store.publish_pact("checkout", "c2", "feat", "payments", "sha-1")
        store.publish_pact("checkout", "c3", "main", "inventory", "sha-9")
        store.publish_pact("checkout", "c1", "main", "payments", "sha-2")  # republished: replaces
        assert [r["provider"] for r in store.pacts_of_consumer("checkout", "c1")] == ["payments"]
        assert store.pact("checkout", "c1", "payments")["sha"] == "sha-2"
        assert store.pact("checkout", "c1", "inventory") is None
        assert store.consumers_of("payments") == ["checkout"] and store.consumers_of("checkout") == []
        assert store.version_for_pact("checkout", "payments", "sha-1") == "c2"
        assert store.version_for_pact("checkout", "payments", "sha-3") is None
        assert store.latest_on_branch("checkout", "main") == "c3"
        assert store.latest_on_branch("checkout", "main", with_pact_for="payments") == "c1"
        assert store.latest_on_branch("checkout", "release") is None


def test_verifications_and_interaction_results(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.publish_pact("checkout", "c1", "main", "payments", "sha-1")
        outcomes = [
            InteractionOutcome("k1", "one", True, False),
            InteractionOutcome("k2", "two", False, True),
        ]
        first = store.record_verification(verification("p1", success=False), outcomes, run_id="r1")
        second = store.record_verification(verification("p1", success=True), outcomes[:1])
        assert second > first
        latest = store.latest_verification("checkout", "c1", "payments", "p1")
        assert latest is not None and latest.success and latest.verified_at  # stamped when not given
        assert store.latest_verification("checkout", "c1", "payments", "p2") is None
        assert store.passed_on_branch("checkout", "payments", "main", ["k1", "k2", "k3"]) == {"k1"}
        assert store.passed_on_branch("checkout", "payments", "feature", ["k1"]) == set()
        assert store.passed_on_branch("checkout", "payments", "main", []) == set()
        assert store.has_verified_on_branch("checkout", "payments", "main")
        assert not store.has_verified_on_branch("checkout", "payments", "feature")
        assert store.version_branch("payments", "p1") == "main"


def test_a_verification_of_an_unpublished_pact_publishes_it(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.record_verification(verification("p1", success=True, sha="sha-7"), [])
        assert store.pact("checkout", "c1", "payments")["sha"] == "sha-7"


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        with pytest.raises(ZeroDivisionError), store._transaction() as db:
            db.execute("INSERT INTO versions VALUES ('x', '1', NULL, 'now')")
            raise ZeroDivisionError
        assert not store.knows("x")


def test_deployments_replace_the_previous_version_per_environment(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.record_deployment("payments", "p1", "staging")
        store.record_deployment("payments", "p1", "production")
        store.record_deployment("payments", "p2", "staging")
        assert store.deployed("payments", "staging") == ["p2"]
        assert store.deployed("payments", "production") == ["p1"]
        assert store.deployed("checkout", "staging") == []
        assert store.environments() == ["production", "staging"]


def test_an_unusable_home_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=f"cannot open the verification store: .*set {HOME_ENV}"):
        Store(blocker / "home")
