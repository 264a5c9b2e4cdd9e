"""The in-memory stock and reservations, and the rules that keep them consistent.

Reserving checks and decrements stock under one lock, so concurrent orders can
never oversell. Released reservations are remembered rather than deleted, which
makes ``DELETE /reservations/{id}`` idempotent: a client that retries a release
whose first response was lost gets 204 again instead of a misleading 404.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from examples.shop.common.errors import ApiError
from examples.shop.common.idempotency import IdempotencyStore
from examples.shop.inventory.models import Reservation, StockLevel

SEED_STOCK: Mapping[str, int] = {"SKU-1": 100, "SKU-2": 5, "SKU-3": 0}
"""Stock at startup and after every reset (provider-state teardown)."""


@dataclass
class _Hold:
    sku: str
    qty: int
    released: bool = False


class Warehouse:
    def __init__(self, seed: Mapping[str, int] = SEED_STOCK) -> None:
        self._seed = dict(seed)
        self._lock = threading.Lock()
        self._stock: dict[str, int] = dict(self._seed)
        self._holds: dict[str, _Hold] = {}
        self.idempotency = IdempotencyStore()

    def stock_level(self, sku: str) -> StockLevel:
        with self._lock:
            available = self._stock.get(sku)
        if available is None:
            raise ApiError(404, "unknown_sku", f"no SKU {sku!r}")
        return StockLevel(sku=sku, available=available)

    def reserve(self, sku: str, qty: int) -> Reservation:
        with self._lock:
            available = self._stock.get(sku)
            if available is None:
                raise ApiError(404, "unknown_sku", f"no SKU {sku!r}")
            if available < qty:
                raise ApiError(409, "insufficient_stock", f"{qty} of {sku} requested, {available} available")
            self._stock[sku] = available - qty
            reservation_id = f"res_{uuid.uuid4().hex}"
            self._holds[reservation_id] = _Hold(sku, qty)
        return Reservation(id=reservation_id, sku=sku, qty=qty, status="held")

    def release(self, reservation_id: str) -> None:
        with self._lock:
            hold = self._holds.get(reservation_id)
            if hold is None:
                raise ApiError(404, "reservation_not_found", f"no reservation {reservation_id!r}")
            if not hold.released and hold.sku in self._stock:
                self._stock[hold.sku] += hold.qty
            hold.released = True

    def set_stock(self, sku: str, available: int) -> None:
        with self._lock:
            self._stock[sku] = available

    def remove_sku(self, sku: str) -> None:
        with self._lock:
            self._stock.pop(sku, None)

    def add_hold(self, reservation_id: str, sku: str, qty: int) -> None:
        """Record a held reservation as if it had been made, taking what stock there is (provider states)."""
        with self._lock:
            self._stock[sku] = max(self._stock.get(sku, 0) - qty, 0)
            self._holds[reservation_id] = _Hold(sku, qty)

    def clear_holds(self) -> None:
        with self._lock:
            self._holds.clear()

    def reset(self) -> None:
        """Back to the seed stock with no reservations and no remembered keys."""
        with self._lock:
            self._stock = dict(self._seed)
            self._holds.clear()
        self.idempotency.clear()
