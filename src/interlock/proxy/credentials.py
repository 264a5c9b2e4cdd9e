"""Credentials on the wire, as the proxy may keep them: fingerprints, never the values.

Each request's ``Authorization`` (or ``Proxy-Authorization``, ``Cookie``, ``X-Api-Key``) value is
reduced to a keyed hash (HMAC-SHA256 with a key drawn when the proxy's log is made, truncated):
equal within one proxy's life, so metrics can tell "the same credential again" from "a new one"
(``stale_credential_retries``), and the ``auth_expiry`` toxic can tell a token it saw before it
was applied; meaningless outside it, so an artefact that carries a fingerprint reveals nothing,
not even a weak password by guessing. The ``Authorization`` scheme (``bearer``, ``basic``...) is
kept in the clear: it is no secret and the toxics and metrics need it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interlock.proxy.observe import Observation

#: Headers whose value identifies the caller, most specific first: the first present is the credential.
_ORDER = ("authorization", "proxy-authorization", "x-api-key", "cookie")
#: Distinct fingerprints a book remembers (a consumer uses a few tokens; a bound keeps it small).
MAX_FINGERPRINTS = 10_000


class CredentialBook:
    """The fingerprints of one proxy's credentials and when each was first seen (proxy clock)."""

    __slots__ = ("_key", "first_seen")

    def __init__(self) -> None:
        self._key = os.urandom(16)
        self.first_seen: dict[str, float] = {}

    def fingerprint(self, value: str) -> str:
        return hmac.new(self._key, value.encode("latin-1", "replace"), hashlib.sha256).hexdigest()[:16]

    def seen(self, fingerprint: str, at: float) -> float:
        """When ``fingerprint`` was first seen (``at`` if never before)."""
        first = self.first_seen.get(fingerprint)
        if first is None:
            first = at
            if len(self.first_seen) < MAX_FINGERPRINTS:
                self.first_seen[fingerprint] = at
        return first

    def seen_before(self, fingerprint: str, moment: float) -> bool:
        first = self.first_seen.get(fingerprint)
        return first is not None and first < moment


def note(book: CredentialBook, record: Observation, headers: list[tuple[str, str]]) -> None:
    """Give ``record`` the fingerprint and scheme of its credential (``headers``: name, value)."""
    by_name = dict(headers)
    for name in _ORDER:
        value = by_name.get(name)
        if not value:
            continue
        record.caller = book.fingerprint(value)
        if name.endswith("authorization"):
            scheme, _, _ = value.partition(" ")
            record.scheme = scheme.lower() or None
        else:
            record.scheme = name
        book.seen(record.caller, record.started or time.time())
        return
