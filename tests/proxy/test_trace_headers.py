"""The proxy records the headers that link a request to the call that caused it (trace propagation)."""

from __future__ import annotations

import httpx
import pytest

from interlock.proxy.client import ProxyClient
from tests.proxy.test_http_faults import make, wait_complete

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.embedded_only
def test_records_traceparent_and_request_ids_only_when_sent(api: ProxyClient, http_upstream: str) -> None:
    base = make(api, http_upstream, "traced")
    with httpx.Client(base_url=base, timeout=5) as client:
        client.get("/a", headers={"traceparent": TRACEPARENT})
        client.get("/b", headers={"X-Request-Id": "req-1", "X-Correlation-Id": "corr-1"})
        client.get("/c")
        client.get("/d", headers={"X-Request-Id": "r" * 1000})
    records = wait_complete(api, "traced", 4)
    assert records[0]["traceparent"] == TRACEPARENT
    assert "request_id" not in records[0] and "correlation_id" not in records[0]
    assert (records[1]["request_id"], records[1]["correlation_id"]) == ("req-1", "corr-1")
    assert not {"traceparent", "request_id", "correlation_id"} & set(records[2])  # none sent: none kept
    assert records[3]["request_id"] == "r" * 256  # bounded
