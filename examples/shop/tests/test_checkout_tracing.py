"""Checkout passes the incoming trace on: same trace id, a new span per outbound request.

Inventory and payments are scripted with ``httpx.MockTransport`` behind checkout's real
:class:`PropagatingTransport`; checkout's clients, service, middleware and HTTP layer are real.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from examples.shop.checkout import create_app
from examples.shop.checkout.clients import InventoryClient, PaymentsClient
from examples.shop.checkout.resilience import ResiliencePolicy
from examples.shop.checkout.service import Checkout
from examples.shop.checkout.tracing import PropagatingTransport, parse

pytestmark = pytest.mark.timeout(10)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE}-00f067aa0ba902b7-01"
FAST = ResiliencePolicy(attempt_timeout_s=0.2, budget_s=1.0, backoff_base_s=0.001, backoff_cap_s=0.001)


def shop(seen: list[httpx.Request], payment_failures: int = 0) -> TestClient:
    failures = [payment_failures]

    def inventory(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "res_1", "sku": "SKU-1", "qty": 1, "status": "held"})

    def payments(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if failures[0]:
            failures[0] -= 1
            return httpx.Response(503)
        body = {"id": "pay_1", "order_id": "o", "amount": 1999, "currency": "EUR", "status": "captured"}
        return httpx.Response(201, json=body)

    checkout = Checkout(
        PaymentsClient(
            "http://payments", FAST, transport=PropagatingTransport(httpx.MockTransport(payments))
        ),
        InventoryClient(
            "http://inventory", FAST, transport=PropagatingTransport(httpx.MockTransport(inventory))
        ),
    )
    return TestClient(create_app(checkout))


def test_every_outbound_request_retries_included_carries_the_incoming_trace() -> None:
    seen: list[httpx.Request] = []
    with shop(seen, payment_failures=1) as client:
        response = client.post("/orders", json={"sku": "SKU-1", "qty": 1}, headers={"traceparent": INCOMING})
    assert response.status_code == 201
    assert [r.url.path for r in seen] == ["/reservations", "/payments", "/payments"]
    contexts = [parse(r.headers["traceparent"]) for r in seen]
    assert contexts == [(TRACE, "01")] * 3
    spans = {r.headers["traceparent"].split("-")[2] for r in seen}
    assert len(spans) == 3 and "00f067aa0ba902b7" not in spans  # a span of its own per request


@pytest.mark.parametrize("incoming", [None, "00-not-a-trace", f"00-{'0' * 32}-00f067aa0ba902b7-01"])
def test_a_call_without_a_valid_trace_starts_one_for_all_its_requests(incoming: str | None) -> None:
    seen: list[httpx.Request] = []
    headers = {"traceparent": incoming} if incoming else {}
    with shop(seen) as client:
        client.post("/orders", json={"sku": "SKU-1", "qty": 1}, headers=headers)
        client.post("/orders", json={"sku": "SKU-1", "qty": 1}, headers=headers)
    traces = [parse(r.headers["traceparent"]) for r in seen]
    assert None not in traces
    first, second = {t[0] for t in traces[:2] if t}, {t[0] for t in traces[2:] if t}
    assert len(first) == 1 and len(second) == 1 and first != second  # one trace per call
