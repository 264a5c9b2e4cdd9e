"""The provider-state call: one body, sent one way, failures described the same for every stage."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from interlock.core.provider_states import (
    StateChangeFailed,
    change_state,
    read_state_change,
    state_change_body,
)

URL = "http://127.0.0.1:9/_pact/states"


def client_answering(status: int, text: str = "{}", seen: list[Any] | None = None) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append((request.method, str(request.url), json.loads(request.content)))
        return httpx.Response(status, text=text)

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_the_body_the_verifier_sends() -> None:
    assert state_change_body("a payment exists", {"id": 7}, "teardown") == {
        "state": "a payment exists",
        "params": {"id": 7},
        "action": "teardown",
    }
    assert state_change_body("no payments", None) == {"state": "no payments", "params": {}, "action": "setup"}


def test_change_state_posts_the_body() -> None:
    seen: list[Any] = []
    change_state(client_answering(200, seen=seen), URL, "a payment exists", {"id": 7})
    assert seen == [("POST", URL, {"state": "a payment exists", "params": {"id": 7}, "action": "setup"})]


def test_a_refusing_endpoint_is_a_failure_quoting_its_answer() -> None:
    with pytest.raises(StateChangeFailed) as caught:
        change_state(client_answering(500, "database is locked" + "x" * 1000), URL, "s", {})
    assert str(caught.value).startswith(f"POST {URL} answered 500: database is locked")
    assert len(str(caught.value)) < 400


def test_an_unreachable_endpoint_is_a_failure_naming_the_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(StateChangeFailed, match="failed: ConnectError: connection refused"):
        change_state(httpx.Client(transport=httpx.MockTransport(refuse)), URL, "s", {}, "teardown")


def test_reading_what_the_pact_core_sends() -> None:
    assert read_state_change(state_change_body("s", {"a": 1}, "teardown")) == ("s", "teardown", {"a": 1})
    assert read_state_change({"state": "s"}) == ("s", "setup", None)
    assert read_state_change({}) == ("", "setup", None)
    with pytest.raises(ValueError, match="JSON object"):
        read_state_change(["s"])
    with pytest.raises(ValueError, match="'params' must be a JSON object"):
        read_state_change({"state": "s", "params": "id=1"})
