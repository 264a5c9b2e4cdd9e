"""Fuzz suites: ``suites/<provider>.yaml`` holds what interlock needs to know to fuzz a provider.

A provider without a suite file is fuzzed with the defaults. Everything is optional::

    phases: [examples, coverage, fuzzing, stateful]          # the default: all of them
    include: ["POST /payments", "/payments/{payment_id}"]   # only these ("METHOD /path" or "/path")
    exclude: ["GET /health"]                                 # never these
    headers: {X-Tenant: shop}                                # sent with every request
    auth: {bearer: "${PAYMENTS_TOKEN}"}                      # or {basic: {username, password}}
                                                             # or {header: {name, value}}
    accepted_statuses: {"POST /payments": [402]}             # valid data may get these too
    budgets: {"*": ["max < 2s"], "POST /payments": ["p(95) < 300ms"]}
    checks: {disable: [use_after_free]}                      # built-in or interlock checks
    extra_checks: ["mypackage.checks:no_pii"]                # (exchange, settings) -> None
    idempotency: {header: Idempotency-Key, samples: 2}
    base_url: http://127.0.0.1:8001/v1                       # fuzz this URL, not the service's (st --url)
    max_redirects: 0                                         # st --max-redirects (default: st's own)
    request_timeout: 5s                                      # st --request-timeout (default 10s)
    tls_verify: false                                        # or a CA bundle file; st --tls-verify
    coverage: {require: complete}                            # untested operations fail the stage
    profiles:
      ci: {max_examples: 25, time_budget: 25s, seed: 7}
      full: {max_examples: 300, time_budget: 10m}

``budgets`` and ``idempotency`` are the settings of the checks ``response_time_budget`` and
``idempotency``: every registered check with settings reads them from its own key
(:mod:`interlock.stages.fuzz.checks.registry`).

``${VAR}`` in headers and auth is read from the environment, so secrets stay out of the file.
Every mistake is a :class:`~interlock.core.errors.ConfigError` naming ``file:line``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from interlock.core.config import Strict, validate_model
from interlock.core.durations import Duration
from interlock.core.errors import ConfigError
from interlock.core.yamlfile import YamlDocument, load_yaml
from interlock.stages.fuzz.checks import CHECKS
from interlock.stages.fuzz.checks.registry import settings_keys

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPERATION = re.compile(r"^(?:(?:GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS|TRACE) )?/\S*$")


class ProfileSettings(Strict):
    """How hard one profile fuzzes this provider (unset keys keep the profile's defaults)."""

    max_examples: int | None = Field(default=None, ge=1, le=100_000)
    time_budget: Duration | None = Field(default=None, gt=0, le=24 * 3600)
    seed: int | None = None


class ProfilesSettings(Strict):
    ci: ProfileSettings | None = None
    full: ProfileSettings | None = None


class BasicAuth(Strict):
    username: str
    password: str


class HeaderAuth(Strict):
    name: str
    value: str


class AuthSettings(Strict):
    bearer: str | None = None
    basic: BasicAuth | None = None
    header: HeaderAuth | None = None

    @model_validator(mode="after")
    def _one(self) -> AuthSettings:
        if sum(x is not None for x in (self.bearer, self.basic, self.header)) != 1:
            raise ValueError("give exactly one of 'bearer', 'basic' or 'header'")
        return self

    def headers(self) -> dict[str, str]:
        import base64

        if self.bearer is not None:
            return {"Authorization": f"Bearer {self.bearer}"}
        if self.basic is not None:
            token = base64.b64encode(f"{self.basic.username}:{self.basic.password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        assert self.header is not None
        return {self.header.name: self.header.value}


class ChecksSettings(Strict):
    disable: list[str] = Field(default_factory=list)


class CoverageSettings(Strict):
    """What the stage makes of operations the run left untested (budget spent, spec problems)."""

    #: ``none``: a warning; ``complete``: the stage fails unless every operation was fully fuzzed.
    require: Literal["none", "complete"] = "none"


#: The most redirects a request may follow; more is a loop or a typo.
MAX_REDIRECTS = 100
#: The longest request timeout: a request that needs longer is a hung request.
MAX_REQUEST_TIMEOUT_S = 3600.0


def tls_verify_value(value: Any, base_dir: Path | None = None) -> bool | str:
    """``st run --tls-verify``'s values: true, false, or the path of a CA bundle, made absolute
    against ``base_dir`` and checked to exist (only the form is checked without ``base_dir``)."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"tls_verify is true, false or the path of a CA bundle, not {value!r}")
    if value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if base_dir is None:
        return value
    path = (base_dir / value).resolve()
    if not path.is_file():
        raise ValueError(f"no CA bundle file {value!r} for tls_verify (or write true or false)")
    return str(path)


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def parse_header(text: str) -> tuple[str, str]:
    """``"X-Tenant: shop"`` -> ("X-Tenant", "shop"), as ``st run -H`` takes it; ValueError otherwise."""
    name, sep, value = text.partition(":")
    if not sep or not _HEADER_NAME.match(name.strip()):
        raise ValueError(f"a header is 'Name: value', e.g. 'X-Tenant: shop', not {text!r}")
    if "\n" in value or "\r" in value:
        raise ValueError(f"a header value is one line, not {text!r}")
    return name.strip(), value.strip()


def check_operation(value: str) -> str:
    """An operation filter, ``"METHOD /path"`` or ``"/path"``; ValueError otherwise."""
    if not _OPERATION.match(value):
        raise ValueError(f"{value!r} is not an operation: write 'METHOD /path' or '/path'")
    return value


def base_url_value(value: str) -> str:
    """An http(s) URL with a host, without a trailing slash (as the manifest's ``base_url``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL such as http://127.0.0.1:8001")
    return value.rstrip("/")


PHASES = ("examples", "coverage", "fuzzing", "stateful")


class Suite(Strict):
    """One provider's fuzz settings."""

    phases: list[str] = Field(default_factory=lambda: list(PHASES))
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    auth: AuthSettings | None = None
    accepted_statuses: dict[str, list[int]] = Field(default_factory=dict)
    checks: ChecksSettings = Field(default_factory=ChecksSettings)
    extra_checks: list[str] = Field(default_factory=list)
    profiles: ProfilesSettings = Field(default_factory=ProfilesSettings)
    #: Where to send the requests instead of the service's URL (``st run --url``).
    base_url: str | None = None
    #: Redirects each request may follow; unset is schemathesis' default (``st run`` without
    #: ``--max-redirects``: same-host redirects are followed unless the operation documents a 3xx).
    max_redirects: int | None = Field(default=None, ge=0, le=MAX_REDIRECTS)
    request_timeout: Duration | None = Field(default=None, gt=0, le=MAX_REQUEST_TIMEOUT_S)
    tls_verify: bool | str = True
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    #: Each registered check's settings by check name, read from the check's own suite key
    #: (``budgets:``, ``idempotency:``, ...; see :mod:`interlock.stages.fuzz.checks.registry`).
    check_settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_check_settings(cls, data: Any) -> Any:
        """Move each check's suite key into ``check_settings``, validated by the check's model."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        gathered = dict(data.pop("check_settings", None) or {})
        for key, check in settings_keys().items():
            if key in data:
                gathered[check.name] = check.settings_from(data.pop(key))
        data["check_settings"] = gathered
        return data

    @field_validator("phases")
    @classmethod
    def _phases(cls, values: list[str]) -> list[str]:
        for value in values:
            if value not in PHASES:
                raise ValueError(f"unknown phase {value!r} (phases: {', '.join(PHASES)})")
        return values

    @field_validator("include", "exclude")
    @classmethod
    def _operations(cls, values: list[str]) -> list[str]:
        return [check_operation(value) for value in values]

    @field_validator("accepted_statuses")
    @classmethod
    def _statuses(cls, value: dict[str, list[int]]) -> dict[str, list[int]]:
        for operation, statuses in value.items():
            if not _OPERATION.match(operation) or " " not in operation:
                raise ValueError(f"{operation!r} is not an operation: write 'METHOD /path'")
            for status in statuses:
                if not 100 <= status <= 599:
                    raise ValueError(f"{status} is not an HTTP status")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return None if value is None else base_url_value(value)

    @field_validator("tls_verify", mode="before")
    @classmethod
    def _tls_verify(cls, value: Any) -> bool | str:
        return tls_verify_value(value)

    @field_validator("extra_checks")
    @classmethod
    def _callables(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.match(r"^[\w.]+:\w+$", value):
                raise ValueError(f"{value!r} is not 'module:function'")
        return values

    def all_headers(self) -> dict[str, str]:
        return {**self.headers, **(self.auth.headers() if self.auth else {})}


def suite_path(suites_dir: Path, provider: str) -> Path:
    return suites_dir / f"{provider}.yaml"


def load_suite(path: Path, *, environ: dict[str, str] | None = None) -> Suite:
    """The suite in ``path``, or the defaults when there is no such file."""
    if not path.is_file():
        return Suite()
    doc = load_yaml(path)
    if doc.data is None:
        return Suite()
    if not isinstance(doc.data, dict):
        raise ConfigError("a fuzz suite must be a mapping (include, exclude, budgets, ...)", path, 1)
    if "check_settings" in doc.data:
        raise doc.error(("check_settings",), "unknown key 'check_settings'")
    for key, check in settings_keys().items():
        if key in doc.data:  # validated here first, so a mistake names its line
            assert check.settings is not None
            validate_model(check.settings, doc.data[key], doc, (key,))
    suite = validate_model(Suite, doc.data, doc)
    suite = _check_semantics(suite, doc)
    return _interpolate(suite, doc, os.environ if environ is None else environ)


def _check_semantics(suite: Suite, doc: YamlDocument) -> Suite:
    """Checks that need more than one key or the file's place; the suite with paths made absolute."""
    from interlock.stages.fuzz.engine import builtin_check_names

    known = [*builtin_check_names(), *CHECKS]
    for index, name in enumerate(suite.checks.disable):
        if name not in known:
            raise doc.error(
                ("checks", "disable", index), f"unknown check '{name}' (known: {', '.join(known)})"
            )
    clash = set(suite.include) & set(suite.exclude)
    if clash:
        raise doc.error(("exclude",), f"{sorted(clash)[0]!r} is both included and excluded")
    if isinstance(suite.tls_verify, str):
        try:
            return suite.model_copy(
                update={"tls_verify": tls_verify_value(suite.tls_verify, doc.path.parent)}
            )
        except ValueError as exc:
            raise doc.error(("tls_verify",), str(exc)) from None
    return suite


def _interpolate(suite: Suite, doc: YamlDocument, environ: dict[str, str] | os._Environ[str]) -> Suite:
    """Replace ``${VAR}`` in headers and auth with the environment's values."""

    def expand(text: str, loc: tuple[str | int, ...]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise doc.error(loc, f"environment variable {name} is not set (used as ${{{name}}})")
            return environ[name]

        return _ENV.sub(one, text)

    headers = {k: expand(v, ("headers", k)) for k, v in suite.headers.items()}
    auth = suite.auth
    if auth is not None:
        raw = auth.model_dump(exclude_none=True)
        expanded = _expand_tree(raw, ("auth",), expand)
        auth = AuthSettings.model_validate(expanded)
    return suite.model_copy(update={"headers": headers, "auth": auth})


def _expand_tree(value: Any, loc: tuple[str | int, ...], expand: Any) -> Any:
    if isinstance(value, str):
        return expand(value, loc)
    if isinstance(value, dict):
        return {k: _expand_tree(v, (*loc, k), expand) for k, v in value.items()}
    return value
