"""Checkout's own data: the price catalog and the in-memory order book."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from examples.shop.checkout.models import Order

CURRENCY = "EUR"
PRICES_CENTS: Mapping[str, int] = {"SKU-1": 1_999, "SKU-2": 250_000, "SKU-3": 4_999}
"""Unit prices. 5 x SKU-2 (12,500 EUR) exceeds the payments decline threshold, which
makes a declined order easy to produce by hand."""


class UnknownProduct(LookupError):
    """The SKU is not in the catalog, so it cannot be priced."""


class OrderNotFound(LookupError):
    """No order with this id."""


def unit_price(sku: str) -> int:
    try:
        return PRICES_CENTS[sku]
    except KeyError:
        raise UnknownProduct(sku) from None


class OrderBook:
    """Orders by id, guarded by a lock (endpoints run in a thread pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, Order] = {}

    def save(self, order: Order) -> None:
        with self._lock:
            self._orders[order.id] = order

    def get(self, order_id: str) -> Order:
        with self._lock:
            order = self._orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        return order
