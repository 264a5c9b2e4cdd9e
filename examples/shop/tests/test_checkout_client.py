"""Unit tests of checkout's outbound clients: retries, budget, breaker, idempotency keys.

Most tests script the network with ``httpx.MockTransport`` and drive a fake clock,
so timing rules are checked exactly and nothing sleeps for real. The last tests
run the real payments app under uvicorn to show that a retried write creates one
payment, not two.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import uvicorn

from examples.shop.checkout.clients import InventoryClient, PaymentsClient, payment_key
from examples.shop.checkout.errors import (
    DependencyUnavailable,
    NotFound,
    OutcomeUnknown,
    OutOfStock,
    PaymentDeclined,
    UnexpectedResponse,
)
from examples.shop.checkout.resilience import ResiliencePolicy, ResilientHttp, parse_retry_after
from examples.shop.payments import create_app as create_payments_app
from examples.shop.payments.ledger import PaymentLedger

pytestmark = pytest.mark.timeout(10)

ORDER_ID = "2c6d1b0e-1f5a-4e8b-9c3d-7a6b5c4d3e2f"
PAYMENT = {"id": "pay_1", "order_id": ORDER_ID, "amount": 1999, "currency": "EUR", "status": "captured"}

Reply = httpx.Response | type[httpx.TransportError]


@dataclass
class FakeTime:
    """A clock that only moves when the code under test sleeps or a request times out."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class ScriptedNetwork:
    """Answers requests from a script; a transport error class "takes" the request's timeout."""

    time: FakeTime
    script: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(reply, httpx.Response):
            return reply
        self.time.now += request.extensions["timeout"]["read"]
        raise reply("scripted failure", request=request)

    @property
    def timeouts(self) -> list[float]:
        return [r.extensions["timeout"]["read"] for r in self.requests]


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def _payments(
    *script: Reply, policy: ResiliencePolicy | None = None
) -> tuple[PaymentsClient, ScriptedNetwork, FakeTime]:
    fake = FakeTime()
    network = ScriptedNetwork(fake, list(script))
    client = PaymentsClient(
        "http://payments.test",
        policy,
        transport=httpx.MockTransport(network),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    return client, network, fake


def test_a_retried_write_sends_the_same_idempotency_key_every_time() -> None:
    client, network, _ = _payments(_json(503, {}), _json(502, {}), _json(201, PAYMENT))

    payment = client.charge(ORDER_ID, 1999, "EUR")

    assert payment.id == "pay_1"
    assert [r.headers["Idempotency-Key"] for r in network.requests] == [payment_key(ORDER_ID)] * 3


@pytest.mark.parametrize(
    ("status", "expected"),
    [(400, UnexpectedResponse), (402, PaymentDeclined), (409, UnexpectedResponse), (422, UnexpectedResponse)],
)
def test_answers_are_never_retried(status: int, expected: type[Exception]) -> None:
    client, network, _ = _payments(_json(status, {"error": "card_declined", "detail": "no"}))

    with pytest.raises(expected):
        client.charge(ORDER_ID, 1999, "EUR")

    assert len(network.requests) == 1


def test_out_of_stock_and_unknown_sku_are_not_retried() -> None:
    fake = FakeTime()
    network = ScriptedNetwork(
        fake,
        [
            _json(409, {"error": "insufficient_stock", "detail": "0 left"}),
            _json(404, {"error": "unknown_sku"}),
        ],
    )
    client = InventoryClient(
        "http://inventory.test", transport=httpx.MockTransport(network), sleep=fake.sleep
    )

    with pytest.raises(OutOfStock):
        client.reserve(ORDER_ID, "SKU-3", 1)
    with pytest.raises(NotFound):
        client.reserve(ORDER_ID, "SKU-404", 1)

    assert len(network.requests) == 2


def test_a_key_still_in_flight_is_retried() -> None:
    client, network, _ = _payments(
        _json(409, {"error": "idempotency_key_in_flight", "detail": "busy"}), _json(201, PAYMENT)
    )

    assert client.charge(ORDER_ID, 1999, "EUR").id == "pay_1"
    assert len(network.requests) == 2


def test_a_500_on_a_write_is_not_retried_and_its_outcome_is_unknown() -> None:
    client, network, _ = _payments(_json(500, {}))

    with pytest.raises(OutcomeUnknown):
        client.charge(ORDER_ID, 1999, "EUR")

    assert len(network.requests) == 1


def test_a_write_without_a_key_is_never_retried() -> None:
    fake = FakeTime()
    network = ScriptedNetwork(fake, [_json(503, {})])
    http = ResilientHttp(
        "payments", "http://payments.test", transport=httpx.MockTransport(network), sleep=fake.sleep
    )

    with pytest.raises(DependencyUnavailable):
        http.request("POST", "/payments", json={})

    assert len(network.requests) == 1


def test_gets_and_deletes_are_retried_without_a_key() -> None:
    fake = FakeTime()
    network = ScriptedNetwork(
        fake, [_json(502, {}), httpx.Response(204), _json(504, {}), _json(200, PAYMENT)]
    )
    inventory = InventoryClient(
        "http://inventory.test", transport=httpx.MockTransport(network), sleep=fake.sleep
    )
    payments = PaymentsClient(
        "http://payments.test", transport=httpx.MockTransport(network), sleep=fake.sleep
    )

    inventory.release("res_1")
    assert payments.get_payment("pay_1").id == "pay_1"

    assert [r.method for r in network.requests] == ["DELETE", "DELETE", "GET", "GET"]
    assert all("Idempotency-Key" not in r.headers for r in network.requests)


def test_connection_failures_mean_the_write_was_not_applied() -> None:
    client, network, _ = _payments(httpx.ConnectError)

    with pytest.raises(DependencyUnavailable) as failure:
        client.charge(ORDER_ID, 1999, "EUR")

    assert not isinstance(failure.value, OutcomeUnknown)
    assert len(network.requests) == 3


def test_timeouts_share_one_budget_and_leave_the_outcome_unknown() -> None:
    policy = ResiliencePolicy(attempt_timeout_s=1.0, budget_s=2.5, max_attempts=5)
    client, network, fake = _payments(httpx.ReadTimeout, policy=policy)

    with pytest.raises(OutcomeUnknown):
        client.charge(ORDER_ID, 1999, "EUR")

    assert network.timeouts[:2] == [1.0, 1.0]
    assert 0 < network.timeouts[-1] < 1.0, "the last attempt gets only what is left of the budget"
    assert fake.now <= policy.budget_s + 1e-9
    assert len(network.requests) == 3


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = ResiliencePolicy(
        max_attempts=6, budget_s=100, backoff_base_s=0.1, backoff_cap_s=0.4, breaker_fail_max=10
    )
    for _ in range(20):
        client, _, fake = _payments(httpx.ConnectError, policy=policy)
        with pytest.raises(DependencyUnavailable):
            client.charge(ORDER_ID, 1999, "EUR")
        windows = [min(0.4, 0.1 * 2**n) for n in range(5)]
        assert all(0 <= slept <= window for slept, window in zip(fake.sleeps, windows, strict=True))


def test_retry_after_is_honoured() -> None:
    client, network, fake = _payments(_json(429, {}, {"Retry-After": "2"}), _json(201, PAYMENT))

    client.charge(ORDER_ID, 1999, "EUR")

    assert fake.sleeps == [2.0]
    assert len(network.requests) == 2


def test_a_retry_after_beyond_the_budget_fails_now_with_the_hint() -> None:
    client, network, fake = _payments(_json(503, {}, {"Retry-After": "30"}))

    with pytest.raises(DependencyUnavailable) as failure:
        client.charge(ORDER_ID, 1999, "EUR")

    assert failure.value.retry_after_s == 30.0
    assert fake.sleeps == []
    assert len(network.requests) == 1


def test_parse_retry_after() -> None:
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)

    assert parse_retry_after("3") == 3.0
    assert 55 < (parse_retry_after(in_a_minute) or 0) <= 60
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after(None) is None


