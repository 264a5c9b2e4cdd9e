"""Contract-scoped load: a locustfile generated from an integration's pact interactions.

Load should exercise what consumers really call, so when a profile names no locustfile the task
mix is the pacts' requests, each expecting the status its pact expects. Only requests that are
safe to repeat thousands of times go in:

* GET, HEAD, OPTIONS, PUT and DELETE are idempotent by HTTP's definition;
* POST and PATCH only with an ``Idempotency-Key`` header (repeats are replays). A key that the
  interaction's provider state set up is kept (it is what makes the request valid); any other key
  is made unique to its interaction, so two interactions never collide on one key.

The provider states of the chosen interactions are set up once before the run, then each request
is sent once (a dry run): an interaction whose answer is not the status its pact expects (its
state conflicts with another, say) is left out, with the reason in the report.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from interlock.core.provider_states import StateChangeFailed, change_state
from interlock.pacts.pactfile import PactFile, PactInteraction, ProviderState

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
KEYED_METHODS = frozenset({"POST", "PATCH"})
IDEMPOTENCY_HEADER = "idempotency-key"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_KEY_NAMESPACE = uuid.UUID("6b0c3d1e-6f7a-4c51-9d8e-2a4f5b6c7d8e")


@dataclass(frozen=True)
class PactTask:
    """One request of the generated mix."""

    description: str
    method: str
    path: str
    expect_status: int
    query: dict[str, list[str]]
    headers: dict[str, str]
    json_body: Any = None
    text_body: str | None = None


@dataclass(frozen=True)
class Excluded:
    description: str
    reason: str


@dataclass(frozen=True)
class TaskPlan:
    tasks: list[PactTask]
    excluded: list[Excluded]
    states: list[ProviderState]


def plan_tasks(pacts: Iterable[PactFile]) -> TaskPlan:
    """The interactions that are safe to repeat under load, and the states they need."""
    tasks: list[PactTask] = []
    excluded: list[Excluded] = []
    states: list[ProviderState] = []
    for pact in pacts:
        for interaction in pact.interactions:
            reason = _unsafe(interaction)
            if reason:
                excluded.append(Excluded(interaction.description, reason))
                continue
            tasks.append(_task(interaction, pact))
            states += [s for s in interaction.states if s not in states]
    # States without parameters ("no reservations exist") usually clear data and states with
    # parameters create it: clearing first lets both kinds of interaction into the mix.
    return TaskPlan(tasks, excluded, sorted(states, key=lambda s: bool(s.params)))


def _unsafe(interaction: PactInteraction) -> str | None:
    request = interaction.request
    if request is None or interaction.kind != "Synchronous/HTTP":
        return f"a {interaction.kind} interaction, not an HTTP request"
    if interaction.pending:
        return "pending in the pact (not yet verified against the provider)"
    if request.method in IDEMPOTENT_METHODS:
        return None
    if request.method in KEYED_METHODS:
        if any(name.lower() == IDEMPOTENCY_HEADER for name in request.headers):
            return None
        return f"{request.method} without an Idempotency-Key: repeating it would create data every time"
    return f"{request.method} is not safe to repeat under load"


def _task(interaction: PactInteraction, pact: PactFile) -> PactTask:
    request = interaction.request
    assert request is not None
    state_values = {json.dumps(v) for s in interaction.states for v in s.params.values()}
    headers: dict[str, str] = {}
    for name, values in request.headers.items():
        value = ", ".join(values)
        if name.lower() == IDEMPOTENCY_HEADER and json.dumps(value) not in state_values:
            value = _unique_key(value, f"{pact.path.name}:{interaction.description}")
        headers[name] = value
    body, text = request.body, None
    is_json = body is not None and (
        isinstance(body, dict | list) or "json" in (request.content_type or "json")
    )
    if body is not None and not is_json:
        body, text = None, str(request.body)
    return PactTask(
        interaction.description,
        request.method,
        request.path,
        interaction.response.status if interaction.response else 200,
        dict(request.query),
        headers,
        body if is_json else None,
        text,
    )


def _unique_key(key: str, seed: str) -> str:
    """The same key shape, unique to one interaction (its UUID part replaced, or a suffix added)."""
    replacement = str(uuid.uuid5(_KEY_NAMESPACE, seed))
    return _UUID.sub(replacement, key, count=1) if _UUID.search(key) else f"{key}-{replacement[:8]}"


def set_states(states: Iterable[ProviderState], states_url: str, timeout_s: float = 5.0) -> None:
    """Set each provider state once (``setup``) through the provider's state endpoint."""
    with httpx.Client(timeout=timeout_s) as client:
        for state in states:
            try:
                change_state(client, states_url, state.name, state.params, "setup")
            except StateChangeFailed as exc:
                raise StateSetupFailed(f"provider state '{state}' could not be set up: {exc}") from None


class StateSetupFailed(Exception):
    """A provider state the load needs could not be set up."""


def dry_run(
    tasks: Iterable[PactTask], base_url: str, timeout_s: float = 5.0
) -> tuple[list[PactTask], list[Excluded]]:
    """Send each task once; keep those answered with the status their pact expects."""
    kept: list[PactTask] = []
    excluded: list[Excluded] = []
    with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
        for task in tasks:
            try:
                response = client.request(
                    task.method,
                    task.path,
                    params=task.query,
                    headers=task.headers,
                    json=task.json_body,
                    content=task.text_body,
                )
            except httpx.HTTPError as exc:
                excluded.append(
                    Excluded(task.description, f"the dry run failed: {type(exc).__name__}: {exc}")
                )
                continue
            if response.status_code == task.expect_status:
                kept.append(task)
            else:
                excluded.append(
                    Excluded(
                        task.description,
                        f"answered {response.status_code} in the dry run where"
                        f" the pact expects {task.expect_status} (its provider state conflicts"
                        " with another interaction's)",
                    )
                )
    return kept, excluded


def write_locustfile(tasks: list[PactTask], path: Path, think_time_s: float) -> Path:
    """A standalone locustfile (runnable with plain ``locust -f``) holding ``tasks``."""
    data = json.dumps([asdict(t) for t in tasks], indent=1)
    path.write_text(
        _LOCUSTFILE.format(tasks=data, low=think_time_s * 0.5, high=think_time_s * 1.5), encoding="utf-8"
    )
    return path


_LOCUSTFILE = '''"""Generated by interlock from the integration's pact interactions: do not edit.

Each task replays one pact request and counts as a failure unless the provider answers the
status the pact expects.
"""

import json

from locust import FastHttpUser, between

TASKS = json.loads(r"""{tasks}""")


def _make_task(spec):
    def task(user):
        kwargs = {{"headers": spec["headers"], "name": spec["path"], "catch_response": True}}
        if spec["query"]:
            kwargs["params"] = {{k: v[0] if len(v) == 1 else v for k, v in spec["query"].items()}}
        if spec["json_body"] is not None:
            kwargs["json"] = spec["json_body"]
        elif spec["text_body"] is not None:
            kwargs["data"] = spec["text_body"]
        with user.client.request(spec["method"], spec["path"], **kwargs) as response:
            if response.status_code != spec["expect_status"]:
                response.failure(f"{{spec['description']}}: status {{response.status_code}},"
                                 f" the pact expects {{spec['expect_status']}}")
            else:
                response.success()

    task.__name__ = spec["description"]
    return task


class PactUser(FastHttpUser):
    wait_time = between({low:g}, {high:g})
    tasks = [_make_task(spec) for spec in TASKS]
'''
