"""Assemble the inventory FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from examples.shop.common import health
from examples.shop.common.errors import install_error_handlers
from examples.shop.common.provider_states import provider_states_enabled, provider_states_router
from examples.shop.inventory.routes import build_router
from examples.shop.inventory.states import state_handlers
from examples.shop.inventory.warehouse import Warehouse


def create_app(warehouse: Warehouse | None = None, *, provider_states: bool | None = None) -> FastAPI:
    """Build the app around ``warehouse``; ``provider_states`` defaults to ``SHOP_PROVIDER_STATES=1``."""
    warehouse = warehouse or Warehouse()
    app = FastAPI(
        title="Shop inventory",
        version="1.0.0",
        description="Stock levels and reservations. `POST /reservations` honours `Idempotency-Key`.",
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(build_router(warehouse))
    if provider_states is None:
        provider_states = provider_states_enabled()
    if provider_states:
        app.include_router(provider_states_router(state_handlers(warehouse), reset=warehouse.reset))
    app.state.warehouse = warehouse
    return app


app = create_app()
