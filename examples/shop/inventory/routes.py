"""HTTP routes of the inventory API."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from examples.shop.common.errors import error_responses
from examples.shop.common.idempotency import (
    REPLAYED_HEADER_DOC,
    IdempotencyKey,
    fingerprint,
    respond_idempotently,
)
from examples.shop.inventory.models import Reservation, ReservationCreate, StockLevel
from examples.shop.inventory.warehouse import Warehouse


def build_router(warehouse: Warehouse) -> APIRouter:
    router = APIRouter(tags=["inventory"])

    @router.get(
        "/stock/{sku}",
        response_model=StockLevel,
        summary="Stock available for a SKU",
        responses=error_responses(404, 422),
    )
    def get_stock(sku: str) -> StockLevel:
        return warehouse.stock_level(sku)

    @router.post(
        "/reservations",
        status_code=201,
        response_model=Reservation,
        summary="Hold stock for an order",
        responses={
            201: {
                "description": "Held (or the replayed answer for this key)",
                "headers": REPLAYED_HEADER_DOC,
            },
            **error_responses(400, 404, 409, 422),
        },
    )
    def create_reservation(body: ReservationCreate, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return respond_idempotently(
            warehouse.idempotency,
            idempotency_key,
            fingerprint("POST /reservations", body),
            lambda: warehouse.reserve(body.sku, body.qty),
            status_code=201,
        )

    @router.delete(
        "/reservations/{reservation_id}",
        status_code=204,
        response_class=Response,
        summary="Release a hold, returning its stock (idempotent)",
        responses={
            204: {"description": "Released (also when it was already released)"},
            **error_responses(404, 422),
        },
    )
    def release_reservation(reservation_id: str) -> Response:
        warehouse.release(reservation_id)
        return Response(status_code=204)

    return router
