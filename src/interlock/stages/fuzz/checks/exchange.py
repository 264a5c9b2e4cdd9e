"""One request and its response, as interlock's checks see them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class CheckFailed(AssertionError):
    """A check found a problem.

    ``cause`` names the kind of problem (``stack trace``, ``second resource``, ...): findings are
    deduplicated by operation, check and cause. ``curls`` replaces the failing request's own curl
    when reproducing needs other requests (a replay, a request sent twice).
    """

    def __init__(self, title: str, message: str, *, cause: str, curls: list[str] | None = None) -> None:
        super().__init__(f"{title}\n{message}" if message else title)
        self.title = title
        self.message = message
        self.cause = cause
        self.curls = curls


@dataclass
class Exchange:
    """A request that was sent and the response it got."""

    operation: str  #: "POST /payments"
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    status: int
    response_headers: Mapping[str, str]
    body: bytes
    elapsed_ms: float
    #: Every string the request carried (path, query and body values, non-secret headers).
    sent_values: list[str] = field(default_factory=list)
    #: Whether the request is one the generator meant to be valid.
    positive: bool = True
    #: Send the same request again, with these headers replaced; returns the new exchange.
    resend: Callable[[Mapping[str, str]], Exchange] | None = None
    #: A curl command for this request (with these headers replaced).
    curl: Callable[[Mapping[str, str]], str] = lambda _headers: ""

    def header(self, name: str) -> str | None:
        """A response header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.response_headers.items() if k.lower() == lowered), None)

    def request_header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.request_headers.items() if k.lower() == lowered), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None
