"""``Retry-After`` as the proxy reads it from a provider's answer: seconds, or None.

Only 429 and 503 answers are read (the statuses RFC 9110 gives ``Retry-After`` a meaning for that
a consumer retries), so the fast path pays nothing for every other response.
"""

from __future__ import annotations

import email.utils
import math
import time

RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_of(head: bytes) -> float | None:
    """The ``Retry-After`` of a response head in seconds (delta-seconds or HTTP-date), or None."""
    lower = head.lower()
    at = lower.find(b"\nretry-after:")
    if at < 0:
        return None
    end = head.find(b"\r\n", at + 13)
    return parse(head[at + 13 : end if end >= 0 else len(head)].strip().decode("latin-1"))


def parse(value: str) -> float | None:
    """Seconds from ``value``; an HTTP-date counts from now; None when it is neither."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0) if math.isfinite(seconds) else None
