"""``interlock init``: scaffold a working setup for an existing system, then prove it once.

It reads what it can find (pact files, OpenAPI spec files and their base paths), asks for what it
cannot (how each service starts, a resilience policy per integration: flags, or prompts on a
terminal, never without one), writes interlock.yaml, a fuzz suite per provider, a chaos experiment
per integration from the fault catalogue and a load profile per integration from its pacts, loads
every file back with interlock's own loaders, and runs ``verify --stages contracts,fuzz``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from interlock.app import pipeline
from interlock.app.reporting import show_verdict
from interlock.app.run_options import RunOptions
from interlock.app.scaffold import discover
from interlock.app.scaffold.plan import (
    EVERY,
    IntegrationPlan,
    Plan,
    ServicePlan,
    for_integration,
    parse_env,
    parse_policy,
    parse_probe,
    split_pair,
)
from interlock.app.scaffold.render import (
    accepted_statuses,
    render_experiment,
    render_manifest,
    render_profile,
    render_suite,
)
from interlock.core.console import Output
from interlock.core.errors import ConfigError, ExitCode, UsageError
from interlock.core.manifest import DEFAULT_MANIFEST, load_manifest
from interlock.core.spec_location import SpecKind, locate_spec
from interlock.openapi.document import SpecDocument, load_spec
from interlock.stages.chaos.experiment import load_experiment
from interlock.stages.chaos.policy import ResiliencePolicy, load_policy
from interlock.stages.fuzz.suite import load_suite
from interlock.stages.load.generate import TaskPlan, plan_tasks
from interlock.stages.load.profile import load_profile

#: The stages init runs to prove the setup: quick, and they need no tuning.
VERIFY_STAGES = "contracts,fuzz"

Ask = Callable[[str], str]


def _pairs(values: tuple[str, ...], flag: str) -> dict[str, str]:
    return dict(split_pair(value, flag) for value in values)


@click.command(name="init")
@click.option(
    "--dir",
    "root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path("."),
    show_default=True,
    help="The project to set up; files are written here.",
)
@click.option(
    "--pacts", type=click.Path(path_type=Path), help="Directory of pact files (default: any pacts/ below)."
)
@click.option(
    "--broker", metavar="URL", help="A Pact Broker to verify the pacts it selects (PACT_BROKER_BASE_URL)."
)
@click.option(
    "--run", "runs", multiple=True, metavar="NAME=COMMAND", help="How interlock starts a service ({port})."
)
@click.option(
    "--base-url", "base_urls", multiple=True, metavar="NAME=URL", help="An already running service."
)
@click.option(
    "--openapi",
    "specs",
    multiple=True,
    metavar="NAME=SPEC",
    help="A service's spec: a file, a URL path or a URL.",
)
@click.option(
    "--health", "healths", multiple=True, metavar="NAME=PATH", help="Health path (default /health)."
)
@click.option(
    "--states", "states", multiple=True, metavar="NAME=PATH", help="Provider-state endpoint of a provider."
)
@click.option(
    "--env", "envs", multiple=True, metavar="SERVICE:KEY=VALUE", help="An environment variable of a service."
)
@click.option(
    "--integration",
    "extra",
    multiple=True,
    metavar="[CONSUMER:]PROVIDER",
    help="An integration no pact names (a provider alone is fuzzed and loaded on its own).",
)
@click.option(
    "--message",
    "messages",
    multiple=True,
    metavar="DESCRIPTION=MODULE:FUNCTION",
    help="A message pact's producer.",
)
@click.option(
    "--resilience",
    "policies",
    multiple=True,
    metavar="INTEGRATION=POLICY",
    help="The consumer's policy, e.g. 'checkout-payments=budget=1s,retries=2,backoff=50ms,breaker=5/1s'"
    f" ('{EVERY}' for every integration).",
)
@click.option(
    "--probe",
    "probes",
    multiple=True,
    metavar="INTEGRATION=REQUEST",
    help="The request that makes the consumer call the provider, e.g. 'checkout-payments=POST /orders"
    ' {"sku": "A"}\' (\'*\' for every integration).',
)
@click.option(
    "--force", is_flag=True, help="Overwrite files that exist (they are listed, exit 2, without it)."
)
@click.option(
    "--no-verify", is_flag=True, help="Do not run `interlock verify --stages contracts,fuzz` afterwards."
)
@click.option("--plain/--rich", "plain", default=None, help="Plain log lines or rich terminal output.")
def init(
    root: Path,
    pacts: Path | None,
    broker: str | None,
    runs: tuple[str, ...],
    base_urls: tuple[str, ...],
    specs: tuple[str, ...],
    healths: tuple[str, ...],
    states: tuple[str, ...],
    envs: tuple[str, ...],
    extra: tuple[str, ...],
    messages: tuple[str, ...],
    policies: tuple[str, ...],
    probes: tuple[str, ...],
    force: bool,
    no_verify: bool,
    plain: bool | None,
) -> int:
    """Scaffold interlock.yaml, fuzz suites, chaos experiments and load profiles, then verify once.

    Pact files name the integrations (consumer -> provider); OpenAPI spec files are found by the
    service's name in their path, and their base path (servers / basePath) is written as
    base_path. What cannot be found is asked for on a terminal; without one, give it as flags.
    Nothing is overwritten without --force.
    """
    root = root.resolve()
    interactive = sys.stdin.isatty()
    ask: Ask | None = (
        (lambda text: str(click.prompt(text, default="", show_default=False))) if interactive else None
    )
    plan = _plan(
        root,
        pacts,
        broker,
        _pairs(runs, "--run"),
        _pairs(base_urls, "--base-url"),
        _pairs(specs, "--openapi"),
        _pairs(healths, "--health"),
        _pairs(states, "--states"),
        envs,
        extra,
        _pairs(messages, "--message"),
        _pairs(policies, "--resilience"),
        _pairs(probes, "--probe"),
        ask,
    )
    files, notes = _files(plan)
    existing = [name for name in files if (root / name).exists()]
    if existing and not force:
        click.echo("interlock init: these files exist; --force overwrites them:", err=True)
        for name in existing:
            click.echo(f"  {name}", err=True)
        return int(ExitCode.USAGE)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {name}")
    check_written(root)
    code = 0
    if not no_verify:
        code = _verify(root, broker, plain)
    _next_steps(plan, notes, verified=not no_verify, code=code)
    return code


# -- what to write -------------------------------------------------------------------------------


def _plan(
    root: Path,
    pacts_dir: Path | None,
    broker: str | None,
    runs: dict[str, str],
    base_urls: dict[str, str],
    specs: dict[str, str],
    healths: dict[str, str],
    states: dict[str, str],
    envs: tuple[str, ...],
    extra: tuple[str, ...],
    messages: dict[str, str],
    policies: dict[str, str],
    probes: dict[str, str],
    ask: Ask | None,
) -> Plan:
    files = discover.pact_files_in(pacts_dir) if pacts_dir is not None else discover.find_pact_files(root)
    groups = discover.group_pacts(files)
    integrations = [IntegrationPlan(g.name, g.consumer, g.provider, list(g.pacts)) for g in groups]
    for text in extra:
        consumer, colon, provider = text.rpartition(":")
        if not provider.strip():
            raise UsageError(f"--integration {text!r}: write [CONSUMER:]PROVIDER")
        name = f"{consumer}-{provider}" if colon else provider
        if all(i.name != name for i in integrations):
            integrations.append(IntegrationPlan(name, consumer.strip() or None, provider.strip()))
    if not integrations:
        raise UsageError(
            "no integrations: no pact files were found (--pacts DIR) and no --integration [CONSUMER:]PROVIDER"
            " was given"
        )
    names = [n for i in integrations for n in (i.consumer, i.provider) if n]
    names += [n for given in (runs, base_urls, specs) for n in given if n not in names]
    services = {name: ServicePlan(name) for name in dict.fromkeys(names)}
    plan = Plan(root, services, integrations, broker)
    providers = {i.provider for i in integrations}
    spec_files = discover.find_spec_files(root)
    for service in services.values():
        _start(service, runs, base_urls, ask)
        _spec(plan, service, specs, spec_files, service.name in providers, ask)
        service.health = healths.get(service.name, service.health)
        service.states = states.get(service.name)
    for text in envs:
        service_name, key, value = parse_env(text)
        if service_name not in services:
            raise UsageError(
                f"--env {text!r}: no service named {service_name!r} (services: {', '.join(services)})"
            )
        services[service_name].env[key] = value
    _ask_states(plan, ask)
    _messages(plan, messages)
    for integration in integrations:
        _policy(integration, policies, probes, ask)
    return plan


def _start(service: ServicePlan, runs: dict[str, str], base_urls: dict[str, str], ask: Ask | None) -> None:
    service.run, service.base_url = runs.get(service.name), base_urls.get(service.name)
    if service.run is not None and service.base_url is not None:
        raise UsageError(f"{service.name}: give --run or --base-url, not both")
    if service.run is None and service.base_url is None and ask is not None:
        answer = ask(f"How is {service.name} started? A command with {{port}}, or the URL of a running one")
        if answer.startswith(("http://", "https://")):
            service.base_url = answer
        elif answer:
            service.run = answer
    if service.run is None and service.base_url is None:
        raise UsageError(
            f"service {service.name!r}: say how to reach it: --run {service.name}=COMMAND (with {{port}})"
            f" or --base-url {service.name}=URL"
        )


def _spec(
    plan: Plan,
    service: ServicePlan,
    given: dict[str, str],
    found: list[Path],
    provider: bool,
    ask: Ask | None,
) -> None:
    entry, origin = given.get(service.name), "given"
    if entry is None:
        file = discover.spec_for(service.name, found, plan.root)
        entry, origin = (plan.relative(file), "found") if file is not None else (None, "")
    if entry is None and provider and ask is not None:
        entry = ask(
            f"OpenAPI spec of {service.name}: a file, a URL path like /openapi.json, a URL (empty: none)"
        )
        entry, origin = entry or None, "given"
    if entry is None:
        return
    where = locate_spec(entry, plan.root)
    if where.kind == SpecKind.FILE:
        if where.file is None or not where.file.is_file():
            raise UsageError(f"--openapi {service.name}={entry}: no such file")
        entry = plan.relative(where.file)
        service.base_path = discover.spec_base_path(where.file) or None
    elif where.kind == SpecKind.URL or service.base_url is not None:
        # A URL, or a URL path on a running service: read now. On a service interlock starts,
        # the fuzz stage reads it at each run (a URL path needs the service up).
        url = entry if where.kind == SpecKind.URL else f"{service.base_url}{entry}"
        service.base_path = discover.fetched_base_path(url) or None
    service.openapi, service.openapi_origin = entry, origin


def _ask_states(plan: Plan, ask: Ask | None) -> None:
    for integration in plan.integrations:
        provider = plan.services[integration.provider]
        uses_states = any(i.states for pact in integration.pacts for i in pact.interactions)
        if uses_states and provider.states is None and ask is not None:
            provider.states = (
                ask(
                    f"{provider.name}'s pacts use provider states: the URL path of its state endpoint (empty: none)"
                )
                or None
            )


def _messages(plan: Plan, messages: dict[str, str]) -> None:
    for description, handler in messages.items():
        owner = next(
            (
                i
                for i in plan.integrations
                for pact in i.pacts
                for m in pact.interactions
                if m.request is None and m.description == description
            ),
            None,
        )
        if owner is None:
            raise UsageError(
                f"--message {description!r}: no message pact has an interaction of that description"
            )
        owner.messages[description] = handler


def _policy(
    integration: IntegrationPlan, policies: dict[str, str], probes: dict[str, str], ask: Ask | None
) -> None:
    if integration.consumer is None:
        return
    text = for_integration(policies, integration.name)
    if text is None and ask is not None:
        text = ask(
            f"Resilience policy of {integration.consumer} towards {integration.provider}"
            " (budget=1s,retries=2,backoff=50ms,breaker=5/1s; empty: none)"
        )
    if not text:
        return
    raw, _ = parse_policy(text)
    probe = for_integration(probes, integration.name)
    if probe is None and ask is not None:
        probe = ask(
            f"The request to {integration.consumer} that makes it call {integration.provider} (METHOD /path [JSON])"
        )
    if probe:
        raw = {"probe": parse_probe(probe)[0], **raw}
    integration.policy_text = raw
    integration.policy = ResiliencePolicy.model_validate(raw)  # its parts were validated as given


def _files(plan: Plan) -> tuple[dict[str, str], list[str]]:
    """Every file to write (relative path -> text), and what the user should know about them."""
    notes: list[str] = []
    files: dict[str, str] = {}
    for integration in plan.integrations:
        notes += _drop_unhandled_messages(integration)
        provider = plan.services[integration.provider]
        if any(i.states for p in integration.pacts for i in p.interactions) and provider.states is None:
            notes.append(
                f"{integration.name}: its pacts use provider states; give {provider.name} a state endpoint"
                f" (`states:` in interlock.yaml) or the contracts stage cannot set them up"
            )
        consumer = plan.services.get(integration.consumer or "")
        proxy = f"{{proxy:{integration.name}}}"
        chaos = integration.chaos_file is not None
        if consumer is not None and chaos and not any(proxy in value for value in consumer.env.values()):
            notes.append(
                f"{integration.name}: chaos injects faults only if {consumer.name} calls {provider.name} at"
                f" {proxy}: set it in {consumer.name}'s env (e.g. --env '{consumer.name}:"
                f"{provider.name.upper()}_URL={proxy}')"
            )
        if integration.consumer is not None and integration.policy is None:
            notes.append(f"{integration.name}: no resilience policy, so no chaos experiment (--resilience)")
        elif integration.policy is not None and integration.chaos_file is None:
            notes.append(f"{integration.name}: the policy has no probe, so no chaos experiment (--probe)")
    for name in plan.providers_with_specs():
        pacts = [p for i in plan.integrations if i.provider == name for p in i.pacts]
        files[f"suites/{name}.yaml"] = render_suite(
            name, accepted_statuses(pacts, _spec_document(plan, name))
        )
    for integration in plan.integrations:
        if integration.chaos_file is not None:
            files[integration.chaos_file] = render_experiment(integration)
        tasks = _tasks(integration)
        if tasks is not None and tasks.tasks:
            name = f"load/{integration.name}.yaml"
            plan.load_files[integration.name] = name
            files[name] = render_profile(integration, tasks)
        elif integration.pacts:
            notes.append(
                f"{integration.name}: no pact request is safe to repeat under load, so no load profile"
                " (write one with a locustfile: docs/load.md)"
            )
    return {DEFAULT_MANIFEST: render_manifest(plan), **files}, notes


def _drop_unhandled_messages(integration: IntegrationPlan) -> list[str]:
    """Message pacts whose messages have no producer (--message) stay out: they cannot be verified."""
    notes: list[str] = []
    kept = []
    for pact in integration.pacts:
        missing = [
            i.description
            for i in pact.interactions
            if i.request is None and i.description not in integration.messages
        ]
        if missing:
            notes.append(
                f"{integration.name}: {pact.path.name} left out: no producer for the message(s)"
                f" {', '.join(repr(m) for m in missing)} (--message 'DESCRIPTION=module:function')"
            )
        else:
            kept.append(pact)
    integration.pacts = kept
    return notes


def _spec_document(plan: Plan, provider: str) -> SpecDocument | None:
    entry = plan.services[provider].openapi
    where = locate_spec(entry or "", plan.root)
    if entry is None or where.kind != SpecKind.FILE or where.file is None:
        return None
    try:
        return load_spec(where.file)
    except ConfigError:
        return None  # the contracts and fuzz stages report it, with its line


def _tasks(integration: IntegrationPlan) -> TaskPlan | None:
    http = [p for p in integration.pacts if any(i.request is not None for i in p.interactions)]
    return plan_tasks(http) if http else None


def check_written(root: Path) -> None:
    """Load every written file with interlock's own loaders: a scaffold that does not load is a bug here."""
    manifest = load_manifest(root / DEFAULT_MANIFEST)
    for integration in manifest.integrations:
        load_policy(manifest, integration)
        if integration.chaos is not None:
            load_experiment(manifest.resolve(integration.chaos))
        if integration.load is not None:
            load_profile(manifest.resolve(integration.load))
        load_suite(root / "suites" / f"{integration.provider}.yaml")


