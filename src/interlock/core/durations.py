"""Durations as people write them in interlock's files and options: ``500ms``, ``30s``, ``2m``, ``1h``.

One parser for every file kind and option, so ``2m`` means two minutes in a fuzz suite, a load
profile, an experiment and the manifest alike. A bare number is seconds. Negative, NaN and
infinite values are errors, and so is anything longer than :data:`MAX_DURATION_S`: a duration
that large is a typo (``1000000000000s``), and bounding every duration keeps every wait bounded.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

#: The longest duration interlock accepts anywhere: a week, longer than any soak test.
MAX_DURATION_S = 7 * 24 * 3600.0
#: Seconds per unit; a number without a unit is seconds.
UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

_DURATION = re.compile(r"^\s*(?P<n>[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*(?P<unit>ms|s|m|h)?\s*$")
_EXPECTED = "expected a duration such as 30s, 2m, 500ms or 1h (a bare number is seconds)"


def parse_duration(value: Any) -> float:
    """``"300ms"`` -> 0.3, ``"2m"`` -> 120.0, ``2`` -> 2.0; ValueError naming the value otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{_EXPECTED}, got {value!r}")
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{_EXPECTED}, got {value!r}")
        seconds = float(match["n"]) * UNITS_S[match["unit"] or "s"]
    elif isinstance(value, float):
        seconds = value
    else:
        # An int too large for a float is still a duration too long (or negative): say so.
        seconds = float(value) if abs(value) <= MAX_DURATION_S else (math.inf if value > 0 else -math.inf)
    if math.isnan(seconds):
        raise ValueError(f"{_EXPECTED}, got {value!r}")
    if math.isinf(seconds) and isinstance(value, float):
        raise ValueError(f"a duration must be finite, got {value!r}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    if seconds > MAX_DURATION_S:
        raise ValueError(
            f"{value!r} is longer than the longest duration interlock accepts ({MAX_DURATION_S:g}s, 7 days)"
        )
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A pydantic field type: a duration written with ms, s, m or h (or bare seconds), held in seconds.

Add ``Field(gt=..., le=...)`` on the field for a tighter bound where one makes sense."""
