"""Consumer contract: what checkout's InventoryClient sends to inventory and relies on back.

Same approach as ``test_checkout_payments``: one interaction per test, the real
client against the Pact mock server, example values that agree with the
provider states. The 409 pins ``error: insufficient_stock`` exactly because the
client tells an out-of-stock answer apart from other conflicts by that code.
"""

from __future__ import annotations

import pytest
from pact import Pact, match
from pact.interaction import HttpInteraction

from examples.shop.checkout.clients import InventoryClient, Reservation
from examples.shop.checkout.errors import NotFound, OutOfStock

ORDER_ID = "0b7e4c2a-9d3f-4a61-8e25-7c1f9a4d2b60"
RESERVATION_ID = "res_5e8a1c3f7b9d4f2a8c6e0b1d3f5a7c9e"
RESERVATION_KEY = match.regex(
    f"{ORDER_ID}:reservation",
    regex=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:reservation$",
)
JSON = "application/json"


def _reserve(pact: Pact, description: str, sku: str, qty: int) -> HttpInteraction:
    """The request ``InventoryClient.reserve(ORDER_ID, sku, qty)`` sends."""
    return (
        pact.upon_receiving(description)
        .with_request("POST", "/reservations")
        .with_header("Idempotency-Key", RESERVATION_KEY)
        .with_body({"sku": sku, "qty": qty}, content_type=JSON)
    )


def test_reserve_holds_stock(inventory_pact: Pact) -> None:
    (
        _reserve(inventory_pact, "a request to reserve stock", "SKU-1", 2)
        .given("a SKU has stock", sku="SKU-1", available=10)
        .will_respond_with(201)
        .with_body(
            {
                "id": match.str(RESERVATION_ID),
                "sku": match.str("SKU-1"),
                "qty": match.int(2),
                "status": "held",
            },
            content_type=JSON,
        )
    )
    with inventory_pact.serve() as srv, InventoryClient(str(srv.url)) as client:
        reservation = client.reserve(ORDER_ID, "SKU-1", 2)

    assert reservation == Reservation(id=RESERVATION_ID, sku="SKU-1", qty=2, status="held")


def test_reserve_out_of_stock(inventory_pact: Pact) -> None:
    (
        _reserve(inventory_pact, "a request to reserve stock of a SKU that is out of stock", "SKU-3", 1)
        .given("a SKU is out of stock", sku="SKU-3")
        .will_respond_with(409)
        .with_body(
            {"error": "insufficient_stock", "detail": match.str("1 of SKU-3 requested")}, content_type=JSON
        )
    )
    with (
        inventory_pact.serve() as srv,
        InventoryClient(str(srv.url)) as client,
        pytest.raises(OutOfStock) as out_of_stock,
    ):
        client.reserve(ORDER_ID, "SKU-3", 1)

    assert out_of_stock.value.sku == "SKU-3"


def test_reserve_unknown_sku(inventory_pact: Pact) -> None:
    (
        _reserve(inventory_pact, "a request to reserve stock of an unknown SKU", "SKU-404", 1)
        .given("a SKU does not exist", sku="SKU-404")
        .will_respond_with(404)
    )
    with inventory_pact.serve() as srv, InventoryClient(str(srv.url)) as client, pytest.raises(NotFound):
        client.reserve(ORDER_ID, "SKU-404", 1)


def test_release_reservation(inventory_pact: Pact) -> None:
    (
        inventory_pact.upon_receiving("a request to release a reservation")
        .given("a reservation exists", id=RESERVATION_ID, sku="SKU-1", qty=2)
        .with_request("DELETE", f"/reservations/{RESERVATION_ID}")
        .will_respond_with(204)
    )
    with inventory_pact.serve() as srv, InventoryClient(str(srv.url)) as client:
        client.release(RESERVATION_ID)


def test_release_unknown_reservation(inventory_pact: Pact) -> None:
    (
        inventory_pact.upon_receiving("a request to release a reservation that does not exist")
        .given("no reservations exist")
        .with_request("DELETE", "/reservations/res_unknown")
        .will_respond_with(404)
    )
    with inventory_pact.serve() as srv, InventoryClient(str(srv.url)) as client, pytest.raises(NotFound):
        client.release("res_unknown")
