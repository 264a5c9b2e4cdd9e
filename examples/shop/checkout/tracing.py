"""W3C trace context: checkout passes the trace of each incoming call on to payments and inventory.

The incoming ``traceparent`` (``00-<trace id>-<parent id>-<flags>``) is read by
:class:`TraceContextMiddleware` into a context variable; every outbound request, retries
included, then carries the same trace id with a new span id of its own
(:class:`PropagatingTransport`), so a provider's logs and traces join up with the call that caused
them. A call without a valid traceparent starts a new trace. A real service would use
OpenTelemetry's propagator; this is the same rule in a few lines, without its setup.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from typing import Any

import httpx

TRACEPARENT = "traceparent"
_VALID = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

#: (trace id, flags) of the call being served.
_current: ContextVar[tuple[str, str] | None] = ContextVar("checkout_trace", default=None)


def parse(traceparent: str | None) -> tuple[str, str] | None:
    """(trace id, flags) of a valid version-00 traceparent, else None."""
    match = _VALID.match((traceparent or "").strip())
    if match is None or match.group(1) == "0" * 32 or match.group(2) == "0" * 16:
        return None
    return match.group(1), match.group(3)


def outgoing_traceparent() -> str | None:
    """The traceparent for an outbound request: the current trace, a new span."""
    current = _current.get()
    if current is None:
        return None
    trace_id, flags = current
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


class TraceContextMiddleware:
    """ASGI middleware: the incoming call's trace (or a new one) is current while it is served."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == TRACEPARENT.encode()), b"")
        trace = parse(incoming.decode("latin-1")) or (secrets.token_hex(16), "00")
        token = _current.set(trace)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


class PropagatingTransport(httpx.BaseTransport):
    """An httpx transport that adds the current trace to every request it sends."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        traceparent = outgoing_traceparent()
        if traceparent is not None and TRACEPARENT not in request.headers:
            request.headers[TRACEPARENT] = traceparent
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
