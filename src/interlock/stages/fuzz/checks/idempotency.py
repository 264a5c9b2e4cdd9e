"""Idempotency: the same request twice must not do the work twice.

* A write (POST, PATCH) whose operation declares the idempotency header (``Idempotency-Key``),
  sent twice with the same key and body, must give the same status and body, and no second
  resource (a different ``id`` or ``Location`` is one). When the generated request carried no
  key, the check sends it twice itself with a fresh key.
* GET, HEAD, PUT and DELETE are idempotent by definition (RFC 9110 §9.2.2): the check replays
  the request twice and judges only what the two replays agree on (see :func:`_check_repeat`),
  so what varies by itself (timestamps, uuids, counters, a random status) never fires, and the
  status changes HTTP allows (PUT 201 then 200, DELETE 200 then 404) pass.

One operation's defect is one finding: every repeat problem has the cause ``repeat differs``,
every keyed-write problem ``key not honoured``. Each replay costs requests, so only ``samples``
requests per operation are replayed per run (two replays each, three for a keyed write).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from interlock.core.config import Strict
from interlock.core.durations import Duration
from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange, ReplayTooSlow
from interlock.stages.fuzz.checks.registry import RunInfo, fuzz_check

WRITE_METHODS = ("POST", "PATCH")
SAFE_REPEAT_METHODS = ("GET", "HEAD", "PUT", "DELETE")
#: The one cause of a repeated GET/HEAD/PUT/DELETE that did not answer alike (status or body).
REPEAT_CAUSE = "repeat differs"
#: The one cause of a keyed write whose retry was not the first answer replayed.
KEY_CAUSE = "key not honoured"
_GONE = (404, 410)
_THROTTLED = (429, 503)
_CONDITIONAL_HEADERS = ("If-Match", "If-None-Match", "If-Unmodified-Since", "If-Modified-Since", "If-Range")


class IdempotencySettings(Strict):
    """The suite's ``idempotency:`` key: how the check replays requests."""

    header: str = "Idempotency-Key"
    #: Replays per operation and run: each costs two or three extra requests.
    samples: int = Field(default=2, ge=0, le=1000)
    #: A request that took longer (body included) is not replayed: its replays would cost twice its
    #: time, and the check judges what a repeat changes, not speed (httpbin's /delay/10 would add
    #: 20 s a sample, and /drip, whose head comes at once and body over 2 s, 4 s).
    max_elapsed: Duration = 1.0


@dataclass
class IdempotencyState:
    """The check's settings and how many replays each operation has had."""

    header: str = "Idempotency-Key"
    samples: int = 2
    max_elapsed_s: float = 1.0
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
        max_elapsed_s=settings.max_elapsed,
        keyed_operations=run.operations_declaring_header(settings.header),
    )


@fuzz_check("idempotency", code="IL103", settings=IdempotencySettings, start=_start, remember_verdicts=True)
def idempotency(exchange: Exchange, state: IdempotencyState) -> None:
    method = exchange.method.upper()
    if exchange.resend is None or exchange.status >= 500 or exchange.status == 429:
        return
    if exchange.cost_ms > state.max_elapsed_s * 1000:
        return  # too slow to replay within the run's budget (see IdempotencySettings.max_elapsed)
    if not exchange.operation.upper().startswith(f"{method} "):
        return  # a probe with another method (unsupported_method): not this operation's semantics
    try:
        if method in WRITE_METHODS:
            if (
                exchange.positive
                and exchange.operation in state.keyed_operations
                and 200 <= exchange.status < 300
                and state.take_sample(exchange.operation)
            ):
                _check_keyed_write(exchange, state.header)
        elif method in SAFE_REPEAT_METHODS and state.take_sample(exchange.operation):
            _check_repeat(exchange, state.max_elapsed_s * 1000)
    except ReplayTooSlow:
        return  # its body took too long to read (streamed, dripped): not judged, not paid for again


