"""Checkout's configuration, read from the environment at startup.

Required: ``PAYMENTS_URL``, ``INVENTORY_URL``. Optional: ``PAYMENTS_CLIENT_ID`` and
``PAYMENTS_CLIENT_SECRET``, with which checkout sends payments Bearer tokens from its token
endpoint (:mod:`.tokens`). Optional tuning of outbound calls
(both dependencies use the same policy; defaults in :class:`ResiliencePolicy`):

=============================  ==========================================  =======
variable                       meaning                                     default
=============================  ==========================================  =======
CHECKOUT_ATTEMPT_TIMEOUT_S     timeout of one attempt                      1.0
CHECKOUT_BUDGET_S              deadline across all attempts of one call    3.0
CHECKOUT_MAX_ATTEMPTS          attempts per call, first one included       3
CHECKOUT_BACKOFF_BASE_S        first backoff window (full jitter)          0.1
CHECKOUT_BACKOFF_CAP_S         largest backoff window                      1.0
CHECKOUT_BREAKER_FAIL_MAX      consecutive failures that open the breaker  5
CHECKOUT_BREAKER_RESET_S       how long the breaker stays open             10.0
CHECKOUT_MAX_CONCURRENT        bulkhead: calls in flight per dependency    20
=============================  ==========================================  =======
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from examples.shop.checkout.resilience import ResiliencePolicy

_POLICY_ENV: dict[str, str] = {
    "attempt_timeout_s": "CHECKOUT_ATTEMPT_TIMEOUT_S",
    "budget_s": "CHECKOUT_BUDGET_S",
    "max_attempts": "CHECKOUT_MAX_ATTEMPTS",
    "backoff_base_s": "CHECKOUT_BACKOFF_BASE_S",
    "backoff_cap_s": "CHECKOUT_BACKOFF_CAP_S",
    "breaker_fail_max": "CHECKOUT_BREAKER_FAIL_MAX",
    "breaker_reset_timeout_s": "CHECKOUT_BREAKER_RESET_S",
    "max_concurrent": "CHECKOUT_MAX_CONCURRENT",
}


class ConfigError(ValueError):
    """The environment does not describe a usable configuration."""


@dataclass(frozen=True)
class Settings:
    payments_url: str
    inventory_url: str
    policy: ResiliencePolicy
    #: OAuth client credentials towards payments (id, secret); None: no Authorization is sent.
    payments_client: tuple[str, str] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        missing = [name for name in ("PAYMENTS_URL", "INVENTORY_URL") if not env.get(name)]
        if missing:
            raise ConfigError(f"checkout needs {' and '.join(missing)} (base URLs of its dependencies)")
        overrides: dict[str, float | int] = {}
        for f in fields(ResiliencePolicy):
            raw = env.get(_POLICY_ENV[f.name])
            if raw is None or raw == "":
                continue
            convert = int if f.type in (int, "int") else float
            try:
                overrides[f.name] = convert(raw)
            except ValueError:
                raise ConfigError(
                    f"{_POLICY_ENV[f.name]}={raw!r} is not a valid {convert.__name__}"
                ) from None
        try:
            policy = ResiliencePolicy(**overrides)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        client_id, secret = env.get("PAYMENTS_CLIENT_ID"), env.get("PAYMENTS_CLIENT_SECRET")
        client = (client_id, secret) if client_id and secret else None
        return cls(env["PAYMENTS_URL"], env["INVENTORY_URL"], policy, client)
