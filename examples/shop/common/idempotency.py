"""Idempotency keys for unsafe POSTs, with the semantics both providers share.

A client that sends ``Idempotency-Key`` may retry a write after a timeout without
risking a duplicate: the first *completed* answer to a key is the answer to every
later request with that key. Precisely:

* first request with a key            -> processed; its answer (success or domain
                                         error, e.g. a decline) is remembered
* same key, same request, completed   -> the remembered answer, replayed with
                                         ``Idempotent-Replayed: true``
* same key, same request, in flight   -> 409 ``idempotency_key_in_flight``; the
                                         client should retry later
* same key, different request         -> 422 ``idempotency_key_reused``

Requests that fail validation never reach this layer, so they are not remembered;
an unexpected exception forgets the key, so the client can try again.

"The same request" is a fingerprint of a scope (method and route) plus the
canonical JSON of the body, so a key reused on another route is also a reuse.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from examples.shop.common.errors import ApiError

REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Makes the write safe to retry: the first completed answer to a key is replayed.",
    ),
]

REPLAYED_HEADER_DOC: dict[str, Any] = {
    REPLAYED_HEADER: {
        "description": "Present (`true`) when this is the remembered answer to an earlier request "
        "with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


@dataclass
class _Entry:
    fingerprint: str
    response: StoredResponse | None = None  # None while the first request is in flight


def fingerprint(scope: str, payload: BaseModel) -> str:
    """Identify a request by route and canonical body, independent of key order."""
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{scope}\n{canonical}".encode()).hexdigest()


class IdempotencyStore:
    """Remembered answers by key, guarded by a lock so concurrent retries are safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def claim(self, key: str, request_fingerprint: str) -> StoredResponse | None:
        """Reserve ``key`` for this request, or return the answer remembered for it.

        Returns ``None`` when the caller must process the request and then call
        :meth:`complete` (or :meth:`forget`). Raises :class:`ApiError` for a key
        that is in flight or was used for a different request.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry(request_fingerprint)
                return None
            if entry.fingerprint != request_fingerprint:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used for a different request",
                )
            if entry.response is None:
                raise ApiError(
                    409,
                    "idempotency_key_in_flight",
                    "a request with this Idempotency-Key is still being processed; retry later",
                )
            return entry.response

    def complete(self, key: str, response: StoredResponse) -> None:
        with self._lock:
            self._entries[key].response = response

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def remember(self, key: str, request_fingerprint: str, response: StoredResponse) -> None:
        """Record a completed request directly (used by provider states to seed history)."""
        with self._lock:
            self._entries[key] = _Entry(request_fingerprint, response)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def respond_idempotently(
    store: IdempotencyStore,
    key: str | None,
    request_fingerprint: str,
    operation: Callable[[], BaseModel],
    *,
    status_code: int,
) -> JSONResponse:
    """Run ``operation`` at most once per key and answer with its (remembered) outcome.

    ``operation`` returns the success body or raises :class:`ApiError`; both are
    remembered under the key. Without a key the operation simply runs.
    """
    if key is None:
        return JSONResponse(operation().model_dump(mode="json"), status_code=status_code)

    remembered = store.claim(key, request_fingerprint)
    if remembered is not None:
        return JSONResponse(
            remembered.body, status_code=remembered.status_code, headers={REPLAYED_HEADER: "true"}
        )
    try:
        outcome = StoredResponse(status_code, operation().model_dump(mode="json"))
    except ApiError as exc:
        outcome = StoredResponse(exc.status_code, exc.body.model_dump())
    except BaseException:
        store.forget(key)
        raise
    store.complete(key, outcome)
    return JSONResponse(outcome.body, status_code=outcome.status_code)
