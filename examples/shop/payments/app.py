"""Assemble the payments FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from examples.shop.common.app import provider_app
from examples.shop.payments.ledger import PaymentLedger
from examples.shop.payments.routes import build_router
from examples.shop.payments.states import state_handlers
from examples.shop.payments.tokens import TokenIssuer, install_tokens


def create_app(
    ledger: PaymentLedger | None = None,
    *,
    provider_states: bool | None = None,
    tokens: TokenIssuer | None = None,
) -> FastAPI:
    """Build the app around ``ledger``; ``provider_states`` defaults to ``SHOP_PROVIDER_STATES=1``,
    ``tokens`` (client credentials, :mod:`.tokens`) to ``PAYMENTS_CLIENT_ID``/``_SECRET`` if set."""
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
    tokens = tokens or TokenIssuer.from_env()
    if tokens is not None:
        install_tokens(app, tokens)
    return app


app = create_app()