def test_the_breaker_opens_after_consecutive_failures_and_then_fails_fast() -> None:
    policy = ResiliencePolicy(max_attempts=1, breaker_fail_max=5, breaker_reset_timeout_s=10)
    client, network, _ = _payments(_json(503, {}), policy=policy)
    for _ in range(5):
        with pytest.raises(DependencyUnavailable):
            client.charge(ORDER_ID, 1999, "EUR")

    with pytest.raises(DependencyUnavailable) as failure:
        client.charge(ORDER_ID, 1999, "EUR")

    assert "circuit breaker open" in str(failure.value)
    assert failure.value.retry_after_s == pytest.approx(10, abs=0.5)
    assert len(network.requests) == 5


def test_the_breaker_stops_retries_once_it_opens() -> None:
    policy = ResiliencePolicy(max_attempts=3, breaker_fail_max=2)
    client, network, fake = _payments(httpx.ConnectError, policy=policy)

    with pytest.raises(DependencyUnavailable) as failure:
        client.charge(ORDER_ID, 1999, "EUR")

    assert len(network.requests) == 2
    assert len(fake.sleeps) == 1, "no sleep before an attempt the open breaker would refuse"
    assert failure.value.retry_after_s == pytest.approx(policy.breaker_reset_timeout_s, abs=0.5)


