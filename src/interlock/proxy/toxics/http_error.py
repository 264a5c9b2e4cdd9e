"""``http_error`` (interlock only): the proxy answers an HTTP request itself instead of forwarding it.

Attributes: ``status`` (default 503), ``retry_after`` (seconds or null), ``probability`` (0..1,
default 1.0, rolled per request; toxicity still decides per connection) and ``body`` (optional).
It acts on requests at the provider edge, after the other upstream toxics, whatever its stream:
the request is consumed and never reaches the provider, and the canned response goes back
through the downstream toxics in order with the provider's other responses. The HTTP framing and
the ordering are done by :mod:`interlock.proxy.observe`, which asks :meth:`HttpError.answer`
(the :class:`~interlock.proxy.toxics.base.Kind` hook) for each request.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from interlock.proxy.toxics.base import Answer, Attribute, Kind, Stub


class HttpError(Kind):
    name = "http_error"
    struct = "HttpErrorToxic"
    attributes = (
        Attribute("status", "int", 503),
        Attribute("retry_after", "*int64", None),
        Attribute("probability", "float64", 1.0),
        Attribute("body", "string", ""),
    )
    passive = True
    answers_requests = True

    def initial_attributes(self) -> dict[str, Any]:
        """interlock's own toxic has friendlier defaults than Go's zero values (a 503, always)."""
        return {a.name: a.default for a in self.attributes}

    def check_attributes(self, attributes: dict[str, Any]) -> None:
        if not 100 <= attributes["status"] <= 599:
            raise ValueError(f"http_error status must be 100-599, not {attributes['status']}")

    def answer(self, stub: Stub, keep_alive: bool) -> Answer | None:
        attrs = stub.attrs
        if stub.link.rng.random() >= attrs["probability"]:
            return None
        retry_after = attrs.get("retry_after")
        return Answer(
            int(attrs["status"]),
            response_bytes(attrs, keep_alive),
            float(retry_after) if retry_after is not None else None,
        )


def response_bytes(attrs: dict[str, Any], keep_alive: bool) -> bytes:
    """The canned HTTP/1.1 response for one request."""
    status = int(attrs["status"])
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    body = (attrs.get("body") or f"{status} {reason} (interlock fault proxy)\n").encode()
    headers = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "X-Interlock-Fault: http_error",
    ]
    if attrs.get("retry_after") is not None:
        headers.append(f"Retry-After: {int(attrs['retry_after'])}")
    if not keep_alive:
        headers.append("Connection: close")
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + body
