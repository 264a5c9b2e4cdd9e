"""can-i-deploy from the local store: is this version compatible with what it will meet?

What it will meet: with an environment, the versions recorded as deployed there; without one,
the newest version of each counterpart on the main branch. As a consumer, every provider it
has a pact with must have verified that pact successfully (a provider that is not there is a
"no": nothing proves the pact holds). As a provider, it must have verified the pact of each
consumer version it will meet (a consumer that is not there asks nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from interlock.history.store import Store


class RowStatus(StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    UNVERIFIED = "unverified"
    MISSING = "missing"


@dataclass(frozen=True)
class MatrixRow:
    """One consumer version against one provider version, and what the store knows about it."""

    consumer: str
    consumer_version: str
    provider: str
    provider_version: str
    status: RowStatus
    verified_at: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == RowStatus.VERIFIED


@dataclass
class Decision:
    pacticipant: str
    version: str
    target: str
    rows: list[MatrixRow] = field(default_factory=list)
    #: Set when the question itself cannot be answered (an unknown pacticipant or version).
    problem: str | None = None

    @property
    def deployable(self) -> bool:
        return self.problem is None and all(row.ok for row in self.rows)

    @property
    def reason(self) -> str:
        if self.problem:
            return self.problem
        bad = [row for row in self.rows if not row.ok]
        if not bad:
            return (
                f"all required verification results are published and successful ({len(self.rows)})"
                if self.rows
                else "there are no integrations to check"
            )
        return "; ".join(_why(row) for row in bad)


def _why(row: MatrixRow) -> str:
    pair = f"{row.consumer} {row.consumer_version} -> {row.provider} {row.provider_version}"
    if row.status == RowStatus.FAILED:
        return f"the verification of {pair} failed"
    if row.status == RowStatus.UNVERIFIED:
        return f"the pact of {pair} has not been verified"
    return row.note


def can_i_deploy(
    store: Store, pacticipant: str, version: str, *, environment: str | None, main_branch: str
) -> Decision:
    target = f"environment {environment}" if environment else f"the latest {main_branch} versions"
    decision = Decision(pacticipant, version, target)
    if not store.knows(pacticipant):
        decision.problem = f"the store knows no pacticipant '{pacticipant}'"
        return decision
    if not store.has_version(pacticipant, version):
        decision.problem = f"the store knows no version {version} of {pacticipant}"
        return decision

    for pact in store.pacts_of_consumer(pacticipant, version):
        provider = pact["provider"]
        targets = (
            store.deployed(provider, environment) if environment else _latest(store, provider, main_branch)
        )
        if not targets:
            where = f"deployed to {environment}" if environment else f"on branch {main_branch}"
            decision.rows.append(
                MatrixRow(
                    pacticipant,
                    version,
                    provider,
                    "?",
                    RowStatus.MISSING,
                    note=f"no version of {provider} is recorded as {where}, so nothing"
                    f" proves the pact of {pacticipant} {version} holds",
                )
            )
        for provider_version in targets:
            decision.rows.append(_row(store, pacticipant, version, provider, provider_version))

    for consumer in store.consumers_of(pacticipant):
        if environment:
            versions = store.deployed(consumer, environment)
        else:
            latest = store.latest_on_branch(consumer, main_branch, with_pact_for=pacticipant)
            versions = [latest] if latest else []
        for consumer_version in versions:
            if store.pact(consumer, consumer_version, pacticipant) is not None:
                decision.rows.append(_row(store, consumer, consumer_version, pacticipant, version))
    return decision


def _latest(store: Store, pacticipant: str, branch: str) -> list[str]:
    latest = store.latest_on_branch(pacticipant, branch)
    return [latest] if latest else []


def _row(
    store: Store, consumer: str, consumer_version: str, provider: str, provider_version: str
) -> MatrixRow:
    verification = store.latest_verification(consumer, consumer_version, provider, provider_version)
    if verification is None:
        return MatrixRow(consumer, consumer_version, provider, provider_version, RowStatus.UNVERIFIED)
    status = RowStatus.VERIFIED if verification.success else RowStatus.FAILED
    return MatrixRow(consumer, consumer_version, provider, provider_version, status, verification.verified_at)
