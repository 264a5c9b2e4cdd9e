"""interlock's own fuzz checks: one module each, registered with
:func:`~interlock.stages.fuzz.checks.registry.fuzz_check` when imported below.

Each is a function ``check(exchange, state) -> None`` that raises
:class:`~interlock.stages.fuzz.checks.exchange.CheckFailed`. They see an
:class:`~interlock.stages.fuzz.checks.exchange.Exchange` (one request and its response), never a
schemathesis object: :mod:`interlock.stages.fuzz.engine` adapts schemathesis' cases and responses
and registers the checks of :data:`CHECKS` as schemathesis checks.

A new check is a new module here plus one import line (the import order is the run order).
"""

from __future__ import annotations

# The import order is the run order.
# isort: off
from interlock.stages.fuzz.checks import leakage  # noqa: F401
from interlock.stages.fuzz.checks import throttling  # noqa: F401
from interlock.stages.fuzz.checks import idempotency  # noqa: F401
from interlock.stages.fuzz.checks import budgets  # noqa: F401

# isort: on
from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange, Judgement, ReplayTooSlow
from interlock.stages.fuzz.checks.registry import CHECKS, FuzzCheck, LateFailure, RunInfo, fuzz_check

__all__ = [
    "CHECKS",
    "CheckFailed",
    "Exchange",
    "FuzzCheck",
    "Judgement",
    "LateFailure",
    "ReplayTooSlow",
    "RunInfo",
    "fuzz_check",
]
