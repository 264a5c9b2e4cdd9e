"""Putting a provider into a named state through its ``states:`` endpoint (the manifest's hook).

The body is what the Pact verifier sends with ``state_handler(url, teardown=True, body=True)``:
``{"state": NAME, "params": {...}, "action": "setup" | "teardown"}``. The contracts stage
forwards the Pact core's calls with it, and the load stage sets states up before a run, so a
provider writes one hook and both stages reach it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import httpx

Action = Literal["setup", "teardown"]
#: How much of a failing endpoint's answer a message quotes.
ANSWER_EXCERPT = 300


class StateChangeFailed(Exception):
    """The endpoint could not be reached, or answered something other than 2xx."""


def state_change_body(state: str, params: Mapping[str, Any] | None, action: str = "setup") -> dict[str, Any]:
    """The JSON body of one state change, as the provider's hook reads it."""
    return {"state": state, "params": dict(params or {}), "action": action}


def read_state_change(body: Any) -> tuple[str, str, dict[str, Any] | None]:
    """``(state, action, params)`` from a decoded state-change body; ValueError if it is not one.

    The inverse of :func:`state_change_body`, for the contracts stage, which receives the Pact
    core's calls before forwarding them. A missing action is ``setup``, as the verifier means it.
    """
    if not isinstance(body, Mapping):
        raise ValueError(f"a state change is a JSON object, got {type(body).__name__}")
    params = body.get("params")
    if params is not None and not isinstance(params, Mapping):
        raise ValueError(f"'params' must be a JSON object, got {type(params).__name__}")
    return (
        str(body.get("state", "")),
        str(body.get("action", "setup")),
        dict(params) if params is not None else None,
    )


def change_state(
    client: httpx.Client, url: str, state: str, params: Mapping[str, Any] | None, action: str = "setup"
) -> None:
    """POST one state change to ``url``; StateChangeFailed saying what went wrong otherwise.

    ``action`` is a plain string: the contracts stage passes on whatever the Pact core asks for.
    """
    try:
        response = client.post(url, json=state_change_body(state, params, action))
    except httpx.HTTPError as exc:
        raise StateChangeFailed(f"POST {url} failed: {type(exc).__name__}: {exc}") from None
    if not response.is_success:
        raise StateChangeFailed(
            f"POST {url} answered {response.status_code}: {response.text[:ANSWER_EXCERPT]}"
        )
