"""The one duration parser: every unit in every file, bare numbers as seconds, absurd values refused."""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, ValidationError

from interlock.core.durations import MAX_DURATION_S, Duration, parse_duration


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("500ms", 0.5),
        ("25s", 25.0),
        ("2m", 120.0),
        ("1.5m", 90.0),
        ("1h", 3600.0),
        ("3", 3.0),
        (" 1.5 s ", 1.5),
        (".5s", 0.5),
        (2, 2.0),
        (0.25, 0.25),
        (0, 0.0),
        ("168h", MAX_DURATION_S),
    ],
)
def test_units_and_bare_numbers(written: object, seconds: float) -> None:
    assert parse_duration(written) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("soon", "expected a duration such as 30s"),
        ("5 days", "expected a duration such as 30s"),
        ("1e3s", "expected a duration such as 30s"),
        (True, "expected a duration such as 30s"),
        (None, "expected a duration such as 30s"),
        ([1], "expected a duration such as 30s"),
        (-1, "cannot be negative"),
        ("-2s", "cannot be negative"),
        (float("nan"), "expected a duration such as 30s"),
        (math.inf, "must be finite"),
        (-math.inf, "must be finite"),
        ("1000000000000s", "longer than the longest duration interlock accepts (604800s, 7 days)"),
        (10**400, "longer than the longest duration"),
        ("169h", "longer than the longest duration"),
    ],
)
def test_bad_durations_say_why(written: object, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(written)
    assert problem in str(caught.value)
    assert repr(written) in str(caught.value) or isinstance(written, float)


def test_as_a_field_type() -> None:
    class Timing(BaseModel):
        timeout: Duration

    assert Timing.model_validate({"timeout": "2m"}).timeout == 120.0
    with pytest.raises(ValidationError, match="cannot be negative"):
        Timing.model_validate({"timeout": "-1ms"})
