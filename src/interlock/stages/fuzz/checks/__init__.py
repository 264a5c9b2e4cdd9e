"""interlock's own checks, each a function ``check(exchange, settings) -> None`` that raises
:class:`~interlock.stages.fuzz.checks.exchange.CheckFailed`.

They see an :class:`~interlock.stages.fuzz.checks.exchange.Exchange` (one request and its response),
never a schemathesis object: :mod:`interlock.stages.fuzz.engine` adapts schemathesis' cases and
responses and registers these functions as schemathesis checks.
"""

from __future__ import annotations

from interlock.stages.fuzz.checks import budgets, idempotency, leakage, throttling
from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange

#: Check name -> function, in the order they run on each response.
INTERLOCK_CHECKS = {
    "no_leakage": leakage.no_leakage,
    "retry_after": throttling.retry_after,
    "idempotency": idempotency.idempotency,
    "response_time_budget": budgets.response_time_budget,
}

__all__ = ["INTERLOCK_CHECKS", "CheckFailed", "Exchange"]
