"""Assemble the payments FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from examples.shop.common import health
from examples.shop.common.errors import install_error_handlers
from examples.shop.common.provider_states import provider_states_enabled, provider_states_router
from examples.shop.payments.ledger import PaymentLedger
from examples.shop.payments.routes import build_router
from examples.shop.payments.states import state_handlers


def create_app(ledger: PaymentLedger | None = None, *, provider_states: bool | None = None) -> FastAPI:
    """Build the app around ``ledger``; ``provider_states`` defaults to ``SHOP_PROVIDER_STATES=1``."""
    ledger = ledger or PaymentLedger()
    app = FastAPI(
        title="Shop payments",
        version="1.0.0",
        description="Captures and refunds payments. Writes honour `Idempotency-Key`.",
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(build_router(ledger))
    if provider_states is None:
        provider_states = provider_states_enabled()
    if provider_states:
        app.include_router(provider_states_router(state_handlers(ledger), reset=ledger.reset))
    app.state.ledger = ledger
    return app


app = create_app()
