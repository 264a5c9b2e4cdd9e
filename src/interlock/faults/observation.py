"""What the fault proxy saw of one request on its way to the provider.

The embedded proxy records these per request (``GET /interlock/observations/NAME``); the chaos
and load stages read them to measure the provider's side of an integration: amplification,
retries, duplicate writes, what reached the provider at all.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Observation(BaseModel):
    """One request the consumer sent towards the provider, as the proxy saw it."""

    model_config = ConfigDict(extra="allow")

    seq: int
    connection: int | str | None = None
    started: float
    finished: float | None = None
    method: str = ""
    path: str = ""
    idempotency_key: str | None = None
    status: int | None = None
    reached_provider: bool = True
    #: Keyed fingerprint of the request's credential (never the value) and its scheme (``bearer``...).
    caller: str | None = None
    scheme: str | None = None
    #: Seconds the ``Retry-After`` of the answer asked for (429/503 answers, the proxy's own too).
    retry_after: float | None = None
    #: A connection attempt reset at once because the provider was ``down``: no request was read.
    refused: bool = False
    #: The request's W3C ``traceparent`` header, as sent (None when it carried none).
    traceparent: str | None = None
    #: Its ``X-Request-Id`` and ``X-Correlation-Id`` headers.
    request_id: str | None = None
    correlation_id: str | None = None
