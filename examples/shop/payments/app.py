"""Assemble the payments FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from examples.shop.common.app import provider_app
from examples.shop.payments.ledger import PaymentLedger
from examples.shop.payments.routes import build_router
from examples.shop.payments.states import state_handlers


def create_app(ledger: PaymentLedger | None = None, *, provider_states: bool | None = None) -> FastAPI:
    """Build the app around ``ledger``; ``provider_states`` defaults to ``SHOP_PROVIDER_STATES=1``."""
    ledger = ledger or PaymentLedger()
    app = provider_app(
        title="Shop payments",
        description="Captures and refunds payments. Writes honour `Idempotency-Key`.",
        router=build_router(ledger),
        state_handlers=state_handlers(ledger),
        reset=ledger.reset,
        provider_states=provider_states,
    )
    app.state.ledger = ledger
    return app


app = create_app()
