"""Events checkout consumes: ``payment.captured`` from payments settles the order it paid for.

An order left ``payment_pending`` (the charge's answer never came) is confirmed when the event
arrives; an order that is already confirmed stays as it is, so a redelivered event is harmless.
Fields checkout does not read are ignored, so payments may add fields without breaking it.
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, ValidationError

from examples.shop.checkout.models import Order
from examples.shop.checkout.orders import OrderBook

log = logging.getLogger(__name__)


class PaymentCaptured(BaseModel):
    """What checkout reads from a ``payment.captured`` event."""

    payment_id: str
    order_id: str
    amount: int
    currency: str


class UnusableEvent(ValueError):
    """The event is not a ``payment.captured`` checkout can act on (it goes to a dead-letter queue)."""


def on_payment_captured(body: str | bytes | dict[str, object], orders: OrderBook) -> Order:
    """Settle the order the payment was for; raises UnusableEvent or OrderNotFound."""
    try:
        data = json.loads(body) if isinstance(body, str | bytes) else body
        event = PaymentCaptured.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise UnusableEvent(f"not a usable payment.captured event: {exc}") from exc
    order = orders.get(event.order_id)
    if order.amount != event.amount or order.currency != event.currency:
        raise UnusableEvent(
            f"payment {event.payment_id} is for {event.amount} {event.currency},"
            f" order {order.id} is for {order.amount} {order.currency}"
        )
    if order.status == "confirmed":
        return order
    settled = order.model_copy(update={"status": "confirmed", "payment_id": event.payment_id})
    orders.save(settled)
    log.info("order %s settled by payment %s", order.id, event.payment_id)
    return settled
