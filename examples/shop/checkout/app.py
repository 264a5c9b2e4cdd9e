"""The checkout FastAPI application: HTTP in front of :class:`Checkout`.

Clients are built at startup (lifespan), not at import, so importing this package
(e.g. by the consumer contract tests) needs no environment.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from examples.shop.checkout.clients import InventoryClient, PaymentsClient
from examples.shop.checkout.config import Settings
from examples.shop.checkout.errors import (
    DependencyError,
    DependencyUnavailable,
    NotFound,
    OutOfStock,
    PaymentDeclined,
    UnexpectedResponse,
)
from examples.shop.checkout.models import Availability, DependencyErrorBody, Order, OrderCreate
from examples.shop.checkout.orders import OrderNotFound, UnknownProduct
from examples.shop.checkout.service import Checkout, PaymentPending
from examples.shop.checkout.tokens import ClientCredentials
from examples.shop.checkout.tracing import PropagatingTransport, TraceContextMiddleware
from examples.shop.common import health
from examples.shop.common.errors import ApiError, error_responses, install_error_handlers

DEFAULT_RETRY_AFTER_S = 1.0
"""Retry-After for a 503 when neither the dependency nor our circuit breaker suggested one."""

_RETRY_AFTER_DOC = {
    "Retry-After": {
        "description": "Seconds after which trying again may succeed",
        "schema": {"type": "integer"},
    }
}


def build_checkout(settings: Settings) -> Checkout:
    client = settings.payments_client
    auth = ClientCredentials(*client) if client else None
    # Every outbound request (token requests included) carries the trace of the call that caused
    # it (see .tracing).
    return Checkout(
        PaymentsClient(settings.payments_url, settings.policy, auth=auth, transport=PropagatingTransport()),
        InventoryClient(settings.inventory_url, settings.policy, transport=PropagatingTransport()),
    )


def _checkout(request: Request) -> Checkout:
    checkout: Checkout = request.app.state.checkout
    return checkout


CheckoutDep = Annotated[Checkout, Depends(_checkout)]


def _dependency_failure(exc: DependencyError, order_id: str | None = None) -> JSONResponse:
    """503 + Retry-After when a dependency is unavailable, 502 when it answered outside its contract."""

    def body(error: str) -> dict[str, Any]:
        fields = {"error": error, "dependency": exc.dependency, "detail": str(exc), "order_id": order_id}
        return DependencyErrorBody.model_validate(fields).model_dump()

    if isinstance(exc, DependencyUnavailable):
        hint = exc.retry_after_s if exc.retry_after_s is not None else DEFAULT_RETRY_AFTER_S
        retry_after = str(max(1, math.ceil(hint)))
        return JSONResponse(
            body("dependency_unavailable"), status_code=503, headers={"Retry-After": retry_after}
        )
    return JSONResponse(body("bad_dependency_response"), status_code=502)


def create_app(checkout: Checkout | None = None) -> FastAPI:
    """Build the app; without ``checkout``, one is built from the environment at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.checkout = checkout or build_checkout(Settings.from_env())
        try:
            yield
        finally:
            app.state.checkout.close()

    app = FastAPI(
        title="Shop checkout",
        version="1.0.0",
        description="Places orders: reserves stock in inventory, then takes payment.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(TraceContextMiddleware)
    app.include_router(health.router)

    @app.post(
        "/orders",
        status_code=201,
        response_model=Order,
        tags=["orders"],
        summary="Place an order",
        responses={
            **error_responses(400, 402, 404, 409, 422),
            502: {
                "model": DependencyErrorBody,
                "description": "A dependency answered outside its contract (`order_id` set: payment_pending)",
            },
            503: {
                "model": DependencyErrorBody,
                "description": "A dependency is unavailable (`order_id` set: order is payment_pending)",
                "headers": _RETRY_AFTER_DOC,
            },
        },
    )
    def place_order(body: OrderCreate, checkout: CheckoutDep) -> Order | JSONResponse:
        try:
            return checkout.place_order(body.sku, body.qty)
        except (UnknownProduct, NotFound) as exc:
            raise ApiError(404, "unknown_sku", f"no product {body.sku!r}") from exc
        except OutOfStock as exc:
            raise ApiError(409, "out_of_stock", exc.detail or f"not enough {body.sku}") from exc
        except PaymentDeclined as exc:
            raise ApiError(402, "payment_declined", exc.detail or exc.code) from exc
        except PaymentPending as exc:
            return _dependency_failure(exc.cause, order_id=exc.order.id)
        except (DependencyUnavailable, UnexpectedResponse) as exc:
            return _dependency_failure(exc)

    @app.get(
        "/orders/{order_id}",
        response_model=Order,
        tags=["orders"],
        summary="Get an order (its payment refreshed from payments when reachable)",
        responses=error_responses(404, 422),
    )
    def get_order(order_id: str, checkout: CheckoutDep) -> Order:
        try:
            return checkout.get_order(order_id)
        except OrderNotFound as exc:
            raise ApiError(404, "order_not_found", f"no order {order_id!r}") from exc

    @app.get(
        "/availability/{sku}",
        response_model=Availability,
        tags=["catalog"],
        summary="Whether a SKU is in stock (asks inventory only)",
        responses={
            **error_responses(404, 422),
            502: {"model": DependencyErrorBody, "description": "Inventory answered outside its contract"},
            503: {
                "model": DependencyErrorBody,
                "description": "Inventory is unavailable",
                "headers": _RETRY_AFTER_DOC,
            },
        },
    )
    def availability(sku: str, checkout: CheckoutDep) -> Availability | JSONResponse:
        try:
            level = checkout.inventory.stock_level(sku)
        except NotFound as exc:
            raise ApiError(404, "unknown_sku", f"no product {sku!r}") from exc
        except (DependencyUnavailable, UnexpectedResponse) as exc:
            return _dependency_failure(exc)
        return Availability(sku=level.sku, available=level.available, in_stock=level.available > 0)

    return app
