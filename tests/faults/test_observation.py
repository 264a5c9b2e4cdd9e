"""Observations read the proxy's JSON as it is, including fields a newer proxy may add."""

from __future__ import annotations

from interlock.faults.observation import Observation


def test_defaults_for_a_request_the_proxy_is_still_forwarding() -> None:
    seen = Observation.model_validate({"seq": 3, "started": 10.5})
    assert (seen.finished, seen.status, seen.method, seen.path) == (None, None, "", "")
    assert seen.reached_provider is True and seen.idempotency_key is None


def test_a_full_observation_keeps_unknown_fields() -> None:
    seen = Observation.model_validate(
        {
            "seq": 1,
            "connection": "c-7",
            "started": 1.0,
            "finished": 1.25,
            "method": "POST",
            "path": "/payments",
            "idempotency_key": "k:payment",
            "status": 503,
            "reached_provider": False,
            "toxics": ["http_error"],
        }
    )
    assert (seen.connection, seen.status, seen.reached_provider) == ("c-7", 503, False)
    assert seen.model_dump()["toxics"] == ["http_error"]
