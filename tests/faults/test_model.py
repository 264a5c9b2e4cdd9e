"""A fault applies toxics, an HTTP error, or takes the provider down, and says so when it cannot."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from interlock.faults.model import MAX_CALLS, TOXIC_TYPES, Fault, HttpErrorToxic, Toxic


def test_defaults_match_toxiproxy_and_the_http_error_toxic() -> None:
    fault = Fault.model_validate(
        {"name": "slow", "toxics": [{"type": "latency", "attributes": {"latency": 900}}]}
    )
    (toxic,) = fault.toxics
    assert (toxic.stream, toxic.toxicity, toxic.name, toxic.attributes) == (
        "downstream",
        1.0,
        None,
        {"latency": 900},
    )
    assert (fault.http_error, fault.down, fault.calls, fault.expect) == (None, False, None, [])
    error = HttpErrorToxic()
    assert (error.status, error.retry_after, error.probability, error.body) == (503, None, 1.0, None)


def test_every_listed_toxic_type_is_accepted() -> None:
    assert {Toxic(type=t).type for t in TOXIC_TYPES} == set(TOXIC_TYPES)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        {"name": "down", "down": True},
        {"name": "err.503", "http_error": {"status": 429, "retry_after": 2, "probability": 0.5}},
        {"name": "both", "toxics": [{"type": "noop"}], "http_error": {}, "calls": MAX_CALLS},
    ],
)
def test_valid_faults(data: dict[str, Any]) -> None:
    assert Fault.model_validate(data).name == data["name"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "nothing"}, "a fault needs 'toxics', 'http_error', 'auth_expiry' or 'down: true'"),
        ({"name": "x", "down": True, "toxics": [{"type": "noop"}]}, "'down: true' refuses every connection"),
        ({"name": "x", "down": True, "http_error": {}}, "'down: true' refuses every connection"),
        ({"name": "-x", "down": True}, "String should match pattern"),
        ({"name": "x", "down": True, "calls": 0}, "greater than or equal to 1"),
        ({"name": "x", "down": True, "calls": MAX_CALLS + 1}, f"less than or equal to {MAX_CALLS}"),
        ({"name": "x", "toxics": [{"type": "jitter"}]}, "Input should be 'latency'"),
        ({"name": "x", "toxics": [{"type": "noop", "toxicity": 1.5}]}, "less than or equal to 1"),
        ({"name": "x", "toxics": [{"type": "noop", "stream": "sideways"}]}, "'upstream' or 'downstream'"),
        ({"name": "x", "http_error": {"status": 200}}, "greater than or equal to 400"),
        ({"name": "x", "http_error": {"retry_after": -1}}, "greater than or equal to 0"),
        ({"name": "x", "down": True, "typo": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_faults(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Fault.model_validate(data)


def test_faults_are_frozen() -> None:
    fault = Fault(name="down", down=True)
    with pytest.raises(ValidationError):
        fault.down = False  # type: ignore[misc]
