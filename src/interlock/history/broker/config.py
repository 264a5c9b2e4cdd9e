"""The broker to use, from the standard Pact environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

URL_ENV = "PACT_BROKER_BASE_URL"


@dataclass(frozen=True)
class BrokerConfig:
    url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls) -> BrokerConfig | None:
        """The configured broker, or None when ``PACT_BROKER_BASE_URL`` is not set."""
        url = os.environ.get(URL_ENV, "").strip()
        if not url:
            return None
        return cls(
            url.rstrip("/"),
            os.environ.get("PACT_BROKER_TOKEN") or None,
            os.environ.get("PACT_BROKER_USERNAME") or None,
            os.environ.get("PACT_BROKER_PASSWORD") or None,
        )

    def cli_auth(self) -> list[str]:
        """Authentication options for the ``pact broker`` commands."""
        args = ["--broker-base-url", self.url]
        if self.token:
            args += ["--broker-token", self.token]
        if self.username:
            args += ["--broker-username", self.username]
        if self.password:
            args += ["--broker-password", self.password]
        return args
