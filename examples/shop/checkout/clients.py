"""Checkout's clients for payments and inventory: HTTP in, typed results and errors out.

Each method makes one logical call through :class:`ResilientHttp` and turns the
answer into a domain object or a typed exception from :mod:`.errors`. The
response models read only what checkout needs and ignore everything else (a
tolerant reader), so the consumer contracts pin no more than that.

Idempotency keys are derived from the order id (``"<order id>:payment"``), not
generated per call: a retried attempt, and even a retried *order*, then carries
the same key, so the provider cannot apply the write twice.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from examples.shop.checkout.errors import NotFound, OutOfStock, PaymentDeclined, UnexpectedResponse
from examples.shop.checkout.resilience import Clock, ResiliencePolicy, ResilientHttp, Sleep

REPLAYED_HEADER = "Idempotent-Replayed"

M = TypeVar("M", bound=BaseModel)


class Payment(BaseModel):
    """A captured payment, as checkout sees it."""

    model_config = ConfigDict(frozen=True)

    id: str
    order_id: str
    amount: int
    currency: str
    status: Literal["captured"]
    replayed: bool = False
    """True when payments answered from its idempotency record (an earlier attempt succeeded)."""


class Reservation(BaseModel):
    """Stock held for an order."""

    model_config = ConfigDict(frozen=True)

    id: str
    sku: str
    qty: int
    status: Literal["held"]


def payment_key(order_id: str) -> str:
    return f"{order_id}:payment"


def reservation_key(order_id: str) -> str:
    return f"{order_id}:reservation"


def _error_body(response: httpx.Response) -> tuple[str, str]:
    """``(error, detail)`` of an error response, tolerating a body that is not ours."""
    try:
        body = response.json()
    except json.JSONDecodeError:
        return "", response.text
    if not isinstance(body, dict):
        return "", response.text
    return str(body.get("error", "")), str(body.get("detail", ""))


class _DependencyClient:
    dependency: str

    def __init__(
        self,
        base_url: str,
        policy: ResiliencePolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.http = ResilientHttp(
            self.dependency, base_url, policy, transport=transport, clock=clock, sleep=sleep, auth=auth
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _parse(self, model: type[M], response: httpx.Response, **extra: Any) -> M:
        try:
            return model.model_validate({**response.json(), **extra})
        except (json.JSONDecodeError, TypeError, ValidationError) as exc:
            raise UnexpectedResponse(self.dependency, response.status_code, response.text) from exc

    def _unexpected(self, response: httpx.Response) -> UnexpectedResponse:
        return UnexpectedResponse(self.dependency, response.status_code, response.text)


class PaymentsClient(_DependencyClient):
    dependency = "payments"

    def charge(self, order_id: str, amount: int, currency: str) -> Payment:
        """Capture ``amount`` for the order; safe to call again for the same order.

        Raises:
            PaymentDeclined: payments said no (nothing captured).
            OutcomeUnknown: the charge may have been captured; replay to find out.
            DependencyUnavailable: nothing was captured.
            UnexpectedResponse: an answer outside the contract.
        """
        response = self.http.request(
            "POST",
            "/payments",
            json={"order_id": order_id, "amount": amount, "currency": currency},
            idempotency_key=payment_key(order_id),
        )
        if response.status_code == 201:
            return self._parse(Payment, response, replayed=response.headers.get(REPLAYED_HEADER) == "true")
        if response.status_code == 402:
            code, detail = _error_body(response)
            raise PaymentDeclined(code, detail)
        raise self._unexpected(response)

    def get_payment(self, payment_id: str) -> Payment:
        """Raises :class:`NotFound` for an unknown id, else as :meth:`charge`."""
        response = self.http.request("GET", f"/payments/{quote(payment_id, safe='')}")
        if response.status_code == 200:
            return self._parse(Payment, response)
        if response.status_code == 404:
            raise NotFound(self.dependency, f"payment {payment_id}")
        raise self._unexpected(response)


class StockLevel(BaseModel):
    """What inventory has of a SKU right now."""

    model_config = ConfigDict(frozen=True)

    sku: str
    available: int


class InventoryClient(_DependencyClient):
    dependency = "inventory"

    def stock_level(self, sku: str) -> StockLevel:
        """How many of ``sku`` inventory holds. Raises :class:`NotFound` for an unknown SKU."""
        response = self.http.request("GET", f"/stock/{quote(sku, safe='')}")
        if response.status_code == 200:
            return self._parse(StockLevel, response)
        if response.status_code == 404:
            raise NotFound(self.dependency, f"SKU {sku}")
        raise self._unexpected(response)

    def reserve(self, order_id: str, sku: str, qty: int) -> Reservation:
        """Hold ``qty`` of ``sku`` for the order; safe to call again for the same order.

        Raises:
            OutOfStock: not enough stock (409 ``insufficient_stock``).
            NotFound: unknown SKU.
            OutcomeUnknown / DependencyUnavailable / UnexpectedResponse: as for payments.
        """
        response = self.http.request(
            "POST",
            "/reservations",
            json={"sku": sku, "qty": qty},
            idempotency_key=reservation_key(order_id),
        )
        if response.status_code == 201:
            return self._parse(Reservation, response)
        if response.status_code == 404:
            raise NotFound(self.dependency, f"SKU {sku}")
        if response.status_code == 409:
            code, detail = _error_body(response)
            if code == "insufficient_stock":
                raise OutOfStock(sku, detail)
        raise self._unexpected(response)

    def release(self, reservation_id: str) -> None:
        """Give the held stock back. DELETE is idempotent, so it needs no key to be retried.

        Raises:
            NotFound: inventory does not know the reservation.
            DependencyUnavailable / UnexpectedResponse: as for :meth:`reserve`.
        """
        response = self.http.request("DELETE", f"/reservations/{quote(reservation_id, safe='')}")
        if response.status_code == 204:
            return
        if response.status_code == 404:
            raise NotFound(self.dependency, f"reservation {reservation_id}")
        raise self._unexpected(response)
