"""interlock's own fuzz checks, on hand-made exchanges (fast; the gate tests run them for real)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from interlock.stages.fuzz.checks import CheckFailed, Exchange
from interlock.stages.fuzz.checks.budgets import BudgetBook, parse_budget, response_time_budget
from interlock.stages.fuzz.checks.idempotency import IdempotencyState, idempotency
from interlock.stages.fuzz.checks.leakage import find_leaks, no_leakage
from interlock.stages.fuzz.checks.throttling import retry_after, valid_retry_after


def exchange(
    body: Any = None,
    *,
    status: int = 200,
    method: str = "GET",
    operation: str = "GET /things/{id}",
    headers: Mapping[str, str] | None = None,
    request_headers: Mapping[str, str] | None = None,
    sent: list[str] | None = None,
    elapsed_ms: float = 5.0,
    server: Callable[[Mapping[str, str]], tuple[int, Any]] | None = None,
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    sent_headers = dict(request_headers or {})

    def resend(overrides: Mapping[str, str]) -> Exchange:
        assert server is not None
        merged = {**sent_headers, **overrides}
        again_status, again_body = server(merged)
        return exchange(
            again_body,
            status=again_status,
            method=method,
            operation=operation,
            request_headers=merged,
            server=server,
        )

    return Exchange(
        operation=operation,
        method=method,
        url="http://127.0.0.1:1/things",
        request_headers=sent_headers,
        request_body=None,
        status=status,
        response_headers=dict(headers or {}),
        body=raw,
        elapsed_ms=elapsed_ms,
        sent_values=sent or [],
        resend=resend if server else None,
        curl=lambda o: (
            f"curl -X {method} http://127.0.0.1:1/things " + " ".join(f"-H '{k}: {v}'" for k, v in o.items())
        ),
    )


# --- no leakage ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (
            {"detail": 'Traceback (most recent call last):\n  File "/srv/app/x.py", line 3, in f'},
            "stack trace",
        ),
        ({"detail": "at com.shop.Payments.capture(Payments.java:42)"}, "stack trace"),
        ({"error": "sqlalchemy.exc.IntegrityError (duplicate key)"}, "exception class"),
        ({"error": "KeyError: 'amount'"}, "exception class"),
        ({"detail": "cannot open /var/lib/payments/ledger.db"}, "file path"),
        ({"detail": "query failed: SELECT id, amount FROM payments WHERE id = 1"}, "SQL"),
        ({"detail": 'ERROR: syntax error at or near "\'"'}, "SQL"),
        ({"detail": "could not connect to postgres://app:hunter2@db:5432/shop"}, "connection string"),
        ({"debug": {"aws": "AKIAIOSFODNN7EXAMPLE"}}, "credential"),
        (
            {
                "token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
                "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
            },
            "credential",
        ),
        (b"<pre>Traceback (most recent call last):</pre>", "stack trace"),
    ],
)
def test_leaks_are_found(body: Any, cause: str) -> None:
    with pytest.raises(CheckFailed) as failed:
        no_leakage(exchange(body, status=500))
    assert failed.value.cause == cause


@pytest.mark.parametrize(
    "body",
    [
        {"error": "invalid_request", "detail": "body.amount: Input should be greater than 0"},
        {"error": "payment_not_found", "detail": "no payment 'pay_1'"},
        {"id": "pay_1", "amount": 1999, "currency": "EUR", "status": "captured"},
        {
            "error": "idempotency_key_reused",
            "detail": "this Idempotency-Key was already used for a different request",
        },
    ],
)
def test_ordinary_answers_are_not_leaks(body: Any) -> None:
    no_leakage(exchange(body, status=422))


def test_a_value_the_request_sent_is_not_a_leak() -> None:
    sent = "SELECT * FROM users"
    echo = exchange({"detail": f"no SKU '{sent}' at /etc/passwd/x"}, status=404, sent=[sent, "/etc/passwd/x"])
    no_leakage(echo)
    assert find_leaks(exchange({"detail": f"no SKU '{sent}'"}, status=404, sent=[]))


def test_an_echoed_secret_header_is_a_leak_unless_the_body_carried_it() -> None:
    token = "s3cr3t-value-123"
    leak = exchange(
        {"detail": f"caller {token}"}, status=403, request_headers={"Authorization": f"Bearer {token}"}
    )
    with pytest.raises(CheckFailed, match="echoed authorization header"):
        no_leakage(leak)
    no_leakage(
        exchange(
            {"detail": f"caller {token}"},
            status=403,
            request_headers={"Authorization": f"Bearer {token}"},
            sent=[token],
        )
    )
    no_leakage(
        exchange({"detail": "x-request-id abcdefghijk"}, request_headers={"X-Request-Id": "abcdefghijk"})
    )


# --- throttling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0", True),
        ("120", True),
        ("Wed, 21 Oct 2026 07:28:00 GMT", True),
        ("-1", False),
        ("soon", False),
        ("1.5", False),
        ("", False),
    ],
)
def test_retry_after_values(value: str, valid: bool) -> None:
    assert valid_retry_after(value) is valid


def test_429_and_503_need_a_valid_retry_after() -> None:
    retry_after(exchange(status=429, headers={"Retry-After": "3"}))
    retry_after(exchange(status=500))
    with pytest.raises(CheckFailed, match="429 without Retry-After"):
        retry_after(exchange(status=429))
    with pytest.raises(CheckFailed, match="invalid Retry-After"):
        retry_after(exchange(status=503, headers={"retry-after": "later"}))


# --- idempotency -----------------------------------------------------------------------------------


def keyed_write(server: Callable[[Mapping[str, str]], tuple[int, Any]], key: str | None = "k-1") -> Exchange:
    headers = {"Idempotency-Key": key} if key else {}
    status, body = server(headers)
    return exchange(
        body, status=status, method="POST", operation="POST /payments", request_headers=headers, server=server
    )


def test_a_write_that_honours_its_key_passes() -> None:
    remembered: dict[str, tuple[int, Any]] = {}
    ids = itertools.count()

    def honours(headers: Mapping[str, str]) -> tuple[int, Any]:
        key = headers.get("Idempotency-Key")
        if key and key in remembered:
            return remembered[key]
        answer = (201, {"id": f"pay_{next(ids)}"})
        if key:
            remembered[key] = answer
        return answer

    state = IdempotencyState(keyed_operations={"POST /payments"})
    idempotency(keyed_write(honours), state)
    idempotency(keyed_write(honours, key=None), state)  # the check brings its own key


def test_a_write_that_ignores_its_key_makes_a_second_resource() -> None:
    ids = itertools.count()
    state = IdempotencyState(keyed_operations={"POST /payments"})
    with pytest.raises(CheckFailed) as failed:
        idempotency(keyed_write(lambda _h: (201, {"id": f"pay_{next(ids)}"})), state)
    assert failed.value.cause == "second resource"
    assert (
        failed.value.curls
        and len(failed.value.curls) == 2
        and "Idempotency-Key: k-1" in failed.value.curls[0]
    )


def test_replays_are_bounded_per_operation_and_skip_undeclared_writes() -> None:
    calls = []

    def ignores(headers: Mapping[str, str]) -> tuple[int, Any]:
        calls.append(headers)
        return 201, {"id": str(len(calls))}

    idempotency(keyed_write(ignores), IdempotencyState(keyed_operations=set()))  # no key declared: no replay
    assert len(calls) == 1
    state = IdempotencyState(keyed_operations={"POST /payments"}, samples=1)
    with pytest.raises(CheckFailed):
        idempotency(keyed_write(ignores), state)
    idempotency(keyed_write(ignores), state)  # the one sample is spent


def test_repeated_gets_and_deletes_must_agree() -> None:
    state = IdempotencyState(samples=10)
    idempotency(exchange({"a": 1}, server=lambda _h: (200, {"a": 1})), state)
    with pytest.raises(CheckFailed, match="GET repeated answered 404 after 200"):
        idempotency(exchange({"a": 1}, server=lambda _h: (404, {})), state)
    delete = {"method": "DELETE", "operation": "DELETE /things/{id}"}
    idempotency(exchange(None, status=204, server=lambda _h: (404, {}), **delete), state)
    with pytest.raises(CheckFailed, match="DELETE repeated failed with 500"):
        idempotency(exchange(None, status=204, server=lambda _h: (500, {}), **delete), state)


# --- budgets ---------------------------------------------------------------------------------------


def test_max_budget_fails_per_response_and_percentiles_after_the_run() -> None:
    book = BudgetBook(
        {
            "GET /things/*": [parse_budget("max < 100ms"), parse_budget("p(90) < 20ms")],
            "POST *": [parse_budget("avg < 1ms")],
        }
    )
    for ms in [5, 6, 7, 8, 50]:
        response_time_budget(exchange(elapsed_ms=ms), book)
    with pytest.raises(CheckFailed, match="max = 150ms, expected < 100ms"):
        response_time_budget(exchange(elapsed_ms=150), book)
    failed = book.evaluate()
    assert [(op, threshold) for op, threshold, _m, _c in failed] == [("GET /things/{id}", "p(90) < 20ms")]
    assert "curl" in failed[0][3]
