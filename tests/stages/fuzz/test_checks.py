"""interlock's own fuzz checks, on hand-made exchanges (fast; the gate tests run them for real).

The leak and idempotency checks have their own modules in tests/stages/fuzz/checks/.
"""

from __future__ import annotations

import pytest

from interlock.stages.fuzz.checks import CheckFailed
from interlock.stages.fuzz.checks.budgets import BudgetBook, parse_budget, response_time_budget
from interlock.stages.fuzz.checks.throttling import retry_after, valid_retry_after
from tests.stages.fuzz.checks.exchanges import exchange

# --- throttling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0", True),
        ("120", True),
        ("Wed, 21 Oct 2026 07:28:00 GMT", True),
        ("-1", False),
        ("soon", False),
        ("1.5", False),
        ("", False),
    ],
)
def test_retry_after_values(value: str, valid: bool) -> None:
    assert valid_retry_after(value) is valid


def test_429_and_503_need_a_valid_retry_after() -> None:
    retry_after(exchange(status=429, headers={"Retry-After": "3"}))
    retry_after(exchange(status=500))
    with pytest.raises(CheckFailed, match="429 without Retry-After"):
        retry_after(exchange(status=429))
    with pytest.raises(CheckFailed, match="invalid Retry-After"):
        retry_after(exchange(status=503, headers={"retry-after": "later"}))


# --- budgets ---------------------------------------------------------------------------------------


def test_max_budget_fails_per_response_and_percentiles_after_the_run() -> None:
    book = BudgetBook(
        {
            "GET /things/*": [parse_budget("max < 100ms"), parse_budget("p(90) < 20ms")],
            "POST *": [parse_budget("avg < 1ms")],
        }
    )
    for ms in [5, 6, 7, 8, 50]:
        response_time_budget(exchange(elapsed_ms=ms), book)
    with pytest.raises(CheckFailed, match="max = 150ms, expected < 100ms"):
        response_time_budget(exchange(elapsed_ms=150), book)
    failed = book.evaluate()
    assert [(op, threshold) for op, threshold, _m, _c in failed] == [("GET /things/{id}", "p(90) < 20ms")]
    assert "curl" in failed[0][3]
