"""Checkout's order flow: which failure releases the stock and which keeps it held.

Inventory and payments are scripted with ``httpx.MockTransport``; checkout's own
clients, service and HTTP layer are real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient

from examples.shop.checkout import create_app
from examples.shop.checkout.clients import InventoryClient, PaymentsClient
from examples.shop.checkout.resilience import ResiliencePolicy
from examples.shop.checkout.service import Checkout

pytestmark = pytest.mark.timeout(10)

RESERVATION = {"id": "res_1", "sku": "SKU-1", "qty": 2, "status": "held"}
FAST = ResiliencePolicy(attempt_timeout_s=0.2, budget_s=0.5, backoff_base_s=0.001, backoff_cap_s=0.001)

Handler = Callable[[httpx.Request], httpx.Response]


class Inventory:
    """Holds stock for every order and records releases."""

    def __init__(self) -> None:
        self.released: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, json=RESERVATION)
        self.released.append(request.url.path.rsplit("/", 1)[-1])
        return httpx.Response(204)


def _captured(request: httpx.Request) -> httpx.Response:
    payment = {"id": "pay_1", "order_id": "o", "amount": 3998, "currency": "EUR", "status": "captured"}
    return httpx.Response(200 if request.method == "GET" else 201, json=payment)


def _failing(error: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("scripted failure", request=request)

    return handler


@pytest.fixture
def inventory() -> Inventory:
    return Inventory()


@contextmanager
def _shop(inventory: Inventory, payments: Handler) -> Iterator[TestClient]:
    checkout = Checkout(
        PaymentsClient("http://payments.test", FAST, transport=httpx.MockTransport(payments)),
        InventoryClient("http://inventory.test", FAST, transport=httpx.MockTransport(inventory)),
    )
    with TestClient(create_app(checkout)) as client:
        yield client


def test_an_order_is_confirmed_and_readable(inventory: Inventory) -> None:
    with _shop(inventory, _captured) as shop:
        created = shop.post("/orders", json={"sku": "SKU-1", "qty": 2})
        assert created.status_code == 201
        order = created.json()
        assert order | {"id": "-"} == {
            "id": "-",
            "sku": "SKU-1",
            "qty": 2,
            "amount": 3998,
            "currency": "EUR",
            "status": "confirmed",
            "reservation_id": "res_1",
            "payment_id": "pay_1",
        }
        assert shop.get(f"/orders/{order['id']}").json() == order
    assert inventory.released == []


def test_a_declined_payment_releases_the_stock(inventory: Inventory) -> None:
    def declined(_: httpx.Request) -> httpx.Response:
        return httpx.Response(402, json={"error": "card_declined", "detail": "too much"})

    with _shop(inventory, declined) as shop:
        response = shop.post("/orders", json={"sku": "SKU-2", "qty": 5})

    assert response.status_code == 402
    assert response.json()["error"] == "payment_declined"
    assert inventory.released == ["res_1"]


def test_payments_unreachable_releases_the_stock_and_asks_to_retry_later(inventory: Inventory) -> None:
    with _shop(inventory, _failing(httpx.ConnectError)) as shop:
        response = shop.post("/orders", json={"sku": "SKU-1", "qty": 2})

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json() | {"detail": "-"} == {
        "error": "dependency_unavailable",
        "dependency": "payments",
        "detail": "-",
        "order_id": None,
    }
    assert inventory.released == ["res_1"]


def test_an_unknown_payment_outcome_keeps_the_stock_and_records_a_pending_order(inventory: Inventory) -> None:
    with _shop(inventory, _failing(httpx.ReadTimeout)) as shop:
        response = shop.post("/orders", json={"sku": "SKU-1", "qty": 2})
        assert response.status_code == 503
        order_id = response.json()["order_id"]
        stored = shop.get(f"/orders/{order_id}").json()

    assert inventory.released == []
    assert stored["status"] == "payment_pending"
    assert stored["payment_id"] is None


def test_reading_an_order_survives_payments_going_down(inventory: Inventory) -> None:
    payments_up = True

    def flaky(request: httpx.Request) -> httpx.Response:
        if payments_up:
            return _captured(request)
        raise httpx.ConnectError("down", request=request)

    with _shop(inventory, flaky) as shop:
        order = shop.post("/orders", json={"sku": "SKU-1", "qty": 2}).json()
        payments_up = False
        response = shop.get(f"/orders/{order['id']}")

    assert response.status_code == 200
    assert response.json() == order


def test_unknown_products_and_orders_are_404(inventory: Inventory) -> None:
    with _shop(inventory, _captured) as shop:
        assert shop.post("/orders", json={"sku": "NOPE", "qty": 1}).json()["error"] == "unknown_sku"
        assert shop.get("/orders/nope").status_code == 404
