"""``http_error`` (interlock only): the proxy answers an HTTP request itself instead of forwarding it.

Attributes: ``status`` (default 503), ``retry_after`` (seconds or null), ``probability`` (0..1,
default 1.0, rolled per request; toxicity still decides per connection) and ``body`` (optional).
It acts on requests at the provider edge, after the other upstream toxics, whatever its stream:
the request is consumed and never reaches the provider, and the canned response goes back
through the downstream toxics in order with the provider's other responses. The HTTP framing is
done by :mod:`interlock.proxy.observe`; this module only builds the response.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from interlock.proxy.toxics.base import Attribute, Kind


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
