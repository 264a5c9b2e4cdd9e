"""Provider states for contract verification (see ``common.provider_states``).

Baseline: ``teardown`` resets the warehouse to its seed stock (SKU-1: 100,
SKU-2: 5, SKU-3: 0) with no reservations, the same data the service starts with.
Each ``setup`` then adjusts that baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, Field

from examples.shop.common.provider_states import StateHandler, parse_params
from examples.shop.inventory.warehouse import Warehouse


class SkuHasStock(BaseModel):
    sku: str = "SKU-1"
    available: Annotated[int, Field(ge=0)] = 100


class SkuOutOfStock(BaseModel):
    sku: str = "SKU-3"


class SkuMissing(BaseModel):
    sku: str = "SKU-404"


class ReservationExists(BaseModel):
    id: str = "res_1"
    sku: str = "SKU-1"
    qty: Annotated[int, Field(gt=0)] = 1


def state_handlers(warehouse: Warehouse) -> dict[str, StateHandler]:
    def sku_has_stock(raw: Mapping[str, Any]) -> None:
        params = parse_params(SkuHasStock, raw)
        warehouse.set_stock(params.sku, params.available)

    def sku_is_out_of_stock(raw: Mapping[str, Any]) -> None:
        warehouse.set_stock(parse_params(SkuOutOfStock, raw).sku, 0)

    def sku_does_not_exist(raw: Mapping[str, Any]) -> None:
        warehouse.remove_sku(parse_params(SkuMissing, raw).sku)

    def reservation_exists(raw: Mapping[str, Any]) -> None:
        params = parse_params(ReservationExists, raw)
        warehouse.add_hold(params.id, params.sku, params.qty)

    def no_reservations_exist(_: Mapping[str, Any]) -> None:
        warehouse.clear_holds()

    return {
        "a SKU has stock": sku_has_stock,
        "a SKU is out of stock": sku_is_out_of_stock,
        "a SKU does not exist": sku_does_not_exist,
        "a reservation exists": reservation_exists,
        "no reservations exist": no_reservations_exist,
    }
