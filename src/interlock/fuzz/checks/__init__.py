"""interlock's own checks, each a function ``check(exchange, settings) -> None`` that raises
:class:`~interlock.fuzz.checks.exchange.CheckFailed`.

They see an :class:`~interlock.fuzz.checks.exchange.Exchange` (one request and its response),
never a schemathesis object: :mod:`interlock.fuzz.engine` adapts schemathesis' cases and
responses and registers these functions as schemathesis checks.
"""

from __future__ import annotations

from interlock.fuzz.checks.budgets import response_time_budget
from interlock.fuzz.checks.exchange import CheckFailed, Exchange
from interlock.fuzz.checks.idempotency import idempotency
from interlock.fuzz.checks.leakage import no_leakage
from interlock.fuzz.checks.throttling import retry_after

#: Check name -> function, in the order they run on each response.
INTERLOCK_CHECKS = {
    "no_leakage": no_leakage,
    "retry_after": retry_after,
    "idempotency": idempotency,
    "response_time_budget": response_time_budget,
}

__all__ = ["INTERLOCK_CHECKS", "CheckFailed", "Exchange"]
