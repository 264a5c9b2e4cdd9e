"""Typed failures of checkout's outbound calls, so callers branch on types, not status codes.

Two families:

* the dependency could not give an answer -> :class:`DependencyUnavailable`, and its
  subclass :class:`OutcomeUnknown` when a write *may* have been applied anyway
  (the request was sent but no answer came back). The difference decides whether
  compensating (e.g. releasing stock) is safe.
* the dependency answered, and the answer is a business outcome -> :class:`NotFound`,
  :class:`OutOfStock`, :class:`PaymentDeclined`; or an answer the client does not
  understand -> :class:`UnexpectedResponse`.
"""

from __future__ import annotations


class DependencyError(Exception):
    """Base class: something about a call to ``dependency`` did not succeed."""

    def __init__(self, dependency: str, message: str) -> None:
        super().__init__(f"{dependency}: {message}")
        self.dependency = dependency


class DependencyUnavailable(DependencyError):
    """No usable answer within the budget: transport errors, 5xx, 429, or an open circuit.

    A write that raises this (and not :class:`OutcomeUnknown`) was definitely not applied.
    ``retry_after_s`` is a hint for when trying again makes sense, if one is known.
    """

    summary = "unavailable"

    def __init__(self, dependency: str, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(dependency, f"{self.summary}: {reason}")
        self.reason = reason
        self.retry_after_s = retry_after_s


class OutcomeUnknown(DependencyUnavailable):
    """A write was sent but no definitive answer arrived: it may or may not have been applied.

    Do not compensate. Replaying the same request with the same Idempotency-Key is
    the safe way to learn the outcome.
    """

    summary = "outcome unknown"


class UnexpectedResponse(DependencyError):
    """An answer outside the contract (status or body), e.g. a 422 or a malformed 201."""

    def __init__(self, dependency: str, status_code: int, body: str) -> None:
        super().__init__(dependency, f"unexpected HTTP {status_code}: {body[:200]}")
        self.status_code = status_code


class NotFound(DependencyError):
    """The dependency does not know the resource (HTTP 404)."""

    def __init__(self, dependency: str, resource: str) -> None:
        super().__init__(dependency, f"{resource} not found")
        self.resource = resource


class OutOfStock(DependencyError):
    """Inventory cannot hold the requested quantity (HTTP 409 ``insufficient_stock``)."""

    def __init__(self, sku: str, detail: str) -> None:
        super().__init__("inventory", f"out of stock: {sku}: {detail}")
        self.sku = sku
        self.detail = detail


class PaymentDeclined(DependencyError):
    """Payments refused the charge (HTTP 402). Nothing was captured."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__("payments", f"declined ({code}): {detail}")
        self.code = code
        self.detail = detail
