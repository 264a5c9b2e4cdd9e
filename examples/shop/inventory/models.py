"""Request and response bodies of the inventory API (they generate its OpenAPI document).

Request models are strict for the same reason as in payments: the published schema
must be the real acceptance rule.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from examples.shop.common.numbers import INTEGRAL

Sku = Annotated[str, Field(min_length=1, max_length=64, description="Stock-keeping unit, e.g. SKU-1")]


class StockLevel(BaseModel):
    sku: str
    available: int


class ReservationCreate(BaseModel):
    model_config = ConfigDict(strict=True)

    sku: Sku
    qty: Annotated[int, Field(gt=0), INTEGRAL]


class Reservation(BaseModel):
    id: str
    sku: str
    qty: int
    status: Literal["held"]
