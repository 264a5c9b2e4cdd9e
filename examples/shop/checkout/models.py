"""Request and response bodies of the checkout API (they generate its OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderCreate(BaseModel):
    model_config = ConfigDict(strict=True)

    sku: Annotated[str, Field(min_length=1, max_length=64)]
    qty: Annotated[int, Field(gt=0)]


class Order(BaseModel):
    id: str
    sku: str
    qty: int
    amount: int = Field(description="Total in minor units (cents)")
    currency: str
    status: Literal["confirmed", "payment_pending"] = Field(
        description="`payment_pending`: payments did not answer in time; the stock stays held "
        "until the payment's outcome is known"
    )
    reservation_id: str
    payment_id: str | None = Field(description="Unset while the payment is pending")


class DependencyErrorBody(BaseModel):
    """The answer when a dependency failed and checkout could not complete the request."""

    error: Literal["dependency_unavailable", "bad_dependency_response"]
    dependency: Literal["payments", "inventory"]
    detail: str
    order_id: str | None = Field(
        default=None,
        description="Set when the order was recorded as `payment_pending`; poll GET /orders/{id}",
    )


class Availability(BaseModel):
    """Whether a SKU can be ordered now, as inventory says (payments is not asked)."""

    sku: str
    available: int = Field(description="Units inventory holds for sale")
    in_stock: bool
