"""interlock.yaml: the services to start and the integrations to verify.

Validation happens in two passes. Pydantic checks the shape (unknown keys, types, ranges); then
:func:`_check_references` checks what a schema cannot: that names refer to declared services
and integrations, that placeholders resolve, and that referenced files exist. Both passes
raise :class:`~interlock.core.errors.ConfigError` pointing at ``file:line``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from interlock.core import templating
from interlock.core.config import Strict, did_you_mean, validate_model
from interlock.core.durations import Duration
from interlock.core.errors import ConfigError
from interlock.core.spec_location import SpecKind, locate_spec
from interlock.core.yamlfile import PathKey, YamlDocument, load_yaml

DEFAULT_MANIFEST = "interlock.yaml"
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_HANDLER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"


class Service(Strict):
    """A service interlock starts (``run``) or one that is already running (``base_url``)."""

    run: str | None = None
    base_url: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    health: str = "/health"
    openapi: str | None = None
    #: Where the API's operations live below the service URL (``/v1``); ``health``, ``states`` and a
    #: URL-path ``openapi:`` stay relative to the service URL itself.
    base_path: str | None = None
    states: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    start_timeout: Duration = Field(default=30.0, gt=0, le=600)
    #: Scan this service's log for the run's known secrets after each stage (a leak is a finding).
    log_secrets_check: bool = True

    @field_validator("env", mode="before")
    @classmethod
    def _scalars_as_strings(cls, value: Any) -> Any:
        # `PORT: 8080` in YAML is an int, `DEBUG: true` a bool; an environment holds strings.
        if not isinstance(value, dict):
            return value
        return {key: _env_string(item) for key, item in value.items()}

    @field_validator("health", "states")
    @classmethod
    def _url_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError("must be a URL path starting with '/'")
        return value

    @field_validator("base_path")
    @classmethod
    def _base_path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("/"):
            raise ValueError("must be a URL path starting with '/', e.g. /v1")
        return value.rstrip("/") or None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _run_or_base_url(self) -> Service:
        if (self.run is None) == (self.base_url is None):
            raise ValueError("give either 'run' (interlock starts it) or 'base_url' (already running)")
        if self.base_url is not None and self.port is not None:
            raise ValueError("'port' applies only to services started with 'run'")
        return self


def _env_string(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


class Integration(Strict):
    """One consumer calling one provider, and the files that describe how to verify it.

    Without a consumer it is a provider-only integration: the provider is verified on its own
    (its pacts if it has any, fuzzing, load); chaos needs a consumer to inject faults under.
    """

    name: str = Field(pattern=_NAME_PATTERN)
    consumer: str | None = None
    provider: str
    pacts: list[str] = Field(default_factory=list)
    #: Message pacts: each message description -> ``module:function`` that produces it (the provider's code).
    messages: dict[str, str] = Field(default_factory=dict)
    chaos: str | None = None
    load: str | None = None
    #: The consumer's declared resilience policy towards this provider (validated by the chaos stage).
    resilience: dict[str, Any] | None = None

    @field_validator("pacts", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("messages")
    @classmethod
    def _handlers(cls, value: dict[str, str]) -> dict[str, str]:
        for description, handler in value.items():
            if not re.match(_HANDLER_PATTERN, handler):
                raise ValueError(
                    f"message '{description}': handler must be 'module.path:function' (got {handler!r})"
                )
        return value


class Manifest(Strict):
    """The validated manifest, plus where it came from (paths in it are relative to it)."""

    version: Literal[1]
    allow_remote: bool = False
    #: Run every command that starts services in a private network namespace (like ``--sandbox``).
    sandbox: bool = False
    #: Re-runs of a chaos experiment or load profile whose checks failed on timing gates only,
    #: before they fail the gate (``--confirm N`` overrides; 0: off). See core/confirmation.py.
    confirm: int = Field(default=1, ge=0, le=5)
    #: A check that failed and then passed on confirmation (``flaky``) fails the gate too.
    strict_flaky: bool = False
    services: dict[str, Service] = Field(min_length=1)
    integrations: list[Integration] = Field(min_length=1)
    path: Path = Field(default=Path(DEFAULT_MANIFEST), exclude=True)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the manifest, resolved against the manifest's directory."""
        return (self.base_dir / relative).resolve()

    def integration(self, name: str) -> Integration:
        return next(i for i in self.integrations if i.name == name)

    def pact_files(self, integration: Integration) -> list[Path]:
        """The pact files of ``integration``; a directory entry stands for its ``*.json``."""
        files: list[Path] = []
        for entry in integration.pacts:
            path = self.resolve(entry)
            files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
        return files


