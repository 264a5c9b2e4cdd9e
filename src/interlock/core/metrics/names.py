"""The name a percentile is stored under, shared by the thresholds parser and every stage's measurements.

A gate ``p(99.99999) < 1s`` is looked up in the measured values by its name, so the parser and
the code that measures must spell the name identically. Both go through :func:`percentile_name`,
which names a percentile by its float: the shortest decimal that reads back as that float
(``repr``), without exponent or redundant zeros. ``p(095.50)`` is ``p(95.5)``, ``p(99.99999)``
stays ``p(99.99999)`` (6 significant digits, as ``format(q, "g")`` once gave, would make it
``p(100)``), and text with more digits than a float holds is named by the float it reads as, so
the name always says which percentile is computed.
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = ["PERCENTILE_FAMILY", "percentile_name", "quantile_of"]

#: The registry key standing for every ``p(N)``; also what ``known_metrics`` lists to admit them all.
PERCENTILE_FAMILY = "p"

_PERCENTILE = re.compile(r"p\((?P<q>[0-9.]+)\)")


def percentile_name(q: float) -> str:
    """``95.0`` -> ``p(95)``, ``1e-05`` -> ``p(0.00001)``, ``99.99999`` -> ``p(99.99999)``.

    ``float(text)`` of the number in the name gives ``q`` back exactly, so
    ``percentile_name(quantile_of(name)) == name`` for every name this function made.
    """
    q = float(q)
    if not 0 <= q <= 100:  # also rejects NaN
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    return f"p({format(Decimal(repr(q)).normalize(), 'f')})"


def quantile_of(name: str) -> float | None:
    """``N`` of a ``p(N)`` name; ``None`` for any other metric."""
    match = _PERCENTILE.fullmatch(name)
    return float(match["q"]) if match else None
