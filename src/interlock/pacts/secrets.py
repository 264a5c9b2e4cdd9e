"""The credentials a pact file holds: what its interactions send and receive under secret names.

A pact's request may carry ``Authorization`` or ``X-Api-Key`` (the provider sees them, and an
echoing provider prints them), and a response may hold a ``password`` or ``token`` member (the
verifier prints what it compared). Their values are known secrets of the run, so the run's
artefacts mask them wherever they appear, in whatever form.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from interlock.core.known_secrets import header_secrets
from interlock.core.redact import SECRET_FIELD, Secret
from interlock.pacts.pactfile import PactFile

#: A body member's value shorter than this is not taken as a secret ("Bearer" in ``token_type``).
MIN_FIELD_SECRET = 8


def pact_secrets(pact: PactFile) -> list[Secret]:
    """Values of secret-named headers and body members in every interaction of ``pact``."""
    found: dict[str, Secret] = {}
    for interaction in pact.interactions:
        for message in (interaction.request, interaction.response):
            if message is None:
                continue
            for secret in header_secrets(message.headers, "the pact's"):
                found.setdefault(secret.value, secret)
            for name, value in _secret_members(message.body):
                if len(value) >= MIN_FIELD_SECRET:
                    found.setdefault(value, Secret(value, meaning=f"the pact's {name} member"))
    return list(found.values())


def _secret_members(body: Any) -> Iterator[tuple[str, str]]:
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str) and isinstance(key, str) and SECRET_FIELD.fullmatch(key):
                yield key, value
            else:
                yield from _secret_members(value)
    elif isinstance(body, list):
        for item in body:
            yield from _secret_members(item)