def load_manifest(path: Path | str = DEFAULT_MANIFEST) -> Manifest:
    """Load and fully validate a manifest; every problem raises ConfigError with file:line."""
    path = Path(path)
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError(
            "the manifest must be a mapping with 'version', 'services' and 'integrations'", path, 1
        )
    manifest = validate_model(Manifest, {**doc.data, "path": path.resolve()}, doc)
    _check_references(manifest, doc)
    return manifest


def _check_references(manifest: Manifest, doc: YamlDocument) -> None:
    services = manifest.services
    names = [i.name for i in manifest.integrations]

    for index, integration in enumerate(manifest.integrations):
        loc: PathKey = ("integrations", index)
        if names.count(integration.name) > 1:
            raise doc.error((*loc, "name"), f"integration name '{integration.name}' is used more than once")
        for role in ("consumer", "provider"):
            service = getattr(integration, role)
            if service is not None and service not in services:
                raise doc.error(
                    (*loc, role),
                    f"{role} '{service}' is not a service in this manifest"
                    + did_you_mean(service, list(services)),
                )
        for i, entry in enumerate(integration.pacts):
            kind = _kind_of(manifest, entry)
            if kind is None:
                raise doc.error((*loc, "pacts", i), f"pact file not found: {entry}")
            if kind == "dir" and not any(manifest.resolve(entry).glob("*.json")):
                raise doc.error((*loc, "pacts", i), f"no pact files (*.json) in the directory {entry}")
        for key in ("chaos", "load"):
            entry = getattr(integration, key)
            if entry is not None and _kind_of(manifest, entry) != "file":
                raise doc.error((*loc, key), f"{key} file not found: {entry}")

    for name, spec in services.items():
        loc = ("services", name)
        if spec.openapi:
            where = locate_spec(spec.openapi, manifest.base_dir)
            if (
                where.kind == SpecKind.FILE
                and where.file is not None
                and _kind_of(manifest, str(where.file)) != "file"
            ):
                raise doc.error((*loc, "openapi"), f"OpenAPI file not found: {spec.openapi}")
        templated: list[tuple[PathKey, str | None]] = [(("run",), spec.run), (("base_url",), spec.base_url)]
        templated += [(("env", key), value) for key, value in spec.env.items()]
        for key_loc, text in templated:
            if text is None:
                continue
            try:
                found = templating.placeholders(text)
            except templating.TemplateError as exc:
                raise doc.error((*loc, *key_loc), str(exc)) from None
            for placeholder in found:
                problem = _placeholder_problem(placeholder, name, spec, manifest)
                if problem:
                    raise doc.error((*loc, *key_loc), problem)
    try:
        start_order(manifest, list(services))
    except ValueError as exc:
        raise doc.error(("services",), str(exc)) from None


def _kind_of(manifest: Manifest, entry: str) -> str | None:
    """ "file", "dir", or None when ``entry`` names nothing usable (a NUL byte or a name too long
    for the file system included: those raise instead of answering "no")."""
    try:
        path = manifest.resolve(entry)
        return "dir" if path.is_dir() else "file" if path.is_file() else None
    except (OSError, ValueError):
        return None


def _placeholder_problem(
    p: templating.Placeholder, owner: str, spec: Service, manifest: Manifest
) -> str | None:
    if p.kind == "port" and spec.run is None:
        return "{port} is only available to services started with 'run'"
    if p.kind == "url":
        if p.arg not in manifest.services:
            return f"{{url:{p.arg}}}: no service named '{p.arg}'" + did_you_mean(
                p.arg or "", list(manifest.services)
            )
        if p.arg == owner:
            return f"{{url:{p.arg}}} refers to the service itself; use {{port}}"
    if p.kind == "proxy":
        names = [i.name for i in manifest.integrations]
        if p.arg not in names:
            return f"{{proxy:{p.arg}}}: no integration named '{p.arg}'" + did_you_mean(p.arg or "", names)
    return None


def dependencies(manifest: Manifest, service: str) -> set[str]:
    """Services that ``service`` needs running first (through {url:X} or {proxy:I} placeholders)."""
    spec = manifest.services[service]
    needed: set[str] = set()
    texts = [t for t in (spec.run, spec.base_url, *spec.env.values()) if t]
    for text in texts:
        for p in templating.placeholders(text):
            if p.kind == "url" and p.arg:
                needed.add(p.arg)
            elif p.kind == "proxy" and p.arg:
                needed.add(manifest.integration(p.arg).provider)
    return needed


def start_order(manifest: Manifest, wanted: list[str]) -> list[str]:
    """``wanted`` plus everything they depend on, dependencies first; ValueError on a cycle."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ValueError(f"services depend on each other in a cycle: {cycle}")
        visiting.append(name)
        for dep in sorted(dependencies(manifest, name)):
            visit(dep)
        visiting.pop()
        order.append(name)

    for name in wanted:
        visit(name)
    return order
