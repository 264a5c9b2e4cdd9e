"""Known secret values from what a run is told to send: headers named like credentials.

Every input that makes the run send a credential (a pact's request headers, a chaos probe's
headers, a locustfile's headers) goes through :func:`header_secrets`, so the run's artefacts mask
the value wherever a service or a tool prints it. An ``Authorization: Bearer abc`` header gives
two values: the whole header value, and the credential after the scheme, which a service that
checks tokens is more likely to print on its own; a ``Cookie`` header gives each cookie's value too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from interlock.core.redact import SECRET_HEADER, Secret

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*\s+(\S+)$")


def header_secrets(headers: Mapping[str, str | Iterable[str]], meaning: str) -> list[Secret]:
    """The values of ``headers`` whose names say they carry a credential (``meaning`` says whose)."""
    found: list[Secret] = []
    for name, given in headers.items():
        if not SECRET_HEADER.fullmatch(name):
            continue
        for value in [given] if isinstance(given, str) else given:
            header = Secret(value, meaning=f"{meaning} {name} header")
            found += [header, *credential_of(header)]
            if name.lower() == "cookie":
                found += [
                    Secret(cookie.partition("=")[2].strip(), meaning=f"{meaning} {name} cookie")
                    for cookie in value.split(";")
                    if cookie.partition("=")[2].strip()
                ]
    return found


def credential_of(secret: Secret) -> list[Secret]:
    """The credential after the scheme of a header value (``Bearer abc`` -> ``abc``), if any."""
    scheme = _SCHEME.match(secret.value.strip())
    return [Secret(scheme.group(1), meaning=f"the credential of {secret.meaning}")] if scheme else []