def _check_keyed_write(exchange: Exchange, header: str) -> None:
    """Send the write again with the same key: the answer must be the first one, replayed.

    A different ``id``/``Location`` and a different answer are one defect (the key is not
    honoured), so they share one cause.
    """
    assert exchange.resend is not None
    key = exchange.request_header(header)
    first = exchange
    if key is None:
        key = f"interlock-{uuid.uuid4().hex}"
        first = exchange.resend({header: key})
        if not 200 <= first.status < 300:
            return
    second = exchange.resend({header: key})
    if second.status in _THROTTLED or second.status == 409:
        return  # throttled, or "the first request is still in progress": both are the key honoured
    curls = [first.curl({header: key}), first.curl({header: key})]
    what = f"{exchange.method} sent twice with the same {header}"
    first_id, second_id = _resource_id(first), _resource_id(second)
    if second.status < 300 and first_id != second_id:
        raise CheckFailed(
            f"{what} created a second resource",
            f"first answer {first.status} {first_id}, second answer {second.status} {second_id}",
            cause=KEY_CAUSE,
            curls=curls,
            why=f"the spec declares {header}, whose purpose is that a retried write takes effect once;"
            f" the retry created {second_id} next to {first_id}",
            confidence="high",
            basis="two identical requests with the same key, answered with two different resource ids",
        )
    if second.status != first.status:
        raise CheckFailed(
            f"{what} gave a different result",
            f"first: {first.status} {_clip(first.text)}\nsecond: {second.status} {_clip(second.text)}",
            cause=KEY_CAUSE,
            curls=curls,
            why=f"a write retried with the same {header} must get the first answer again;"
            f" it got {second.status} where the first got {first.status}",
            confidence="high" if second.status >= 500 else "medium",
            basis="two identical requests with the same key, answered with different statuses",
        )


def _check_repeat(exchange: Exchange, max_elapsed_ms: float = float("inf")) -> None:
    """Replay an idempotent request twice and judge only what the two replays agree on.

    RFC 9110 §9.2.2: GET, HEAD, PUT and DELETE are idempotent, so the state after the first
    request is the state after the next ones, and the replays must answer alike. What the two
    replays disagree on varies by itself (a random status, a timestamp, a uuid, a counter) and
    is never judged; timestamps and uuids are ignored even when they happen to agree, since a
    clock may tick between the first request and the replays. Statuses HTTP itself lets change:

    * PUT: 201 (created) then 200/204 (replaced), per RFC 9110 §9.3.4; any 2xx then any 2xx;
    * DELETE: 2xx then 404/410 (the resource is gone), or 403: a server that authorises per
      resource has lost the resource's permissions with it and may refuse rather than say
      whether something exists (RFC 9110 §15.5.4 lets a server refuse without saying why; §15.5.5
      has 404 hide what 403 would reveal, and the converse hides nothing more);
    * a conditional request (If-Match, If-None-Match, If-Unmodified-Since, ...) answered
      412 or 304 once the first request changed what the condition looked at.
    """
    assert exchange.resend is not None
    first_replay = exchange.resend({})
    if _agrees_with_first(exchange, first_replay):
        return  # a defect needs two replays that agree with each other and not with the first
    if first_replay.cost_ms > max_elapsed_ms:
        return  # slow once its body is read (a streamed or dripped answer): not worth a second replay
    replays = [first_replay, exchange.resend({})]
    statuses = {r.status for r in replays}
    if len(statuses) > 1 or statuses & set(_THROTTLED):
        return  # the replays disagree (a random or flaky status) or were throttled: nothing stable
    again = replays[0]
    method = exchange.method.upper()
    curls = [exchange.curl({}), exchange.curl({}), exchange.curl({})]
    if not _status_consistent(exchange, again.status):
        server_error = again.status >= 500
        state_changed = 200 <= exchange.status < 300 and again.status in _GONE
        raise CheckFailed(
            f"{method} repeated answered {again.status} after {exchange.status}",
            f"first: {exchange.status} {_clip(exchange.text)}\nrepeated twice: {again.status} {_clip(again.text)}",
            cause=REPEAT_CAUSE,
            curls=curls,
            why=f"RFC 9110 §9.2.2: {method} is idempotent, so repeating it must leave the answer as it was;"
            f" the same {method} answered {exchange.status}, then {again.status} twice",
            confidence="high" if server_error or state_changed else "medium",
            basis="two replays of the identical request agreed with each other and not with the first answer"
            + (
                ""
                if server_error or state_changed
                else "; some servers answer repeats differently on purpose"
            ),
        )
    if method not in ("GET", "PUT") or not 200 <= exchange.status < 300 or again.status != exchange.status:
        return
    first_body, bodies = exchange.json(), [r.json() for r in replays]
    if first_body is None or any(b is None for b in bodies):
        return
    changed = stable_differences(first_body, bodies[0], bodies[1])
    if changed:
        shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
        raise CheckFailed(
            f"{method} repeated gave a different body",
            f"members that two replays agree on but the first answer had otherwise: {shown}\n"
            f"first: {_clip(exchange.text)}\nrepeated: {_clip(again.text)}",
            cause=REPEAT_CAUSE,
            curls=curls,
            why=f"RFC 9110 §9.2.2: {method} is idempotent, so the first request must leave the resource as the"
            f" next ones see it; {shown} changed after the first request and then stayed",
            confidence="medium",
            basis="two replays agreed on these members and the first answer differed; members that vary"
            " between replays, timestamps and ids were ignored",
        )


