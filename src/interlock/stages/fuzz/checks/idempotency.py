"""Idempotency: the same request twice must not do the work twice.

* A write (POST, PATCH) whose operation declares the idempotency header (``Idempotency-Key``),
  sent twice with the same key and body, must give the same status and body, and no second
  resource (a different ``id`` or ``Location`` is one). When the generated request carried no
  key, the check sends it twice itself with a fresh key.
* GET, HEAD, PUT and DELETE are idempotent by definition (RFC 9110): sent again at once they
  must answer the same status (a repeated DELETE may answer 404/410), and GET/HEAD/PUT the
  same body.

Each replay costs requests, so only ``samples`` requests per operation are replayed per run.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from interlock.core.config import Strict
from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange
from interlock.stages.fuzz.checks.registry import RunInfo, fuzz_check

WRITE_METHODS = ("POST", "PATCH")
SAFE_REPEAT_METHODS = ("GET", "HEAD", "PUT", "DELETE")
_GONE = (404, 410)


class IdempotencySettings(Strict):
    """The suite's ``idempotency:`` key: how the check replays requests."""

    header: str = "Idempotency-Key"
    #: Replays per operation and run: each costs one or two extra requests.
    samples: int = Field(default=2, ge=0, le=1000)


@dataclass
class IdempotencyState:
    """The check's settings and how many replays each operation has had."""

    header: str = "Idempotency-Key"
    samples: int = 2
    #: Operations ("POST /payments") whose spec declares the idempotency header.
    keyed_operations: Collection[str] = ()
    _used: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take_sample(self, operation: str) -> bool:
        with self._lock:
            used = self._used.get(operation, 0)
            if used >= self.samples:
                return False
            self._used[operation] = used + 1
            return True


def _start(settings: IdempotencySettings, run: RunInfo) -> IdempotencyState:
    return IdempotencyState(
        header=settings.header,
        samples=settings.samples,
        keyed_operations=run.operations_declaring_header(settings.header),
    )


@fuzz_check("idempotency", code="IL103", settings=IdempotencySettings, start=_start, remember_verdicts=True)
def idempotency(exchange: Exchange, state: IdempotencyState) -> None:
    method = exchange.method.upper()
    if exchange.resend is None or exchange.status >= 500 or exchange.status == 429:
        return
    if not exchange.operation.upper().startswith(f"{method} "):
        return  # a probe with another method (unsupported_method): not this operation's semantics
    if method in WRITE_METHODS:
        if (
            exchange.positive
            and exchange.operation in state.keyed_operations
            and 200 <= exchange.status < 300
            and state.take_sample(exchange.operation)
        ):
            _check_keyed_write(exchange, state.header)
    elif method in SAFE_REPEAT_METHODS and state.take_sample(exchange.operation):
        _check_repeat(exchange)


def _check_keyed_write(exchange: Exchange, header: str) -> None:
    assert exchange.resend is not None
    key = exchange.request_header(header)
    first = exchange
    if key is None:
        key = f"interlock-{uuid.uuid4().hex}"
        first = exchange.resend({header: key})
        if not 200 <= first.status < 300:
            return
    second = exchange.resend({header: key})
    curls = [first.curl({header: key}), first.curl({header: key})]
    what = f"{exchange.method} sent twice with the same {header}"
    first_id, second_id = _resource_id(first), _resource_id(second)
    if second.status < 300 and first_id != second_id:
        raise CheckFailed(
            f"{what} created a second resource",
            f"first answer {first.status} {first_id}, second answer {second.status} {second_id}",
            cause="second resource",
            curls=curls,
        )
    if second.status != first.status or first.json() != second.json():
        raise CheckFailed(
            f"{what} gave a different result",
            f"first: {first.status} {_clip(first.text)}\nsecond: {second.status} {_clip(second.text)}",
            cause="different result",
            curls=curls,
        )


def _check_repeat(exchange: Exchange) -> None:
    assert exchange.resend is not None
    again = exchange.resend({})
    method = exchange.method.upper()
    curls = [exchange.curl({}), exchange.curl({})]
    if again.status >= 500 and exchange.status < 500:
        raise CheckFailed(
            f"{method} repeated failed with {again.status}",
            f"first: {exchange.status}, repeated: {again.status} {_clip(again.text)}",
            cause="repeat failed",
            curls=curls,
        )
    if method == "DELETE":
        consistent = again.status == exchange.status or (
            200 <= exchange.status < 300 and again.status in _GONE
        )
        if not consistent:
            raise CheckFailed(
                f"DELETE repeated answered {again.status} after {exchange.status}",
                "a repeated DELETE must answer as the first did, or 404/410 once the resource is gone",
                cause="inconsistent status",
                curls=curls,
            )
        return
    if again.status != exchange.status:
        raise CheckFailed(
            f"{method} repeated answered {again.status} after {exchange.status}",
            f"first: {_clip(exchange.text)}\nrepeated: {_clip(again.text)}",
            cause="inconsistent status",
            curls=curls,
        )
    if method != "HEAD" and 200 <= exchange.status < 300 and exchange.json() != again.json():
        raise CheckFailed(
            f"{method} repeated gave a different body",
            f"first: {_clip(exchange.text)}\nrepeated: {_clip(again.text)}",
            cause="different result",
            curls=curls,
        )


def _resource_id(exchange: Exchange) -> Any:
    """What identifies the resource an answer describes: its Location, else the body's ``id``."""
    location = exchange.header("Location")
    if location:
        return location
    body = exchange.json()
    return body.get("id") if isinstance(body, dict) else None


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
