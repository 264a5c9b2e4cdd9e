"""Durations as people write them in YAML: ``1.5s``, ``300ms``, or a bare number of seconds."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(ms|s)?\s*$")


def parse_seconds(value: Any) -> float:
    """``"300ms"`` -> 0.3, ``"2s"`` -> 2.0, ``2`` -> 2.0; ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms or 2s")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            number = float(match.group(1))
            return number / 1000 if match.group(2) == "ms" else number
    raise ValueError(f"expected a duration such as 500ms or 2s, got {value!r}")


Seconds = Annotated[float, BeforeValidator(parse_seconds)]
"""A pydantic field type: a duration written with ms or s, held in seconds."""
