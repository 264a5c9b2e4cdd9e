"""What the contracts stage asks of the history: which interactions are pending, and recording.

An interaction is *pending* while it has never passed against the provider built from its main
branch: its failures are reported as warnings and do not fail the gate, so a consumer can add an
expectation before the provider implements it. Once it has passed once on main, it gates.
``INTERLOCK_PENDING=off`` makes every interaction gate from the start.

Pending needs history to tell a new interaction from an old one. Where the store has never seen
the provider's main branch verified against this consumer (a fresh CI machine without a cached
``.interlock/``), every interaction gates: a gate that cannot fail on a clean checkout would
be worse than one that is strict on its first run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from interlock.core.verdict import CheckResult, Status
from interlock.history import versions
from interlock.history.store import InteractionOutcome, Store, Verification, home_dir, pact_sha
from interlock.pacts.pactfile import PactFile, PactInteraction

PENDING_ENV = "INTERLOCK_PENDING"


def interaction_key(consumer: str, provider: str, interaction: PactInteraction) -> str:
    """A stable identity for an interaction: who, what it is called, and the states it needs."""
    states = sorted([s.name, json.dumps(s.params, sort_keys=True)] for s in interaction.states)
    text = json.dumps([consumer, provider, interaction.kind, interaction.description, states])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def pending_enabled() -> bool:
    return os.environ.get(PENDING_ENV, "on").strip().lower() not in {"off", "0", "false", "no"}


@dataclass(frozen=True)
class PactVersions:
    consumer: versions.VersionInfo
    provider: versions.VersionInfo
    sha: str


class History:
    """The store, seen from one run of the contracts stage (one provider version)."""

    def __init__(self, base_dir: Path, run_id: str) -> None:
        self.base_dir = base_dir
        self.run_id = run_id
        self.main_branch = versions.main_branch()
        self.store = Store(home_dir(base_dir))

    def close(self) -> None:
        self.store.close()

    def versions_for(self, pact: PactFile) -> PactVersions:
        """The provider version under test and the consumer version whose pact this is.

        The consumer version: ``INTERLOCK_CONSUMER_VERSION``, else the version this exact pact
        content was published under (``interlock publish``), else git where the pact file is.
        """
        sha = pact_sha(pact.path.read_bytes())
        provider = versions.detect("provider", self.base_dir)
        published = (
            None
            if os.environ.get("INTERLOCK_CONSUMER_VERSION")
            else self.store.version_for_pact(pact.consumer, pact.provider, sha)
        )
        if published is not None:
            consumer = versions.VersionInfo(published, self.store.version_branch(pact.consumer, published))
        else:
            consumer = versions.detect("consumer", pact.path)
        return PactVersions(consumer, provider, sha)

    def pending(self, pact: PactFile) -> set[str]:
        """Keys of the interactions of ``pact`` that never passed on the provider's main branch."""
        if not pending_enabled():
            return set()
        if not self.store.has_verified_on_branch(pact.consumer, pact.provider, self.main_branch):
            return set()  # no history to tell new interactions from old ones: everything gates
        keys = [interaction_key(pact.consumer, pact.provider, i) for i in pact.interactions]
        passed = self.store.passed_on_branch(pact.consumer, pact.provider, self.main_branch, keys)
        return set(keys) - passed

    def record(
        self, pact: PactFile, found: PactVersions, checks: list[CheckResult], pending: set[str]
    ) -> None:
        """One verification row for the pact and one result row per interaction."""
        outcomes = []
        for interaction, check in zip(pact.interactions, checks, strict=True):
            key = interaction_key(pact.consumer, pact.provider, interaction)
            outcomes.append(
                InteractionOutcome(
                    key,
                    interaction.description,
                    check.status == Status.PASSED and not check.findings,
                    key in pending,
                )
            )
        verification = Verification(
            pact.consumer,
            found.consumer.number,
            found.consumer.branch,
            pact.provider,
            found.provider.number,
            found.provider.branch,
            found.sha,
            all(o.success for o in outcomes),
            datetime.now(UTC).isoformat(timespec="microseconds"),
        )
        self.store.record_verification(verification, outcomes, self.run_id)
