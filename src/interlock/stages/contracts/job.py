"""What the contracts stage hands to its verifier child, and what the child hands back.

Plain pydantic models with no Pact types, so the parent never imports the Pact core and the
contract between the two processes is written down in one place (see
:mod:`interlock.core.worker` for how they travel).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from interlock.core.worker import WorkerJob


class BrokerSelection(BaseModel):
    """Verify what a Pact broker selects, and publish the results back to it.

    ``token`` and ``password`` are masked in the job file; the child gets them through the
    environment (:data:`interlock.core.worker.JOB_ENV`).
    """

    url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None
    #: Consumer version selectors, as keyword arguments of pact-python's ``consumer_version``.
    selectors: list[dict[str, Any]]
    provider_version: str
    provider_branch: str | None = None


class VerificationJob(WorkerJob):
    """Verify one pact file (``pact``) or a broker's selection (``broker``) against a provider."""

    provider: str
    provider_url: str
    #: The provider's state endpoint; None when the manifest declares none.
    states_url: str | None = None
    #: Per provider-state call.
    state_timeout_s: float
    #: Message description -> "module:function" that produces it.
    messages: dict[str, str] = Field(default_factory=dict)
    #: Where the message producers' modules are imported from.
    search_path: list[str] = Field(default_factory=list)
    pact: str | None = None
    broker: BrokerSelection | None = None


class VerificationOutcome(BaseModel):
    """What the verifier child writes when it is done."""

    #: The Pact core's own JSON results (pact-python's ``Verifier.results``).
    results: dict[str, Any] = Field(default_factory=dict)
    #: Provider-state calls that failed: state, action, params, error.
    state_failures: list[dict[str, Any]] = Field(default_factory=list)
    #: Messages that could not be produced: description, error.
    message_failures: list[dict[str, Any]] = Field(default_factory=list)
    #: Set when the verification could not run to its end.
    error: str | None = None
