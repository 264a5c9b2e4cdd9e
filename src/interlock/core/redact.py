"""Redact secrets from what a run writes down, without destroying anything else.

One :class:`RedactionPolicy` decides what is a secret, so every report (and, later, every artefact)
masks the same things the same way. It never guesses from free text, which used to eat check
names and labels (``POST /oauth2/token: [REDACTED]``). A secret is recognised by:

* **its value**: the run's known secrets (manifest ``env`` values under secret-looking names, a
  fuzz suite's auth and secret headers), replaced wherever they occur as exact substrings;
* **a header's name**, in structured headers, in curl ``-H`` arguments and in HTTP header lines
  (``Authorization: ...`` at the start of a line);
* **a field's name**, only in structured data known to come from configuration or from a
  provider's response (:meth:`RedactionPolicy.fields`), never in generated request data: a
  fuzzer-generated ``password`` is test data, and masking it breaks the reproduction;
* a bearer credential after the word ``Bearer`` (a token with a digit or punctuation in it).

A known secret can carry a shell variable (``INTERLOCK_AUTHORIZATION``): reproductions refer to
it as ``$INTERLOCK_AUTHORIZATION`` so they run after an ``export``, and such references are left
alone by every rule.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MASK = "[REDACTED]"
#: Known secret values shorter than this are not replaced: "1" or "ci" would shred every text.
MIN_SECRET_LENGTH = 4

#: Header names that carry credentials (matched against the whole name).
SECRET_HEADER = re.compile(
    r"(?i)(?:proxy-)?authorization|(?:set-)?cookie|"
    r"[a-z0-9_-]*(?:api[-_]?key|token|secret|passw(?:or)?d|credential|session[-_]?id|auth(?![a-z]))[a-z0-9_-]*"
)
#: Values that a secret-looking setting takes without being a secret (modes, switches, schemes).
NOT_SECRET_VALUES = frozenset(
    {
        "none",
        "null",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "enabled",
        "disabled",
        "required",
        "optional",
        "basic",
        "bearer",
        "digest",
        "token",
        "oauth",
        "oauth2",
        "jwt",
        "local",
        "memory",
    }
)
#: Field names (JSON members, form fields, config keys) that hold credentials.
SECRET_FIELD = re.compile(
    r"(?i)[a-z0-9_-]*(?:api[-_]?key|token|secret|passw(?:or)?d|credential|authorization|cookie)[a-z0-9_-]*"
)
#: Environment variable names whose values are secrets (PAYMENTS_TOKEN, DB_PASSWORD, API_KEY, ...).
_SECRET_ENV_WORD = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|APIKEY|AUTH|(?:^|_)KEY(?:_|$)")
#: Members of a verdict that name things (titles, checks, operations): only known values are masked
#: in them, so "Authorization: header missing" stays a title.
LABEL_KEYS = frozenset({"title", "name", "check", "code", "operation", "id", "stage", "integration"})
#: A reference to a reproduction variable: never masked again.
_REFERENCE = re.compile(r"^\$\{?INTERLOCK_[A-Z0-9_]+\}?$")
_HEADER_LINE = re.compile(r"(?m)^([ \t]*(?:[<>][ \t]*)?)([A-Za-z0-9_-]+)([ \t]*:[ \t]*)([^\r\n]*)$")
CURL_HEADER = re.compile(r"""(-H\s+|--header\s+)('(?:[^'\\]|'"'"')*'|"(?:[^"\\]|\\.)*")""")
_BEARER = re.compile(r"(?i)(\bbearer\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])([A-Za-z0-9._~+/-]{6,}=*)")


def looks_secret_env(name: str) -> bool:
    """Whether an environment variable's name says its value is a secret."""
    return bool(_SECRET_ENV_WORD.search(name.upper()))


def is_secret_setting(name: str, value: str) -> bool:
    """Whether an environment setting holds a secret: a secret-looking name, and a value that is
    not a mode, a switch or a number (``AUTH_MODE: none``, ``TOKEN_TTL: 3600`` are settings)."""
    value = value.strip()
    return looks_secret_env(name) and value.lower() not in NOT_SECRET_VALUES and not value.isdigit()


def variable_for(name: str, prefix: str = "INTERLOCK_") -> str:
    """A shell variable name for ``name``: upper case, every non-alphanumeric as ``_``."""
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


@dataclass(frozen=True)
class Secret:
    """A value the run knows is secret, and the shell variable reproductions use for it."""

    value: str
    #: e.g. ``INTERLOCK_AUTHORIZATION``; empty when nothing refers to it by name.
    variable: str = ""
    #: What to set the variable to, for the note in reproductions ("the suite's auth header").
    meaning: str = ""


@dataclass(frozen=True)
class RedactionPolicy:
    """What is secret in one run; immutable, extended with :meth:`with_secrets`."""

    secrets: tuple[Secret, ...] = field(default_factory=tuple)

    def with_secrets(self, secrets: Iterable[Secret]) -> RedactionPolicy:
        known = {s.value for s in self.secrets}
        added = tuple(s for s in secrets if len(s.value) >= MIN_SECRET_LENGTH and s.value not in known)
        return RedactionPolicy((*self.secrets, *added))

    @classmethod
    def for_environment(cls, *envs: Mapping[str, str]) -> RedactionPolicy:
        """The values of ``envs`` whose names look secret (the manifest services' ``env``).

        A setting's word under a secret-looking name (``AUTH_MODE: none``, ``TOKEN_TTL: 3600``) is
        no secret: masking it would mask that word in every report and log of the run.
        """
        return cls().with_secrets(
            Secret(v) for env in envs for k, v in env.items() if is_secret_setting(k, v)
        )

    @classmethod
    def for_services(cls, envs: Mapping[str, Mapping[str, str]]) -> RedactionPolicy:
        """:meth:`for_environment` of each service's ``env``, every secret named after its setting
        (``services.checkout.env.PAYMENTS_TOKEN``), so a finding can say which one it found."""
        return cls().with_secrets(
            Secret(v, meaning=f"services.{service}.env.{k}")
            for service, env in envs.items()
            for k, v in env.items()
            if is_secret_setting(k, v)
        )

    def secret_for(self, value: str) -> Secret | None:
        return next((s for s in self.secrets if s.value == value), None)

    # --- text -----------------------------------------------------------------------------------

    def known_values(self, text: str, *, mask: str = MASK) -> str:
        """``text`` with every known secret value replaced (longest first, so no half is left)."""
        for secret in sorted(self.secrets, key=lambda s: -len(s.value)):
            if secret.value in text:
                text = text.replace(secret.value, mask)
        return text

    def text(self, text: str) -> str:
        """Free text (titles, details, curls): known values, secret header lines and -H arguments."""
        text = self.known_values(text)
        text = _HEADER_LINE.sub(self._header_line, text)
        text = CURL_HEADER.sub(self._curl_header, text)
        return _BEARER.sub(lambda m: m.group(1) + MASK, text)

    def _header_line(self, match: re.Match[str]) -> str:
        name, value = match.group(2), match.group(4)
        if not SECRET_HEADER.fullmatch(name) or not value.strip() or _REFERENCE.match(value.strip()):
            return match.group(0)
        return match.group(1) + name + match.group(3) + MASK

    def _curl_header(self, match: re.Match[str]) -> str:
        try:
            (header,) = shlex.split(match.group(2))
        except ValueError:
            return match.group(0)
        name, sep, value = header.partition(":")
        value = value.strip()
        if not sep or not SECRET_HEADER.fullmatch(name.strip()) or not value or _REFERENCE.match(value):
            return match.group(0)
        return match.group(1) + shlex.quote(f"{name}: {MASK}")

    # --- structured data ------------------------------------------------------------------------

    def headers(self, headers: Mapping[str, str], *, references: bool = False) -> dict[str, str]:
        """Headers with every secret-named header masked; with ``references``, a known secret's
        value becomes a reference to its variable (``$INTERLOCK_AUTHORIZATION``) instead.
        """
        out = {}
        for name, value in headers.items():
            known = self.secret_for(value)
            if _REFERENCE.match(value):
                out[name] = value
            elif references and known is not None and known.variable:
                out[name] = f"${known.variable}"
            elif SECRET_HEADER.fullmatch(name) or known is not None:
                out[name] = MASK
            else:
                out[name] = self.known_values(value)
        return out

    def data(self, value: Any) -> Any:
        """Every string in ``value`` through :meth:`text`; every ``headers`` mapping by header name.

        For reports: the values are generated or free text, so member names are not judged.
        """
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self._member(key, item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def _member(self, key: Any, item: Any) -> Any:
        if key == "headers" and isinstance(item, dict) and all(isinstance(v, str) for v in item.values()):
            return self.headers(item)
        if key in LABEL_KEYS and isinstance(item, str):
            return self.known_values(item)  # a title or a check name is never a header line
        return self.data(item)

    def fields(self, value: Any) -> Any:
        """:meth:`data`, and also the whole value of every member named like a secret.

        Only for data from configuration (a worker's job, ``{"X-Api-Key": "abc"}``) or from a
        provider's response, never for generated request data.
        """
        if isinstance(value, dict):
            return {
                key: MASK
                if isinstance(key, str)
                and isinstance(item, str)
                and (SECRET_FIELD.fullmatch(key) or SECRET_HEADER.fullmatch(key))
                and not _REFERENCE.match(item)
                else self.fields(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.fields(item) for item in value]
        return self.data(value)


#: The policy of a run that knows no secret values: names and bearer credentials only.
DEFAULT = RedactionPolicy()


def redact(text: str) -> str:
    """``text`` under the default policy (see :meth:`RedactionPolicy.text`)."""
    return DEFAULT.text(text)


def redact_data(value: Any) -> Any:
    """``value`` under the default policy (see :meth:`RedactionPolicy.data`)."""
    return DEFAULT.data(value)


def redact_fields(value: Any) -> Any:
    """``value`` under the default policy, by member name too (see :meth:`RedactionPolicy.fields`)."""
    return DEFAULT.fields(value)
