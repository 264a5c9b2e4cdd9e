"""Provider states for contract verification (see ``common.provider_states``).

Every state ``setup`` adds to the ledger; ``teardown`` empties it, so each
interaction starts from an empty ledger plus exactly what its states set up.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from examples.shop.common.idempotency import StoredResponse
from examples.shop.common.provider_states import StateHandler, parse_params
from examples.shop.payments.ledger import PaymentLedger
from examples.shop.payments.models import Payment, PaymentCreate
from examples.shop.payments.routes import create_payment_fingerprint


class PaymentExists(BaseModel):
    id: str = "pay_1"
    order_id: str = "order-1"
    amount: int = 1999
    currency: str = "EUR"


class PaymentMadeWithKey(BaseModel):
    key: str = "order-1:payment"
    order_id: str = "order-1"
    amount: int = 1999
    currency: str = "EUR"


def state_handlers(ledger: PaymentLedger) -> dict[str, StateHandler]:
    def no_payments_exist(_: Mapping[str, Any]) -> None:
        ledger.reset()

    def a_payment_exists(raw: Mapping[str, Any]) -> None:
        params = parse_params(PaymentExists, raw)
        ledger.add(Payment(**params.model_dump(), status="captured", created_at=datetime.now(UTC)))

    def a_payment_was_made_with_idempotency_key(raw: Mapping[str, Any]) -> None:
        """Record the payment *and* the key's remembered answer, exactly as a real first request would."""
        params = parse_params(PaymentMadeWithKey, raw)
        request = parse_params(PaymentCreate, params.model_dump(exclude={"key"}))
        payment = ledger.add(
            Payment(
                id=f"pay_{uuid.uuid4().hex}",
                **request.model_dump(),
                status="captured",
                created_at=datetime.now(UTC),
            )
        )
        ledger.idempotency.remember(
            params.key,
            create_payment_fingerprint(request),
            StoredResponse(201, payment.model_dump(mode="json")),
        )

    return {
        "no payments exist": no_payments_exist,
        "a payment exists": a_payment_exists,
        "a payment was made with idempotency key": a_payment_was_made_with_idempotency_key,
    }
