"""can-i-deploy from a store filled directly: rows, the yes/no and the reason it gives."""

from __future__ import annotations

import io
from pathlib import Path

from interlock.history.matrix import Decision, MatrixRow, RowStatus, can_i_deploy
from interlock.history.store import Store, Verification
from interlock.history.table import render


def verified(store: Store, consumer_version: str, provider_version: str, *, success: bool = True) -> None:
    store.record_verification(
        Verification(
            "checkout", consumer_version, "main", "payments", provider_version, "main", "sha", success, ""
        ),
        [],
    )


def test_reasons() -> None:
    assert Decision("a", "1", "t").reason == "there are no integrations to check"
    ok = MatrixRow("a", "1", "b", "2", RowStatus.VERIFIED)
    yes = Decision("a", "1", "t", [ok, ok])
    assert (
        yes.deployable and yes.reason == "all required verification results are published and successful (2)"
    )
    failed = MatrixRow("a", "1", "b", "2", RowStatus.FAILED)
    unverified = MatrixRow("a", "1", "c", "3", RowStatus.UNVERIFIED)
    missing = MatrixRow("a", "1", "d", "?", RowStatus.MISSING, note="nothing deployed")
    no = Decision("a", "1", "t", [ok, failed, unverified, missing])
    assert not no.deployable
    assert no.reason == (
        "the verification of a 1 -> b 2 failed; "
        "the pact of a 1 -> c 3 has not been verified; "
        "nothing deployed"
    )
    problem = Decision("a", "1", "t", [ok], problem="the store knows no pacticipant 'a'")
    assert not problem.deployable and problem.reason == "the store knows no pacticipant 'a'"


def test_the_newest_verification_on_main_decides(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        verified(store, "c1", "p1", success=False)
        verified(store, "c1", "p1")  # re-verified after a fix
        decision = can_i_deploy(store, "checkout", "c1", environment=None, main_branch="main")
        assert decision.target == "the latest main versions"
        assert decision.deployable, decision.reason
        (row,) = decision.rows
        assert (row.provider, row.provider_version, row.status, row.ok) == (
            "payments",
            "p1",
            RowStatus.VERIFIED,
            True,
        )
        assert row.verified_at
        # a provider version on another branch is not what checkout meets
        store.record_verification(
            Verification("checkout", "c1", "main", "payments", "p-feat", "feat", "sha", False, ""), []
        )
        assert can_i_deploy(store, "checkout", "c1", environment=None, main_branch="main").deployable
        assert not can_i_deploy(store, "checkout", "c1", environment=None, main_branch="feat").deployable


def test_a_provider_is_checked_against_the_consumers_it_will_meet(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        verified(store, "c1", "p1")
        store.publish_pact("checkout", "c2", "main", "payments", "sha-new")  # newest on main, unverified
        decision = can_i_deploy(store, "payments", "p1", environment=None, main_branch="main")
        assert [(r.consumer_version, r.status) for r in decision.rows] == [("c2", RowStatus.UNVERIFIED)]
        assert decision.reason == "the pact of checkout c2 -> payments p1 has not been verified"
        staging = can_i_deploy(store, "payments", "p1", environment="staging", main_branch="main")
        assert staging.target == "environment staging"
        assert staging.deployable and staging.rows == []  # no consumer runs in staging
        store.record_deployment("checkout", "c1", "staging")
        assert [
            r.status
            for r in can_i_deploy(store, "payments", "p1", environment="staging", main_branch="main").rows
        ] == [RowStatus.VERIFIED]


def test_unknown_pacticipants_and_versions(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        verified(store, "c1", "p1")
        unknown = can_i_deploy(store, "orders", "1", environment=None, main_branch="main")
        assert unknown.problem == "the store knows no pacticipant 'orders'"
        assert can_i_deploy(store, "payments", "p9", environment=None, main_branch="main").problem == (
            "the store knows no version p9 of payments"
        )


def test_the_table_shows_rows_and_the_answer(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        verified(store, "c1", "p1", success=False)
        decision = can_i_deploy(store, "checkout", "c1", environment=None, main_branch="main")
    stream = io.StringIO()
    render(decision, stream, source="local store")
    text = stream.getvalue()
    assert "checkout c1 against the latest main versions (local store)" in text
    shown = decision.rows[0].verified_at[:19].replace("T", " ")  # to the second, no "T"
    row = next(line for line in text.splitlines() if "payments" in line)
    assert "failed" in row and shown in row, text
    assert text.rstrip().endswith("can-i-deploy: no: the verification of checkout c1 -> payments p1 failed")


def test_the_table_without_rows_is_only_the_answer() -> None:
    stream = io.StringIO()
    render(Decision("a", "1", "environment prod"), stream, source="broker")
    assert stream.getvalue() == "can-i-deploy: yes: there are no integrations to check\n"
