"""Assemble the inventory FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from examples.shop.common.app import provider_app
from examples.shop.inventory.routes import build_router
from examples.shop.inventory.states import state_handlers
from examples.shop.inventory.warehouse import Warehouse


def create_app(warehouse: Warehouse | None = None, *, provider_states: bool | None = None) -> FastAPI:
    """Build the app around ``warehouse``; ``provider_states`` defaults to ``SHOP_PROVIDER_STATES=1``."""
    warehouse = warehouse or Warehouse()
    app = provider_app(
        title="Shop inventory",
        description="Stock levels and reservations. `POST /reservations` honours `Idempotency-Key`.",
        router=build_router(warehouse),
        state_handlers=state_handlers(warehouse),
        reset=warehouse.reset,
        provider_states=provider_states,
    )
    app.state.warehouse = warehouse
    return app


app = create_app()
