"""The files ``interlock init`` writes, as commented YAML text.

Written by hand rather than dumped, so every key carries a comment that says what it does; each
value goes through :func:`flow` (PyYAML's one-line form), so the text parses back to the value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from interlock.app.scaffold.plan import IntegrationPlan, Plan, ServicePlan
from interlock.openapi.document import SpecDocument
from interlock.pacts.pactfile import PactFile
from interlock.stages.chaos.catalogue import catalogue_experiment
from interlock.stages.load.generate import TaskPlan

#: Statuses that say the request was bad: a pact expecting one describes an invalid request,
#: which fuzzing's valid data must never get, so they are never accepted for valid data.
_INVALID_INPUT = frozenset({400, 405, 406, 411, 413, 414, 415, 422})

#: What each catalogue fault does, for the comment above it.
_FAULT_NOTES = {
    "slow-provider": "The provider answers later than the budget: the consumer must give up in time.",
    "provider-503": "Every request is answered 503 by the proxy: bounded, spaced retries, then the"
    " breaker opens.",
    "connection-reset": "The connection is reset after the provider has answered (the answer is lost).",
    "lost-response": "The provider's answer never arrives: the consumer's timeout must fire.",
    "truncated-response": "The answer is cut after 16 bytes: the consumer cannot parse it and must not"
    " write twice when it retries.",
    "provider-down": "Nothing listens: the consumer must answer (an error) at once rather than hang.",
}


def flow(value: Any) -> str:
    """``value`` as one line of YAML (flow style) that reads back as ``value``."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, sort_keys=False, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _key(indent: int, key: str, value: Any, comment: str = "") -> str:
    line = f"{' ' * indent}{flow(key)}: {flow(value)}"
    return f"{line}   # {comment}" if comment else line


def _header(title: str, *lines: str) -> list[str]:
    return [
        f"# {title}",
        f"# Written by `interlock init` on {date.today().isoformat()}; edit it freely.",
        *lines,
    ]


# -- interlock.yaml ------------------------------------------------------------------------------


def render_manifest(plan: Plan) -> str:
    out = _header(
        "interlock.yaml: the services interlock starts and the integrations it verifies.",
        "# The format: docs/ (README's 'The manifest'); `interlock verify` runs every stage on it.",
        *(
            [
                f"# Pacts come from the Pact Broker at {plan.broker}: set PACT_BROKER_BASE_URL to it (and",
                "# PACT_BROKER_TOKEN) where interlock runs; the broker selects the pacts to verify.",
            ]
            if plan.broker
            else []
        ),
        _key(0, "version", 1, "the manifest format's version"),
        "services:",
    )
    for service in plan.services.values():
        out += _service(service)
    out.append("integrations:")
    for integration in plan.integrations:
        out += _integration(plan, integration)
    return "\n".join(out) + "\n"


def _service(service: ServicePlan) -> list[str]:
    out = [f"  {flow(service.name)}:"]
    if service.run is not None:
        out.append(
            _key(4, "run", service.run, "the command that starts it; {port} is a free port interlock picks")
        )
    if service.base_url is not None:
        out.append(
            _key(4, "base_url", service.base_url, "already running: interlock uses it, never starts it")
        )
    out.append(_key(4, "health", service.health, "polled until it answers 2xx: the service is up"))
    if service.openapi is not None:
        where = "a URL path on the running service" if service.openapi.startswith("/") else "its OpenAPI spec"
        out.append(
            _key(
                4,
                "openapi",
                service.openapi,
                f"{where} ({service.openapi_origin}): fuzzing and pact-vs-spec checks",
            )
        )
    if service.base_path is not None:
        out.append(
            _key(4, "base_path", service.base_path, "the spec's servers: its operations live under this path")
        )
    if service.states is not None:
        out.append(_key(4, "states", service.states, "sets up the pacts' provider states ('given ...')"))
    if service.env:
        out.append(
            "    env:   # the started process's environment; {proxy:INTEGRATION} is the fault proxy's URL"
        )
        out += [_key(6, key, value) for key, value in service.env.items()]
    return out


