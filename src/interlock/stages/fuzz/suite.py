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
from typing import Any

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
        for value in values:
            if not _OPERATION.match(value):
                raise ValueError(f"{value!r} is not an operation: write 'METHOD /path' or '/path'")
        return values

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
    _check_semantics(suite, doc)
    return _interpolate(suite, doc, os.environ if environ is None else environ)


def _check_semantics(suite: Suite, doc: YamlDocument) -> None:
    from interlock.stages.fuzz.engine import builtin_check_names

    known = [*builtin_check_names(), *CHECKS]
    for index, name in enumerate(suite.checks.disable):
        if name not in known:
            raise doc.error(
                ("checks", "disable", index), f"unknown check '{name}' (known: {', '.join(known)})"
            )


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
