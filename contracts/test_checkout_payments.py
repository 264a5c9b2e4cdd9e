"""Consumer contract: what checkout's PaymentsClient sends to payments and relies on back.

Each test declares one interaction and drives the real client against the Pact
mock server; leaving ``pact.serve()`` raises if the client did not send exactly
what was declared. Example values are chosen to agree with the provider states,
because the provider verification replays them literally.

Responses pin only what the client reads (see ``clients.Payment``): ids by type,
``status`` exactly, because checkout treats "captured" as "money taken".
"""

from __future__ import annotations

import pytest
from pact import Pact, match
from pact.interaction import HttpInteraction

from examples.shop.checkout.clients import Payment, PaymentsClient
from examples.shop.checkout.errors import NotFound, PaymentDeclined

ORDER_ID = "6f1c1a52-2b1e-4f7b-9a55-0d8d3a1f6c11"
PAYMENT_ID = "pay_3b9d2c7e5a0f4e1d8c6b4a2f0e9d7c5b"
AMOUNT = 3_998
DECLINED_AMOUNT = 1_250_000
PAYMENT_KEY = match.regex(
    f"{ORDER_ID}:payment",
    regex=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:payment$",
)
JSON = "application/json"


def _payment_body(amount: int = AMOUNT) -> dict[str, object]:
    return {
        "id": match.str(PAYMENT_ID),
        "order_id": match.str(ORDER_ID),
        "amount": match.int(amount),
        "currency": match.str("EUR"),
        "status": "captured",
    }


def _charge(pact: Pact, description: str, amount: int = AMOUNT) -> HttpInteraction:
    """The request ``PaymentsClient.charge(ORDER_ID, amount, "EUR")`` sends."""
    return (
        pact.upon_receiving(description)
        .with_request("POST", "/payments")
        .with_header("Idempotency-Key", PAYMENT_KEY)
        .with_body({"order_id": ORDER_ID, "amount": amount, "currency": "EUR"}, content_type=JSON)
    )


def test_charge_captures_a_payment(payments_pact: Pact) -> None:
    (
        _charge(payments_pact, "a request to charge an order")
        .given("no payments exist")
        .will_respond_with(201)
        .with_body(_payment_body(), content_type=JSON)
    )
    with payments_pact.serve() as srv, PaymentsClient(str(srv.url)) as client:
        payment = client.charge(ORDER_ID, AMOUNT, "EUR")

    assert payment == Payment(
        id=PAYMENT_ID, order_id=ORDER_ID, amount=AMOUNT, currency="EUR", status="captured", replayed=False
    )


def test_charge_replayed_with_the_same_key_returns_the_original_payment(payments_pact: Pact) -> None:
    (
        _charge(payments_pact, "a repeated request to charge an order")
        .given(
            "a payment was made with idempotency key",
            key=f"{ORDER_ID}:payment",
            order_id=ORDER_ID,
            amount=AMOUNT,
            currency="EUR",
        )
        .will_respond_with(201)
        .with_header("Idempotent-Replayed", "true")
        .with_body(_payment_body(), content_type=JSON)
    )
    with payments_pact.serve() as srv, PaymentsClient(str(srv.url)) as client:
        payment = client.charge(ORDER_ID, AMOUNT, "EUR")

    assert payment.replayed is True
    assert payment.id == PAYMENT_ID


def test_charge_declined(payments_pact: Pact) -> None:
    (
        _charge(payments_pact, "a request to charge an amount the card issuer declines", DECLINED_AMOUNT)
        .given("no payments exist")
        .will_respond_with(402)
        .with_body({"error": match.str("card_declined"), "detail": match.str("declined")}, content_type=JSON)
    )
    with (
        payments_pact.serve() as srv,
        PaymentsClient(str(srv.url)) as client,
        pytest.raises(PaymentDeclined) as declined,
    ):
        client.charge(ORDER_ID, DECLINED_AMOUNT, "EUR")

    assert declined.value.code == "card_declined"


def test_get_payment(payments_pact: Pact) -> None:
    (
        payments_pact.upon_receiving("a request for a payment")
        .given("a payment exists", id=PAYMENT_ID, order_id=ORDER_ID, amount=AMOUNT, currency="EUR")
        .with_request("GET", f"/payments/{PAYMENT_ID}")
        .will_respond_with(200)
        .with_body(_payment_body(), content_type=JSON)
    )
    with payments_pact.serve() as srv, PaymentsClient(str(srv.url)) as client:
        payment = client.get_payment(PAYMENT_ID)

    assert payment.id == PAYMENT_ID
    assert payment.status == "captured"


def test_get_unknown_payment(payments_pact: Pact) -> None:
    (
        payments_pact.upon_receiving("a request for a payment that does not exist")
        .given("no payments exist")
        .with_request("GET", "/payments/pay_unknown")
        .will_respond_with(404)
    )
    with payments_pact.serve() as srv, PaymentsClient(str(srv.url)) as client, pytest.raises(NotFound):
        client.get_payment("pay_unknown")
