"""What ``interlock init`` will write, as one value: the services, the integrations and their policies.

Built from what :mod:`~interlock.app.scaffold.discover` found and what the user said (flags or
prompts). The parsers here read the command line's small languages (``NAME=VALUE``, a resilience
policy as ``budget=1s,retries=2``, a probe as ``POST /orders {"sku": "A"}``) and raise
:class:`~interlock.core.errors.UsageError` (exit 2) naming the flag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from interlock.core.errors import UsageError
from interlock.pacts.pactfile import PactFile
from interlock.stages.chaos.experiment import Probe
from interlock.stages.chaos.policy import ResiliencePolicy

#: ``--resilience``/``--probe`` for every integration at once.
EVERY = "*"


@dataclass
class ServicePlan:
    name: str
    run: str | None = None
    base_url: str | None = None
    health: str = "/health"
    #: As the manifest will say it: a file relative to the manifest, a URL path or a URL.
    openapi: str | None = None
    #: How the spec was chosen ("found", "given"), for the comment beside it.
    openapi_origin: str = ""
    base_path: str | None = None
    states: str | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class IntegrationPlan:
    name: str
    consumer: str | None
    provider: str
    pacts: list[PactFile] = field(default_factory=list)
    #: Message description -> ``module:function`` that produces it.
    messages: dict[str, str] = field(default_factory=dict)
    #: The policy as written in the manifest (strings kept: ``1s``, not 1.0), and validated.
    policy_text: dict[str, Any] | None = None
    policy: ResiliencePolicy | None = None

    @property
    def chaos_file(self) -> str | None:
        return f"chaos/{self.name}.yaml" if self.policy is not None and self.policy.probe else None


@dataclass
class Plan:
    root: Path
    services: dict[str, ServicePlan]
    integrations: list[IntegrationPlan]
    broker: str | None = None
    #: Integration name -> its load profile (relative path), for integrations whose pacts allow one.
    load_files: dict[str, str] = field(default_factory=dict)

    def relative(self, path: Path) -> str:
        """``path`` as the manifest writes it: relative to the manifest when below it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path.resolve())

    def providers_with_specs(self) -> list[str]:
        """Providers the fuzz stage will fuzz (they have an ``openapi:``), in manifest order."""
        seen: list[str] = []
        for integration in self.integrations:
            spec = self.services[integration.provider].openapi
            if spec and integration.provider not in seen:
                seen.append(integration.provider)
        return seen


def split_pair(text: str, flag: str, what: str = "NAME=VALUE") -> tuple[str, str]:
    """``NAME=VALUE`` -> (NAME, VALUE); UsageError naming ``flag`` otherwise."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise UsageError(f"{flag} {text!r}: write {what}")
    return name.strip(), value.strip()


def parse_env(text: str) -> tuple[str, str, str]:
    """``--env SERVICE:KEY=VALUE`` -> (SERVICE, KEY, VALUE)."""
    target, sep, value = text.partition("=")
    service, colon, key = target.partition(":")
    if not sep or not colon or not service.strip() or not key.strip():
        raise UsageError(
            f"--env {text!r}: write SERVICE:KEY=VALUE, e.g. checkout:PAYMENTS_URL={{proxy:NAME}}"
        )
    return service.strip(), key.strip(), value


def parse_policy(text: str, flag: str = "--resilience") -> tuple[dict[str, Any], ResiliencePolicy]:
    """``budget=1s,retries=2,backoff=50ms,breaker=5/1s`` -> (the manifest's block, the validated policy).

    ``breaker=FAILURES/RESET``: the breaker opens after FAILURES failed attempts and half-opens
    after RESET. Only ``budget`` is required.
    """
    raw: dict[str, Any] = {}
    for item in (part.strip() for part in text.replace(" ", ",").split(",")):
        if not item:
            continue
        key, value = split_pair(item, flag, "budget=1s,retries=2,backoff=50ms,breaker=5/1s")
        if key == "breaker":
            failures, slash, reset = value.partition("/")
            if not slash or not failures.strip().isdigit():
                raise UsageError(
                    f"{flag}: breaker={value!r}: write breaker=FAILURES/RESET, e.g. breaker=5/1s"
                )
            raw[key] = {"failures": int(failures), "reset": reset.strip()}
        elif key in ("retries", "calls"):
            if not value.isdigit():
                raise UsageError(f"{flag}: {key}={value!r} must be a whole number")
            raw[key] = int(value)
        elif key in ("budget", "backoff"):
            raw[key] = value
        else:
            raise UsageError(f"{flag}: unknown key {key!r} (keys: budget, retries, backoff, breaker, calls)")
    if "budget" not in raw:
        raise UsageError(f"{flag} {text!r}: a policy needs at least budget=DURATION (e.g. budget=1s)")
    return raw, _validated(ResiliencePolicy, raw, flag)


def parse_probe(text: str, flag: str = "--probe") -> tuple[dict[str, Any], Probe]:
    """``POST /orders {"sku": "SKU-1"}`` -> (the manifest's block, the validated probe).

    The request the consumer is sent so that it calls the provider once; a JSON body may follow.
    """
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or not parts[1].startswith("/"):
        raise UsageError(f'{flag} {text!r}: write METHOD /path [JSON body], e.g. POST /orders {{"sku": "A"}}')
    raw: dict[str, Any] = {"method": parts[0].upper(), "path": parts[1]}
    if len(parts) == 3:
        try:
            raw["json"] = json.loads(parts[2])
        except json.JSONDecodeError as exc:
            raise UsageError(f"{flag}: the body is not JSON ({exc.msg}): {parts[2]!r}") from None
    raw["timeout"] = "5s"
    return raw, _validated(Probe, raw, flag)


def _validated(model: Any, raw: dict[str, Any], flag: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UsageError(f"{flag}: {where + ': ' if where else ''}{first['msg']}") from None


def for_integration(values: dict[str, str], integration: str) -> str | None:
    """The value given for ``integration``, else the one given for every integration (``*``)."""
    return values.get(integration, values.get(EVERY))
