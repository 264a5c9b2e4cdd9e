"""Recorded exchanges for the checks' tests: an Exchange is plain data, so a test builds one."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from interlock.stages.fuzz.checks import Exchange

#: (request headers) -> (status, body) of the next answer, for checks that send requests again.
Server = Callable[[Mapping[str, str]], tuple[int, Any]]


def exchange(
    body: Any = None,
    *,
    status: int = 200,
    method: str = "GET",
    operation: str = "GET /things/{id}",
    headers: Mapping[str, str] | None = None,
    request_headers: Mapping[str, str] | None = None,
    sent: list[str] | None = None,
    server: Server | None = None,
    response_schema: Any = None,
    documentation: str = "",
    elapsed_ms: float = 5.0,
) -> Exchange:
    """One exchange; a JSON body unless ``body`` is bytes; ``server`` answers its resends."""
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
            response_schema=response_schema,
            documentation=documentation,
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
        response_schema=response_schema,
        documentation=documentation,
    )


def answers(*responses: tuple[int, Any]) -> Server:
    """A server that gives these answers in turn (the last one again once they run out)."""
    queue = list(responses)

    def server(_headers: Mapping[str, str]) -> tuple[int, Any]:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return server
