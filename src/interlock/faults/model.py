"""A fault as experiment files write it: toxics, an HTTP error or expired tokens from the proxy, the provider down.

The chaos stage runs faults one by one; the load stage applies one for a window
(``under_fault``). Both read the same model, so a fault means the same thing in both.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from interlock.core.config import Strict
from interlock.core.durations import Duration

TOXIC_TYPES = ("latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data", "noop")
#: The most probe calls one phase may make: every loop is bounded.
MAX_CALLS = 1000
#: The most concurrent background callers one fault may run.
MAX_BACKGROUND_CONCURRENCY = 64


class Toxic(Strict):
    """One Toxiproxy toxic, as the Toxiproxy API takes it."""

    type: Literal[
        "latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data", "noop"
    ]
    name: str | None = None
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: float = Field(default=1.0, ge=0, le=1)
    attributes: dict[str, int] = Field(default_factory=dict)


class HttpErrorToxic(Strict):
    """An HTTP answer the proxy gives instead of forwarding (interlock's extra toxic)."""

    status: int = Field(default=503, ge=400, le=599)
    retry_after: int | None = Field(default=None, ge=0)  #: whole seconds, as the header carries
    probability: float = Field(default=1.0, ge=0, le=1)
    body: str | None = None


class AuthExpiry(Strict):
    """Every Bearer token the proxy saw before the fault is expired: answered ``401 invalid_token``.

    No settings yet (``auth_expiry: {}``); a mapping so that some can come without a new spelling.
    """


class Background(Strict):
    """Concurrent traffic to the consumer for the whole time a fault is applied (blast radius).

    ``probe`` is the request each caller repeats; the chaos stage validates it as a probe (it is
    kept as a mapping here because the probe model belongs to the stage that sends it).
    """

    probe: dict[str, Any]
    concurrency: int = Field(default=4, ge=1, le=MAX_BACKGROUND_CONCURRENCY)
    #: How long the background runs before the measured probe calls start.
    warmup: Duration = Field(default=0.5, ge=0, le=30)


class Fault(Strict):
    """One fault: toxics, an HTTP error answered by the proxy, expired tokens, and/or the provider down."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    toxics: list[Toxic] = Field(default_factory=list)
    http_error: HttpErrorToxic | None = None
    auth_expiry: AuthExpiry | None = None
    down: bool = False
    #: The integration whose route gets the fault (blast radius); the experiment's own when omitted.
    on: str | None = None
    #: Traffic that runs while the fault is applied, reported apart from the measured probe.
    background: Background | None = None
    #: Probe calls while the fault is applied; the experiment's ``calls`` when omitted.
    calls: int | None = Field(default=None, ge=1, le=MAX_CALLS)
    expect: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_to_apply(self) -> Fault:
        if not (self.toxics or self.http_error or self.auth_expiry or self.down):
            raise ValueError("a fault needs 'toxics', 'http_error', 'auth_expiry' or 'down: true'")
        if self.down and (self.toxics or self.http_error or self.auth_expiry):
            raise ValueError(
                "'down: true' refuses every connection, so toxics, http_error or auth_expiry would never apply"
            )
        return self
