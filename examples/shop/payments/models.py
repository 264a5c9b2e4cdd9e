"""Request and response bodies of the payments API (they generate its OpenAPI document).

Request models are strict: ``"5"`` is not an amount. A lenient parser would accept
requests that the published schema says are invalid, which makes the schema lie.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from examples.shop.common.numbers import INTEGRAL

Cents = Annotated[int, Field(gt=0, description="Amount in minor units (cents)"), INTEGRAL]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR")]


class PaymentCreate(BaseModel):
    model_config = ConfigDict(strict=True)

    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Cents
    currency: Currency


class Payment(BaseModel):
    id: str
    order_id: str
    amount: int
    currency: str
    status: Literal["captured"]
    created_at: datetime


class RefundCreate(BaseModel):
    model_config = ConfigDict(strict=True)

    amount: Cents


class Refund(BaseModel):
    id: str
    payment_id: str
    amount: int
    status: Literal["succeeded"]
