"""The test-only ``POST /_pact/states`` hook that puts a provider into a named state.

A Pact verifier calls it before (``setup``) and after (``teardown``) replaying each
interaction. It is mounted only when ``SHOP_PROVIDER_STATES=1``, because it lets
any caller rewrite the service's data, and it is hidden from the OpenAPI document,
which describes the public API only.

A handler must never fail with a 5xx: the Pact verifier retries a failing state
call about 8 times with backoff (minutes per interaction). Unknown states and bad
parameters therefore answer 400 at once, with a message naming the problem.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from examples.shop.common.errors import ApiError

ENV_FLAG = "SHOP_PROVIDER_STATES"

P = TypeVar("P", bound=BaseModel)
StateHandler = Callable[[Mapping[str, Any]], None]


class StateChange(BaseModel):
    """The body the Pact verifier sends (``state_handler(url, teardown=True, body=True)``)."""

    state: str
    params: dict[str, Any] | None = None
    action: Literal["setup", "teardown"] = "setup"


def provider_states_enabled() -> bool:
    return os.environ.get(ENV_FLAG) == "1"


def parse_params(model: type[P], params: Mapping[str, Any]) -> P:
    """Validate state params, turning mistakes into a 400 the verifier reports at once."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        raise ApiError(400, "invalid_provider_state_params", str(exc)) from exc


def provider_states_router(handlers: Mapping[str, StateHandler], reset: Callable[[], None]) -> APIRouter:
    """Build the hook: ``setup`` runs the state's handler, ``teardown`` calls ``reset``.

    The empty state name is a no-op for both actions; verifiers send it for
    interactions declared without a provider state.
    """
    router = APIRouter()

    @router.post("/_pact/states", include_in_schema=False)
    def change_state(change: StateChange) -> JSONResponse:
        if change.state == "":
            return JSONResponse({})
        handler = handlers.get(change.state)
        if handler is None:
            known = ", ".join(repr(name) for name in sorted(handlers))
            raise ApiError(400, "unknown_provider_state", f"unknown state {change.state!r}; known: {known}")
        if change.action == "teardown":
            reset()
        else:
            handler(change.params or {})
        return JSONResponse({})

    return router
