"""The in-memory payments ledger and its business rules.

All reads and writes go through one lock: a refund must see and update the
refunded total atomically, or two concurrent refunds could exceed the payment.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

from examples.shop.common.errors import ApiError
from examples.shop.common.idempotency import IdempotencyStore
from examples.shop.payments.events import OutboxMessage, payment_captured
from examples.shop.payments.models import Payment, PaymentCreate, Refund

DECLINE_ABOVE_CENTS = 1_000_000
"""Amounts above this are declined: the example's stand-in for a card issuer saying no."""


class PaymentLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._payments: dict[str, Payment] = {}
        self._refunds: dict[str, list[Refund]] = {}
        self.idempotency = IdempotencyStore()
        #: Events to publish (``payment.captured``), oldest first; see :mod:`.events`.
        self.outbox: list[OutboxMessage] = []

    def capture(self, request: PaymentCreate) -> Payment:
        if request.amount > DECLINE_ABOVE_CENTS:
            raise ApiError(402, "card_declined", f"amounts above {DECLINE_ABOVE_CENTS} cents are declined")
        payment = self.add(
            Payment(
                id=f"pay_{uuid.uuid4().hex}",
                order_id=request.order_id,
                amount=request.amount,
                currency=request.currency,
                status="captured",
                created_at=datetime.now(UTC),
            )
        )
        with self._lock:
            self.outbox.append(payment_captured(payment))
        return payment

    def add(self, payment: Payment) -> Payment:
        with self._lock:
            self._payments[payment.id] = payment
            self._refunds.setdefault(payment.id, [])
        return payment

    def get(self, payment_id: str) -> Payment:
        with self._lock:
            payment = self._payments.get(payment_id)
        if payment is None:
            raise ApiError(404, "payment_not_found", f"no payment {payment_id!r}")
        return payment

    def refund(self, payment_id: str, amount: int) -> Refund:
        with self._lock:
            payment = self._payments.get(payment_id)
            if payment is None:
                raise ApiError(404, "payment_not_found", f"no payment {payment_id!r}")
            refunds = self._refunds[payment_id]
            refunded = sum(r.amount for r in refunds)
            if refunded + amount > payment.amount:
                raise ApiError(
                    409,
                    "refund_exceeds_payment",
                    f"{refunded} of {payment.amount} cents already refunded; {amount} more is too much",
                )
            refund = Refund(
                id=f"re_{uuid.uuid4().hex}", payment_id=payment_id, amount=amount, status="succeeded"
            )
            refunds.append(refund)
        return refund

    def count(self) -> int:
        """How many payments exist; tests use it to prove that a retry made no duplicate."""
        with self._lock:
            return len(self._payments)

    def reset(self) -> None:
        with self._lock:
            self._payments.clear()
            self._refunds.clear()
            self.outbox.clear()
        self.idempotency.clear()
