"""What every shop provider app has in common, so a provider's ``create_app`` says only what is its own.

The shared conventions: the one error body, ``GET /health``, and the test-only provider-state
hook, mounted only when asked for (``SHOP_PROVIDER_STATES=1`` by default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, FastAPI

from examples.shop.common import health
from examples.shop.common.errors import install_error_handlers
from examples.shop.common.provider_states import StateHandler, provider_states_enabled, provider_states_router


def provider_app(
    *,
    title: str,
    description: str,
    router: APIRouter,
    state_handlers: Mapping[str, StateHandler],
    reset: Callable[[], None],
    provider_states: bool | None = None,
) -> FastAPI:
    """A FastAPI app serving ``router`` with the shop's errors, health and provider-state hook."""
    app = FastAPI(title=title, version="1.0.0", description=description)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(router)
    if provider_states is None:
        provider_states = provider_states_enabled()
    if provider_states:
        app.include_router(provider_states_router(state_handlers, reset=reset))
    return app