def _integration(plan: Plan, integration: IntegrationPlan) -> list[str]:
    out = [f"  - {_key(0, 'name', integration.name, 'names it in reports and in --only')}"]
    if integration.consumer is not None:
        out.append(_key(4, "consumer", integration.consumer, "the service that calls"))
    out.append(_key(4, "provider", integration.provider, "the service that is called"))
    if integration.pacts:
        out.append(
            "    pacts:   # the consumer's expectations, verified against the provider (contracts stage)"
        )
        out += [f"      - {flow(plan.relative(pact.path))}" for pact in integration.pacts]
    if integration.messages:
        out.append(
            "    messages:   # each message pact description -> the provider function that produces it"
        )
        out += [_key(6, description, handler) for description, handler in integration.messages.items()]
    if integration.policy_text is not None:
        out.append("    resilience:   # what the consumer promises towards the provider (docs/chaos.md)")
        out += _policy(integration.policy_text)
    if integration.chaos_file is not None:
        out.append(_key(4, "chaos", integration.chaos_file, "faults injected between them (chaos stage)"))
    load_file = plan.load_files.get(integration.name)
    if load_file is not None:
        out.append(_key(4, "load", load_file, "load shape and SLOs (load stage)"))
    return out


_POLICY_NOTES = {
    "probe": "the request that makes the consumer call the provider once",
    "budget": "a consumer call gives up within this",
    "retries": "retries per provider request (attempts = retries + 1)",
    "backoff": "the first retry waits about this long",
    "breaker": "opens after `failures` failed attempts, half-opens after `reset`",
    "calls": "probe calls per fault",
}


def _policy(policy: dict[str, Any]) -> list[str]:
    return [_key(6, key, value, _POLICY_NOTES.get(key, "")) for key, value in policy.items()]


# -- suites/PROVIDER.yaml ------------------------------------------------------------------------


def accepted_statuses(pacts: list[PactFile], spec: SpecDocument | None) -> dict[str, list[int]]:
    """4xx answers the pacts expect for well-formed requests (a declined payment's 402, a conflict's
    409), by spec operation: fuzzing's valid data may get them too, they are no finding."""
    accepted: dict[str, list[int]] = {}
    if spec is None:
        return accepted
    for pact in pacts:
        for interaction in pact.interactions:
            request, response = interaction.request, interaction.response
            if request is None or response is None:
                continue
            if not 400 <= response.status < 500 or response.status in _INVALID_INPUT:
                continue
            match = spec.match_path(request.method, request.path)
            if match is None or match.operation is None:
                continue
            statuses = accepted.setdefault(match.operation.label, [])
            if response.status not in statuses:
                statuses.append(response.status)
    return {label: sorted(statuses) for label, statuses in sorted(accepted.items())}


def render_suite(provider: str, accepted: dict[str, list[int]]) -> str:
    out = _header(
        f"Fuzz suite of {provider}: how interlock fuzzes it from its OpenAPI spec (docs/fuzz.md, every key).",
        "# Every key is optional; without this file the provider is fuzzed with the defaults.",
        "",
        "# The test phases, all by default: examples, coverage, fuzzing, stateful.",
        "# phases: [examples, coverage, fuzzing, stateful]",
        "# Only or never these operations ('METHOD /path' or '/path').",
        "# include: ['POST /payments']",
        "# exclude: ['GET /health']",
        "# Sent with every request; ${VAR} is read from the environment, so secrets stay out of the file.",
        "# headers: {X-Tenant: demo}",
        "# auth: {bearer: '${API_TOKEN}'}",
    )
    if accepted:
        out.append(
            "# Answers the pacts expect for well-formed requests: valid data may get them, so no finding."
        )
        out.append("accepted_statuses:")
        out += [_key(2, operation, statuses) for operation, statuses in accepted.items()]
    else:
        out.append("# Statuses valid data may get besides 2xx (a declined payment's 402), per operation.")
        out.append("# accepted_statuses: {'POST /payments': [402]}")
    out += [
        "# Response-time budgets per operation ('*' = every one); generous for shared CI machines.",
        "budgets:",
        _key(2, "*", ["max < 2s", "p(95) < 500ms"]),
        "# How hard each profile fuzzes (`interlock verify --profile ci|full`).",
        "profiles:",
        _key(2, "ci", {"max_examples": 25, "time_budget": "25s"}, "a pipeline gate: seconds per provider"),
        _key(2, "full", {"max_examples": 300, "time_budget": "10m"}, "before a release"),
    ]
    return "\n".join(out) + "\n"


