"""Placing and reading orders: the orchestration of inventory and payments.

An order reserves stock first and pays second, so a customer is never charged for
stock that does not exist. If the payment then fails, the reservation must be
compensated (released) — but only when we *know* no money was taken:

* declined, or payments unavailable before the charge could be applied
  -> release the stock and report the failure;
* outcome unknown (the charge was sent and no answer came within the budget), or
  an answer we do not understand -> keep the stock held and record the order as
  ``payment_pending``. Releasing here could sell the same stock to someone else
  while the customer's money was in fact captured. The payment's idempotency key
  is derived from the order id, so the order can later be settled by replaying the
  very same charge: payments returns the original result instead of charging twice.
  (Settling pending orders is a reconciler's job and is outside this example.)

The reservation itself can also end with an unknown outcome (inventory timed out).
The order then fails with 503 and records nothing; a hold that the lost request
did make stays until someone releases it — a production inventory would expire
unconfirmed holds.
"""

from __future__ import annotations

import logging
import uuid

from examples.shop.checkout.clients import InventoryClient, PaymentsClient, Reservation
from examples.shop.checkout.errors import (
    DependencyError,
    DependencyUnavailable,
    OutcomeUnknown,
    PaymentDeclined,
    UnexpectedResponse,
)
from examples.shop.checkout.models import Order
from examples.shop.checkout.orders import CURRENCY, OrderBook, unit_price

log = logging.getLogger(__name__)


class PaymentPending(Exception):
    """The order was recorded as ``payment_pending`` because the charge's outcome is unknown."""

    def __init__(self, order: Order, cause: OutcomeUnknown | UnexpectedResponse) -> None:
        super().__init__(f"order {order.id}: payment outcome unknown ({cause})")
        self.order = order
        self.cause = cause


class Checkout:
    def __init__(
        self, payments: PaymentsClient, inventory: InventoryClient, orders: OrderBook | None = None
    ) -> None:
        self.payments = payments
        self.inventory = inventory
        self.orders = orders or OrderBook()

    def close(self) -> None:
        self.payments.close()
        self.inventory.close()

    def place_order(self, sku: str, qty: int) -> Order:
        """Reserve, then charge; see the module docstring for what each failure leaves behind.

        Raises:
            UnknownProduct: the SKU is not in the catalog (nothing was called).
            NotFound, OutOfStock: inventory's answer (nothing is held).
            PaymentDeclined: the charge was declined (the stock was released).
            DependencyUnavailable: a dependency failed and nothing was charged.
            UnexpectedResponse: inventory answered outside its contract.
            PaymentPending: the charge's outcome is unknown (stock held, order recorded).
        """
        amount = unit_price(sku) * qty
        order_id = str(uuid.uuid4())
        reservation = self.inventory.reserve(order_id, sku, qty)
        order = Order(
            id=order_id,
            sku=sku,
            qty=qty,
            amount=amount,
            currency=CURRENCY,
            status="payment_pending",
            reservation_id=reservation.id,
            payment_id=None,
        )
        try:
            payment = self.payments.charge(order_id, amount, CURRENCY)
        except (OutcomeUnknown, UnexpectedResponse) as exc:
            self.orders.save(order)
            log.warning("order %s is payment_pending, stock stays held: %s", order_id, exc)
            raise PaymentPending(order, exc) from exc
        except (PaymentDeclined, DependencyUnavailable):
            self._release(reservation, order_id)
            raise
        if payment.replayed:
            log.info("order %s: payments replayed an earlier charge %s", order_id, payment.id)
        confirmed = order.model_copy(update={"status": "confirmed", "payment_id": payment.id})
        self.orders.save(confirmed)
        return confirmed

    def get_order(self, order_id: str) -> Order:
        """The stored order, its payment re-read from payments (the source of truth) when reachable.

        Reading an order must not fail because payments is down, so any failure to
        refresh falls back to what checkout stored. Raises :class:`OrderNotFound`.
        """
        order = self.orders.get(order_id)
        if order.payment_id is None:
            return order
        try:
            payment = self.payments.get_payment(order.payment_id)
        except DependencyError as exc:
            log.warning("order %s served from storage; payment not refreshed: %s", order_id, exc)
            return order
        # A payment that parses is "captured" (any other status fails parsing and is
        # served from storage above), and a captured payment confirms the order.
        refreshed = order.model_copy(update={"status": "confirmed", "payment_id": payment.id})
        self.orders.save(refreshed)
        return refreshed

    def _release(self, reservation: Reservation, order_id: str) -> None:
        """Best-effort compensation; failing to release must not hide the original failure."""
        try:
            self.inventory.release(reservation.id)
        except DependencyError as exc:
            log.error(
                "order %s: reservation %s not released, stock stays held: %s", order_id, reservation.id, exc
            )
