"""HTTP routes of the payments API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from examples.shop.common.errors import error_responses
from examples.shop.common.idempotency import (
    REPLAYED_HEADER_DOC,
    IdempotencyKey,
    fingerprint,
    respond_idempotently,
)
from examples.shop.payments.ledger import PaymentLedger
from examples.shop.payments.models import Payment, PaymentCreate, Refund, RefundCreate


def create_payment_fingerprint(request: PaymentCreate) -> str:
    """Fingerprint of ``POST /payments``; provider states reuse it to seed a key's history."""
    return fingerprint("POST /payments", request)


def _created(description: str) -> dict[int | str, dict[str, Any]]:
    return {201: {"description": description, "headers": REPLAYED_HEADER_DOC}}


def build_router(ledger: PaymentLedger) -> APIRouter:
    router = APIRouter(tags=["payments"])

    @router.post(
        "/payments",
        status_code=201,
        response_model=Payment,
        summary="Capture a payment",
        responses={
            **_created("Captured (or the replayed answer for this key)"),
            **error_responses(400, 402, 409, 422),
        },
    )
    def create_payment(body: PaymentCreate, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return respond_idempotently(
            ledger.idempotency,
            idempotency_key,
            create_payment_fingerprint(body),
            lambda: ledger.capture(body),
            status_code=201,
        )

    @router.get(
        "/payments/{payment_id}",
        response_model=Payment,
        summary="Get a payment",
        responses=error_responses(404, 422),
    )
    def get_payment(payment_id: str) -> Payment:
        return ledger.get(payment_id)

    @router.post(
        "/payments/{payment_id}/refunds",
        status_code=201,
        response_model=Refund,
        summary="Refund part or all of a payment",
        responses={
            **_created("Refunded (or the replayed answer for this key)"),
            **error_responses(400, 404, 409, 422),
        },
    )
    def create_refund(
        payment_id: str, body: RefundCreate, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        return respond_idempotently(
            ledger.idempotency,
            idempotency_key,
            fingerprint(f"POST /payments/{payment_id}/refunds", body),
            lambda: ledger.refund(payment_id, body.amount),
            status_code=201,
        )

    return router