def _verify(root: Path, broker: str | None, plain: bool | None) -> int:
    click.echo(f"\nProving the setup: interlock verify --stages {VERIFY_STAGES}")
    if broker:
        os.environ["PACT_BROKER_BASE_URL"] = broker
    output = Output(plain=plain)
    options = RunOptions(root / DEFAULT_MANIFEST, [VERIFY_STAGES], (), "ci", root / "reports")
    outcome = pipeline.run(options, output)
    if outcome.verdict.error:
        click.echo(f"interlock: the run could not complete: {outcome.verdict.error}", err=True)
    show_verdict(outcome.verdict, outcome.run_dir, output)
    return outcome.verdict.exit_code


def _next_steps(plan: Plan, notes: list[str], *, verified: bool, code: int) -> None:
    click.echo("\nNext:")
    for note in notes:
        click.echo(f"  - {note}")
    if not verified:
        click.echo(f"  - prove the setup: interlock verify --stages {VERIFY_STAGES}")
    elif code != 0:
        click.echo("  - the first verification did not pass: reports/latest/summary.md says why")
        click.echo(
            "  - a fuzz finding that is the provider's design, not a bug: accepted_statuses or exclude in"
            " suites/PROVIDER.yaml, or accept today's with `interlock fuzz --update-baseline`"
        )
    if plan.broker:
        click.echo(f"  - in CI, export PACT_BROKER_BASE_URL={plan.broker} (and PACT_BROKER_TOKEN)")
    if any(i.chaos_file for i in plan.integrations):
        click.echo("  - run the faults: interlock chaos (tune chaos/*.yaml to your timings)")
    if plan.load_files:
        click.echo("  - run the load: interlock load (size load/*.yaml to your expected peak)")
    click.echo("  - the whole gate: interlock verify; in CI: docs/ci.md")