def test_answers_do_not_count_against_the_breaker() -> None:
    client, network, _ = _payments(_json(404, {}), policy=ResiliencePolicy(breaker_fail_max=2))
    for _ in range(5):
        with pytest.raises(NotFound):
            client.get_payment("pay_x")

    assert len(network.requests) == 5
    assert client.http.breaker.current_state == "closed"


def test_the_breaker_lets_a_trial_call_through_after_its_reset_timeout() -> None:
    policy = ResiliencePolicy(max_attempts=1, breaker_fail_max=1, breaker_reset_timeout_s=0.05)
    client, _, _ = _payments(_json(503, {}), _json(200, PAYMENT), policy=policy)
    with pytest.raises(DependencyUnavailable):
        client.get_payment("pay_1")
    assert client.http.breaker.current_state == "open"

    time.sleep(0.06)  # pybreaker measures its timeout on the wall clock

    assert client.get_payment("pay_1").id == "pay_1"
    assert client.http.breaker.current_state == "closed"


def test_the_breaker_does_not_serialize_concurrent_calls() -> None:
    def slow(_: httpx.Request) -> httpx.Response:
        time.sleep(0.2)
        return _json(200, PAYMENT)

    client = PaymentsClient("http://payments.test", transport=httpx.MockTransport(slow))
    threads = [threading.Thread(target=client.get_payment, args=("pay_1",)) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert time.monotonic() - started < 0.5


# --- against the real payments service --------------------------------------------------


class LoseFirstResponse(httpx.BaseTransport):
    """Deliver the first request to the server, then drop its response like a timeout would."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if self.lost:
            return response
        response.read()
        response.close()
        self.lost += 1
        raise httpx.ReadTimeout("response lost on the way back (simulated)", request=request)

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def payments_service() -> Iterator[tuple[str, PaymentLedger]]:
    """The payments app under uvicorn on a free loopback port, in a background thread."""
    ledger = PaymentLedger()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound here and handed over: no free-port race
    server = uvicorn.Server(uvicorn.Config(create_payments_app(ledger), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_until(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", ledger
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def _wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.01)


def test_a_retried_write_creates_one_payment(payments_service: tuple[str, PaymentLedger]) -> None:
    base_url, ledger = payments_service
    transport = LoseFirstResponse()
    with PaymentsClient(base_url, transport=transport) as client:
        payment = client.charge(ORDER_ID, 1999, "EUR")

    assert transport.lost == 1, "the first attempt reached the server and its answer was lost"
    assert payment.replayed is True
    assert ledger.count() == 1
    assert ledger.get(payment.id).order_id == ORDER_ID


def test_a_retried_order_with_a_different_amount_is_refused(
    payments_service: tuple[str, PaymentLedger],
) -> None:
    base_url, ledger = payments_service
    with PaymentsClient(base_url) as client:
        client.charge(ORDER_ID, 1999, "EUR")
        with pytest.raises(UnexpectedResponse) as refused:
            client.charge(ORDER_ID, 2999, "EUR")

    assert refused.value.status_code == 422
    assert ledger.count() == 1
