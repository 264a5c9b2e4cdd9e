"""Consumer message contract: the ``payment.captured`` event checkout consumes from payments.

The Pact core hands the example event to checkout's real handler
(:func:`examples.shop.checkout.events.on_payment_captured`); the handler must settle a pending
order with it. The event pins only the fields the handler reads, by type, so payments can
publish any payment and may add fields.
"""

from __future__ import annotations

from pact import Pact, match

from examples.shop.checkout.events import on_payment_captured
from examples.shop.checkout.models import Order
from examples.shop.checkout.orders import OrderBook

ORDER_ID = "6f1c1a52-2b1e-4f7b-9a55-0d8d3a1f6c11"
PAYMENT_ID = "pay_3b9d2c7e5a0f4e1d8c6b4a2f0e9d7c5b"
AMOUNT = 3_998


def test_a_payment_captured_event_settles_a_pending_order(payment_events_pact: Pact) -> None:
    (
        payment_events_pact.upon_receiving("a payment.captured event", "Async")
        .with_body(
            {
                "type": "payment.captured",
                "payment_id": match.str(PAYMENT_ID),
                "order_id": match.uuid(ORDER_ID),
                "amount": match.int(AMOUNT),
                "currency": match.regex("EUR", regex=r"^[A-Z]{3}$"),
            },
            content_type="application/json",
        )
        .with_metadata({"topic": "payments"})
    )
    settled: list[Order] = []

    def handle(body: str | bytes | None, metadata: dict[str, object]) -> None:
        orders = OrderBook()
        orders.save(
            Order(
                id=ORDER_ID,
                sku="SKU-1",
                qty=2,
                amount=AMOUNT,
                currency="EUR",
                status="payment_pending",
                reservation_id="res_1",
                payment_id=None,
            )
        )
        assert body is not None
        settled.append(on_payment_captured(body, orders))

    payment_events_pact.verify(handle, "Async")

    assert [(o.status, o.payment_id) for o in settled] == [("confirmed", PAYMENT_ID)]
