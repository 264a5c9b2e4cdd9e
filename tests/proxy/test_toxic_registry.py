"""The toxic registry: a toxic type is one Kind subclass; registered, it is a type the proxy API
accepts, with its own attributes, and (through the ``answer`` hook) it can answer HTTP requests
itself, observed like http_error's answers.

The proxy runs in this process (an event loop in a thread), so a kind registered by this test
module is a kind of that proxy.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from interlock.proxy.api import Api, make_server
from interlock.proxy.client import BadRequest, ProxyClient
from interlock.proxy.registry import Registry
from interlock.proxy.toxics import KINDS, Answer, Attribute, Kind, Stub, register

# Registering toxic types is interlock's extension point: an in-process server, never the real one.
pytestmark = pytest.mark.embedded_only


class Teapot(Kind):
    """Answers every ``every``-th request on a connection with 418, whatever the provider says."""

    name = "teapot"
    struct = "TeapotToxic"
    attributes = (Attribute("every", "int", 1),)
    passive = True
    answers_requests = True

    def initial_attributes(self) -> dict[str, Any]:
        return {"every": 1}

    def check_attributes(self, attributes: dict[str, Any]) -> None:
        if attributes["every"] < 1:
            raise ValueError("teapot every must be at least 1")

    def answer(self, stub: Stub, keep_alive: bool) -> Answer | None:
        count = stub.state["count"] = stub.state.get("count", 0) + 1
        if count % stub.attrs["every"]:
            return None
        body = b"short and stout"
        head = f"HTTP/1.1 418 I'm a teapot\r\nContent-Length: {len(body)}\r\n"
        return Answer(418, (head + ("" if keep_alive else "Connection: close\r\n") + "\r\n").encode() + body)


@pytest.fixture
def teapot() -> Iterator[str]:
    register(Teapot())
    yield "teapot"
    KINDS.pop("teapot", None)


@pytest.fixture
def local_api() -> Iterator[ProxyClient]:
    """A proxy API served by an event loop in this process."""
    loop = asyncio.new_event_loop()
    registry = Registry(seed=1)
    started = threading.Event()
    bound: list[int] = []

    async def start() -> None:
        server = await loop.create_server(make_server(Api(registry)), "127.0.0.1", 0)
        bound.append(server.sockets[0].getsockname()[1])
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert started.wait(5)
    with ProxyClient(f"http://127.0.0.1:{bound[0]}") as client:
        yield client
    asyncio.run_coroutine_threadsafe(registry.stop_all(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_a_registered_toxic_answers_http_requests_through_the_proxy(
    teapot: str, local_api: ProxyClient, http_upstream: str
) -> None:
    listen = local_api.create_proxy("shop", "127.0.0.1:0", http_upstream)["listen"]
    toxic = local_api.add_toxic("shop", teapot, "downstream", attributes={"every": 2})
    assert toxic["type"] == "teapot" and toxic["attributes"] == {"every": 2}
    with httpx.Client(base_url=f"http://{listen}", timeout=5) as client:
        statuses = [client.get(f"/brew/{i}").status_code for i in range(4)]
        assert client.get("/brew/4").status_code == 200
    assert statuses == [200, 418, 200, 418]  # one keep-alive connection: every second request
    deadline = time.monotonic() + 5
    while True:
        records = local_api.observations("shop")["observations"]
        if (all(r["finished"] for r in records) and len(records) == 5) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert [(r["path"], r["status"], r["reached_provider"]) for r in records] == [
        ("/brew/0", 200, True),
        ("/brew/1", 418, False),
        ("/brew/2", 200, True),
        ("/brew/3", 418, False),
        ("/brew/4", 200, True),
    ]
    with pytest.raises(BadRequest, match="teapot every must be at least 1"):
        local_api.add_toxic("shop", teapot, "upstream", name="never", attributes={"every": 0})


def test_an_unregistered_toxic_type_is_refused(local_api: ProxyClient, http_upstream: str) -> None:
    local_api.create_proxy("shop", "127.0.0.1:0", http_upstream)
    with pytest.raises(BadRequest, match="invalid toxic type"):
        local_api.add_toxic("shop", "teapot", "downstream")
    with pytest.raises(ValueError, match="already registered"):
        register(type("OtherLatency", (Kind,), {"name": "latency"})())
