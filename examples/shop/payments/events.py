"""Events payments publishes: ``payment.captured`` once money is taken.

Consumers react to the event instead of polling: checkout uses it to settle an order it had to
leave ``payment_pending`` (the charge's answer never arrived, but the charge went through).
The ledger puts each event in its outbox when it captures a payment; delivering the outbox to
a broker (Kafka, SNS, ...) is outside this example.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from examples.shop.payments.models import Payment

PAYMENT_CAPTURED = "payment.captured"
#: The topic payments publishes its events on; consumers subscribe to it.
TOPIC = "payments"


@dataclass(frozen=True)
class OutboxMessage:
    """An event waiting to be published: where to, and the JSON body."""

    topic: str
    body: dict[str, Any]


class PaymentCaptured(BaseModel):
    """The ``payment.captured`` event: what was paid, for which order, and when."""

    type: Literal["payment.captured"] = PAYMENT_CAPTURED
    payment_id: str
    order_id: str
    amount: int
    currency: str
    captured_at: datetime


def payment_captured(payment: Payment) -> OutboxMessage:
    """The event for a captured ``payment``, as published (a JSON-ready body on :data:`TOPIC`)."""
    event = PaymentCaptured(
        payment_id=payment.id,
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        captured_at=payment.created_at,
    )
    return OutboxMessage(TOPIC, event.model_dump(mode="json"))


def captured_message_for_verification() -> dict[str, Any]:
    """The message a real capture publishes, for Pact message verification (``messages:`` in the manifest).

    It goes through the real ledger and producer: capture a payment, take the event from the outbox.
    """
    from examples.shop.payments.ledger import PaymentLedger
    from examples.shop.payments.models import PaymentCreate

    ledger = PaymentLedger()
    ledger.capture(
        PaymentCreate(order_id="6f1c1a52-2b1e-4f7b-9a55-0d8d3a1f6c11", amount=3_998, currency="EUR")
    )
    message = ledger.outbox[-1]
    return {
        "contents": message.body,
        "metadata": {"topic": message.topic},
        "content_type": "application/json",
    }
