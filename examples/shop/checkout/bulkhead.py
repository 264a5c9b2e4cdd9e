"""A bulkhead per dependency: a slow dependency may hold only so many of checkout's workers.

Checkout serves requests from one pool of worker threads. Without a bound, calls to a dependency
that has turned slow pile up until they hold every worker, and requests that never touch that
dependency (``GET /availability`` only asks inventory) queue behind them: one slow provider takes
the whole service down. So each dependency gets a bounded number of calls in flight (and its own
connection pool, see :class:`~examples.shop.checkout.resilience.ResilientHttp`); a call beyond
the bound fails at once with :class:`DependencyUnavailable` rather than wait for a slot.
"""

from __future__ import annotations

import threading
from types import TracebackType

from examples.shop.checkout.errors import DependencyUnavailable

BULKHEAD_RETRY_AFTER_S = 1.0
"""Retry-After hint when a call is refused because the dependency's bulkhead is full."""


class Bulkhead:
    """``with bulkhead:`` around a call: at most ``max_concurrent`` at once, the rest refused."""

    def __init__(self, dependency: str, max_concurrent: int) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be >= 1, got {max_concurrent!r}")
        self.dependency = dependency
        self.max_concurrent = max_concurrent
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def __enter__(self) -> Bulkhead:
        if not self._slots.acquire(blocking=False):
            raise DependencyUnavailable(
                self.dependency,
                f"bulkhead full: {self.max_concurrent} calls already in flight",
                retry_after_s=BULKHEAD_RETRY_AFTER_S,
            )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._slots.release()
