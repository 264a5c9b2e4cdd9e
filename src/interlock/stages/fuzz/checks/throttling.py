"""Every 429 and 503 must say when to come back: a valid ``Retry-After``.

Without it, well-behaved clients can only guess, and retry storms follow. Valid values are
RFC 9110's: a non-negative integer of seconds, or an HTTP-date.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange
from interlock.stages.fuzz.checks.registry import fuzz_check

THROTTLING_STATUSES = (429, 503)
_DELAY_SECONDS = re.compile(r"^\d+$")


def valid_retry_after(value: str) -> bool:
    value = value.strip()
    if _DELAY_SECONDS.match(value):
        return True
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


@fuzz_check("retry_after", code="IL102")
def retry_after(exchange: Exchange, _settings: object = None) -> None:
    if exchange.status not in THROTTLING_STATUSES:
        return
    value = exchange.header("Retry-After")
    if value is None:
        raise CheckFailed(
            f"{exchange.status} without Retry-After",
            f"a {exchange.status} answer must say when to retry (Retry-After: seconds or an HTTP-date)",
            cause=f"{exchange.status} missing Retry-After",
        )
    if not valid_retry_after(value):
        raise CheckFailed(
            f"{exchange.status} with an invalid Retry-After: {value[:60]!r}",
            "Retry-After must be a non-negative integer of seconds or an HTTP-date",
            cause=f"{exchange.status} invalid Retry-After",
        )