# -- chaos/INTEGRATION.yaml ----------------------------------------------------------------------


def render_experiment(integration: IntegrationPlan) -> str:
    """The fault catalogue for ``integration`` (``interlock chaos --catalogue``), as a file to tune."""
    policy = integration.policy
    assert policy is not None and policy.probe is not None
    experiment = catalogue_experiment(integration.name, policy, policy.probe)
    out = _header(
        f"Chaos experiment for {integration.name} (format: docs/chaos.md).",
        "# The built-in fault catalogue, with each expectation derived from the integration's",
        "# `resilience:` policy in interlock.yaml: p(99) below the budget plus slack, amplification at",
        "# most the attempts, retries spaced by the backoff, fail_fast_after the breaker's failures.",
        _key(0, "integration", experiment.integration, "the manifest's integration this experiment targets"),
        _key(
            0,
            "probe",
            integration.policy_text["probe"] if integration.policy_text else {},
            "sent to the consumer",
        ),
        _key(0, "calls", experiment.calls, "probe calls per phase"),
        _key(0, "steady_state", experiment.steady_state, "must hold before any fault"),
        _key(
            0,
            "recovery",
            f"steady_state within {experiment.recovery.within_s:g}s",
            "after each fault's rollback",
        ),
        "faults:",
    )
    for fault in experiment.faults:
        out.append(f"  # {_FAULT_NOTES.get(fault.name, fault.name)}")
        data = fault.model_dump(mode="json", exclude_defaults=True, by_alias=True)
        if fault.http_error is not None:  # the status said even where it is the default
            data["http_error"] = {"status": fault.http_error.status, **data["http_error"]}
        out.append(f"  - {_key(0, 'name', data.pop('name'))}")
        for key, value in data.items():
            out.append(_key(4, key, value))
    return "\n".join(out) + "\n"


# -- load/INTEGRATION.yaml -----------------------------------------------------------------------


def render_profile(integration: IntegrationPlan, tasks: TaskPlan) -> str:
    """A contract-scoped load profile: the task mix is generated from the pacts at run time."""
    out = _header(
        f"Load profile for {integration.name} (format: docs/load.md).",
        "# No locustfile: the task mix is generated from the pacts' requests that are safe to repeat",
        "# (GET, HEAD, OPTIONS, PUT, DELETE, and POST/PATCH with an Idempotency-Key), their provider",
        "# states set up first. From the pacts today:",
        *(f"#   in the mix: {task.method} {task.path} ({task.description})" for task in tasks.tasks),
        *(f"#   left out:   {left.description}: {left.reason}" for left in tasks.excluded),
        _key(0, "integration", integration.name, "loads its provider"),
        "# The users over time: a short ramp sized for a shared CI machine; raise it for a real peak.",
        _key(0, "shape", {"type": "ramp", "users": 5, "spawn_rate": 5, "duration": "10s"}),
        "# The SLOs, in interlock's threshold language; a breach fails the gate.",
        _key(0, "slo", ["p(95) < 500ms", "error_rate < 1%"]),
    )
    return "\n".join(out) + "\n"