def _status_consistent(first: Exchange, status: int) -> bool:
    """Whether a repeat may answer ``status`` after ``first`` (see :func:`_check_repeat`)."""
    if status == first.status:
        return True
    if status in (412, 304) and any(first.request_header(h) for h in _CONDITIONAL_HEADERS):
        return True
    method = first.method.upper()
    first_ok = 200 <= first.status < 300
    if method == "PUT":
        return first_ok and 200 <= status < 300
    if method == "DELETE":
        return (first_ok or first.status in _GONE) and (200 <= status < 300 or status in (*_GONE, 403))
    return False


def _agrees_with_first(exchange: Exchange, replay: Exchange) -> bool:
    """Whether one replay already rules out a defect, so the second replay can be saved.

    A defect is what two replays agree on and the first answer had otherwise; when the first
    replay answers like the first request (or was throttled, which rules nothing in), no second
    replay can make one. Most idempotent requests end here, at one extra request instead of two.
    """
    if replay.status in _THROTTLED:
        return True
    if not _status_consistent(exchange, replay.status):
        return False
    method = exchange.method.upper()
    if method not in ("GET", "PUT") or not 200 <= exchange.status < 300 or replay.status != exchange.status:
        return True
    first_body, body = exchange.json(), replay.json()
    if first_body is None or body is None:
        return True
    return not stable_differences(first_body, body, body)


def stable_differences(first: Any, replay: Any, other_replay: Any) -> list[str]:
    """JSON paths where two replays agree with each other but not with the first answer.

    A member that differs between the replays varies by itself and is skipped, and so is every
    member inside an object or array whose keys or length differ between them (a growing list);
    so are values that look like timestamps, epoch times or uuids in any of the three answers.
    """
    first_leaves, replay_leaves, other_leaves = _leaves(first), _leaves(replay), _leaves(other_replay)
    replay_shapes, other_shapes = _shapes(replay), _shapes(other_replay)
    varying = [
        p for p in set(replay_shapes) | set(other_shapes) if replay_shapes.get(p) != other_shapes.get(p)
    ]
    changed = []
    for path in sorted(set(first_leaves) | set(replay_leaves)):
        values = [leaves.get(path, _ABSENT) for leaves in (first_leaves, replay_leaves, other_leaves)]
        if values[1] != values[2] or values[0] == values[1]:
            continue
        if any(_looks_volatile(v) for v in values) or any(_within(path, p) for p in varying):
            continue
        changed.append(path)
    return changed


_ABSENT = object()


def _leaves(value: Any, path: str = "$") -> dict[str, Any]:
    """Every scalar of a JSON document by path (empty containers count as values)."""
    if isinstance(value, dict) and value:
        return {p: v for key, item in value.items() for p, v in _leaves(item, f"{path}.{key}").items()}
    if isinstance(value, list) and value:
        return {p: v for i, item in enumerate(value) for p, v in _leaves(item, f"{path}[{i}]").items()}
    return {path: value}


def _shapes(value: Any, path: str = "$") -> dict[str, Any]:
    """Every container of a JSON document by path: an object's keys, an array's length."""
    if isinstance(value, dict):
        shapes: dict[str, Any] = {path: frozenset(value)}
        for key, item in value.items():
            shapes.update(_shapes(item, f"{path}.{key}"))
        return shapes
    if isinstance(value, list):
        shapes = {path: len(value)}
        for index, item in enumerate(value):
            shapes.update(_shapes(item, f"{path}[{index}]"))
        return shapes
    return {}


def _within(path: str, container: str) -> bool:
    return path == container or path.startswith((f"{container}.", f"{container}["))


_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
    r"|^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}"
)
_UUID = re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
#: Epoch seconds, milliseconds and microseconds between 2001 and 2033.
_EPOCH_RANGES = ((1e9, 2e9), (1e12, 2e12), (1e15, 2e15))


def _looks_volatile(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_TIMESTAMP.match(value) or _UUID.search(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return any(low <= value < high for low, high in _EPOCH_RANGES)
    return False


def _resource_id(exchange: Exchange) -> Any:
    """What identifies the resource an answer describes: its Location, else the body's ``id``."""
    location = exchange.header("Location")
    if location:
        return location
    body = exchange.json()
    return body.get("id") if isinstance(body, dict) else None


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
