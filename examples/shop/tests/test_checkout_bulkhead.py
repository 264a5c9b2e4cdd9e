"""Checkout's bulkhead per dependency, and ``GET /availability``, which asks inventory only."""

from __future__ import annotations

import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from examples.shop.checkout import create_app
from examples.shop.checkout.bulkhead import Bulkhead
from examples.shop.checkout.clients import InventoryClient, PaymentsClient
from examples.shop.checkout.errors import DependencyUnavailable
from examples.shop.checkout.resilience import ResiliencePolicy, ResilientHttp
from examples.shop.checkout.service import Checkout

pytestmark = pytest.mark.timeout(10)


def test_calls_beyond_the_bound_fail_at_once_and_free_slots_are_reused() -> None:
    bulkhead = Bulkhead("payments", 2)
    full = pytest.raises(DependencyUnavailable, match="bulkhead full: 2 calls already in flight")
    with bulkhead, bulkhead, full, bulkhead:
        pass
    with bulkhead:  # both slots were given back
        pass


def test_a_dependency_full_of_slow_calls_refuses_more_but_the_other_is_untouched() -> None:
    release = threading.Event()
    arrived = threading.Semaphore(0)

    def slow(request: httpx.Request) -> httpx.Response:
        arrived.release()
        release.wait(5)
        return httpx.Response(200, json={})

    policy = ResiliencePolicy(max_concurrent=2, max_attempts=1)
    payments = ResilientHttp("payments", "http://payments", policy, transport=httpx.MockTransport(slow))
    inventory = ResilientHttp(
        "inventory", "http://inventory", policy, transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    callers = [threading.Thread(target=payments.request, args=("GET", "/p")) for _ in range(2)]
    for caller in callers:
        caller.start()
    assert arrived.acquire(timeout=5) and arrived.acquire(timeout=5)
    try:
        with pytest.raises(DependencyUnavailable, match="bulkhead full"):
            payments.request("GET", "/p")
        assert inventory.request("GET", "/i").status_code == 200
    finally:
        release.set()
        for caller in callers:
            caller.join(5)


@pytest.mark.parametrize(
    ("answer", "status", "body"),
    [
        (
            httpx.Response(200, json={"sku": "SKU-1", "available": 3}),
            200,
            {"sku": "SKU-1", "available": 3, "in_stock": True},
        ),
        (
            httpx.Response(200, json={"sku": "SKU-3", "available": 0}),
            200,
            {"sku": "SKU-3", "available": 0, "in_stock": False},
        ),
        (httpx.Response(404, json={"error": "unknown_sku", "detail": "x"}), 404, None),
        (httpx.Response(503), 503, None),
    ],
)
def test_availability_asks_inventory_only(answer: httpx.Response, status: int, body: object) -> None:
    asked: list[str] = []

    def inventory(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        return answer

    def payments(request: httpx.Request) -> httpx.Response:
        raise AssertionError("availability must not call payments")

    policy = ResiliencePolicy(attempt_timeout_s=0.2, budget_s=0.5, backoff_base_s=0.001, backoff_cap_s=0.001)
    checkout = Checkout(
        PaymentsClient("http://payments", policy, transport=httpx.MockTransport(payments)),
        InventoryClient("http://inventory", policy, transport=httpx.MockTransport(inventory)),
    )
    with TestClient(create_app(checkout)) as client:
        response = client.get("/availability/SKU-1")
    assert response.status_code == status
    if body is not None:
        assert response.json() == body
    assert set(asked) == {"GET /stock/SKU-1"}
