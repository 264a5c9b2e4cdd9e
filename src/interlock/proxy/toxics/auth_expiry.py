"""``auth_expiry`` (interlock only): every Bearer token the proxy saw before the toxic is expired.

From the moment the toxic is added (attribute ``before``, the proxy's clock in Unix seconds,
which defaults to that moment), the proxy answers ``401`` with
``WWW-Authenticate: Bearer error="invalid_token"`` to every request whose Bearer token it had
seen before then, instead of forwarding it. A token first seen later (the consumer fetched a new
one) passes, and so does every other scheme (``Basic`` client credentials to a token endpoint,
API keys, no credential at all). Tokens are compared by fingerprint
(:mod:`interlock.proxy.credentials`): the proxy never keeps one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from interlock.proxy.toxics.base import Answer, Attribute, Kind, Stub

if TYPE_CHECKING:
    from interlock.proxy.observe import Observation

CHALLENGE = 'Bearer error="invalid_token", error_description="the access token expired"'


class AuthExpiry(Kind):
    name = "auth_expiry"
    struct = "AuthExpiryToxic"
    attributes = (Attribute("before", "float64", 0.0),)
    passive = True
    answers_requests = True

    def initial_attributes(self) -> dict[str, Any]:
        return {"before": time.time()}

    def answer_request(self, stub: Stub, keep_alive: bool, request: Observation) -> Answer | None:
        if request.scheme != "bearer" or request.caller is None:
            return None
        observer = stub.link.connection.observer
        if observer is None or not observer.log.book.seen_before(request.caller, stub.attrs["before"]):
            return None
        return Answer(401, response_bytes(keep_alive))


def response_bytes(keep_alive: bool) -> bytes:
    body = b'{"error": "invalid_token", "detail": "the access token expired (interlock fault proxy)"}\n'
    headers = [
        "HTTP/1.1 401 Unauthorized",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        f"WWW-Authenticate: {CHALLENGE}",
        "X-Interlock-Fault: auth_expiry",
    ]
    if not keep_alive:
        headers.append("Connection: close")
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + body
