"""``interlock can-i-deploy``, ``interlock record-deployment``, ``interlock publish`` and
``interlock history``.

Each answers from the local store (``.interlock/`` or ``$INTERLOCK_HOME``), or from the Pact
Broker when ``PACT_BROKER_BASE_URL`` is set.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from interlock.core.config import did_you_mean
from interlock.core.errors import ExitCode, UsageError
from interlock.history import versions
from interlock.history.broker import remote
from interlock.history.broker.config import BrokerConfig
from interlock.history.matrix import can_i_deploy as local_can_i_deploy
from interlock.history.run_list import render_runs, runs_as_json
from interlock.history.store import MAX_RUNS, Store, home_dir, pact_sha
from interlock.history.table import render
from interlock.pacts.pactfile import load_pact

EPILOG = """\b
Exit codes:
  0  yes: every required verification is published and successful
  1  no: a verification failed, is missing, or a counterpart is not where it must be
  2  bad input: unknown pacticipant, unreadable pact file, unknown option
  3  the broker could not be reached
\b
Without PACT_BROKER_BASE_URL the answer comes from the local store, which the contracts stage
fills on every run: .interlock/history.sqlite (or $INTERLOCK_HOME).
"""


def _to_env(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value:
            os.environ[name] = str(value)  # the stage and its verifier child read the environment
        return value

    return store


def version_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--provider-version`` & co. for the commands that verify: the command-line spelling of the
    ``INTERLOCK_*`` variables that :mod:`interlock.history.versions` reads."""
    options = [
        (
            "--provider-version",
            "INTERLOCK_PROVIDER_VERSION",
            "The provider version under test (default: CI variables, else `git rev-parse --short HEAD`).",
        ),
        (
            "--provider-branch",
            "INTERLOCK_PROVIDER_BRANCH",
            "The provider's branch (default: CI variables, else the current git branch).",
        ),
        (
            "--consumer-version",
            "INTERLOCK_CONSUMER_VERSION",
            "The consumer version of local pact files (default:"
            " the version they were published under, else git).",
        ),
        ("--consumer-branch", "INTERLOCK_CONSUMER_BRANCH", "The consumer's branch for local pact files."),
        (
            "--main-branch",
            "INTERLOCK_MAIN_BRANCH",
            "The branch whose verifications end pending (default: main).",
        ),
    ]
    for flag, env, text in reversed(options):
        command = click.option(
            flag,
            metavar="NAME" if "branch" in flag else "VERSION",
            expose_value=False,
            callback=_to_env(env),
            help=text,
        )(command)
    return command


_home_option = click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The local store's directory (default: $INTERLOCK_HOME, else ./.interlock).",
)


def _store(home: Path | None) -> Store:
    return Store(home_dir(Path.cwd(), home))


@click.command(
    "can-i-deploy",
    epilog=EPILOG,
    short_help="Is a version verified against what it will meet? (exit 0 yes, 1 no)",
)
@click.option(
    "--pacticipant", "-a", required=True, help="The application to deploy (a consumer or provider)."
)
@click.option(
    "--version", "-e", "version", required=True, help="Its version (e.g. the git sha it was built from)."
)
@click.option(
    "--to-environment",
    "environment",
    default=None,
    metavar="ENV",
    help="Check against the versions recorded as deployed to ENV (default: against the latest"
    " versions on the main branch).",
)
@click.option(
    "--main-branch",
    metavar="NAME",
    expose_value=False,
    callback=_to_env("INTERLOCK_MAIN_BRANCH"),
    help="The main branch the default target is read from ($INTERLOCK_MAIN_BRANCH, default main).",
)
@_home_option
def can_i_deploy(pacticipant: str, version: str, environment: str | None, home: Path | None) -> int:
    """Is VERSION of PACTICIPANT verified against everything it will meet? Prints the matrix."""
    broker = BrokerConfig.from_env()
    if broker is not None:
        decision = remote.can_i_deploy(broker, pacticipant, version, environment, versions.main_branch())
        source = f"broker {broker.url}"
    else:
        with _store(home) as store:
            if not store.knows(pacticipant):
                known = store.pacticipants()
                raise UsageError(
                    f"--pacticipant {pacticipant}: nothing is recorded for it in {store.home}"
                    + did_you_mean(pacticipant, known)
                    + (f" (known: {', '.join(known)})" if known else " (the store is empty)")
                )
            decision = local_can_i_deploy(
                store, pacticipant, version, environment=environment, main_branch=versions.main_branch()
            )
            source = f"store {store.home}"
    render(decision, sys.stdout, source=source)
    return ExitCode.PASSED if decision.deployable else ExitCode.GATE_FAILED


@click.command("record-deployment", epilog=EPILOG, short_help="Record which version runs in an environment.")
@click.option("--pacticipant", "-a", required=True, help="The application that was deployed.")
@click.option("--version", "-e", "version", required=True, help="The version that now runs there.")
@click.option("--environment", required=True, help="Where it runs (it replaces the version that ran there).")
@_home_option
def record_deployment(pacticipant: str, version: str, environment: str, home: Path | None) -> int:
    """Record that VERSION of PACTICIPANT now runs in ENVIRONMENT."""
    broker = BrokerConfig.from_env()
    if broker is not None:
        remote.record_deployment(broker, pacticipant, version, environment)
        where = f"broker {broker.url}"
    else:
        with _store(home) as store:
            store.record_deployment(pacticipant, version, environment)
            where = f"store {store.home}"
    click.echo(f"recorded: {pacticipant} {version} is deployed to {environment} ({where})")
    return ExitCode.PASSED


@click.command(
    "publish", epilog=EPILOG, short_help="Publish pacts for a consumer version (local store or broker)."
)
@click.argument("pacts", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--consumer-version",
    default=None,
    help="The consumer version these pacts belong to"
    " (default: $INTERLOCK_CONSUMER_VERSION, CI variables, else git in the pact's directory).",
)
@click.option(
    "--branch",
    default=None,
    help="The consumer's branch (default: $INTERLOCK_CONSUMER_BRANCH,"
    " CI variables, else the current git branch).",
)
@_home_option
def publish(
    pacts: tuple[Path, ...], consumer_version: str | None, branch: str | None, home: Path | None
) -> int:
    """Publish pact files (or directories of them) for a consumer version.

    Without a broker they go to the local store, so can-i-deploy knows the consumer version has
    these pacts even before any provider verified them.
    """
    files = [f for p in pacts for f in (sorted(p.glob("*.json")) if p.is_dir() else [p])]
    if not files:
        raise UsageError(f"no pact files in {', '.join(map(str, pacts))}")
    loaded = [load_pact(f) for f in files]
    found = versions.detect("consumer", files[0], version=consumer_version, branch=branch)
    broker = BrokerConfig.from_env()
    if broker is not None:
        remote.publish(broker, files, found)
        where = f"broker {broker.url}"
    else:
        with _store(home) as store:
            for pact in loaded:
                store.publish_pact(
                    pact.consumer, found.number, found.branch, pact.provider, pact_sha(pact.path.read_bytes())
                )
            where = f"store {store.home}"
    for pact in loaded:
        click.echo(
            f"published: {pact.consumer} {found.number} ({found.branch or 'no branch'}) -> {pact.provider}:"
            f" {pact.path} ({where})"
        )
    return ExitCode.PASSED


HISTORY_EPILOG = """\b
Exit codes:
  0  the runs are listed (or none is recorded yet)
  2  bad input: an unreadable store, an integration no recorded run covered, a bad option
\b
Every `interlock verify` (and each stage's command) records its verdict and key figures in the
local store: .interlock/history.sqlite next to the manifest (or $INTERLOCK_HOME).
"""


@click.command("history", epilog=HISTORY_EPILOG, short_help="List recent runs: verdict and stage results.")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(1, MAX_RUNS),
    default=20,
    show_default=True,
    help="How many of the newest runs to list.",
)
@click.option("--integration", "-i", default=None, help="Only runs that covered this integration.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON (with every recorded figure).")
@_home_option
def history(limit: int, integration: str | None, as_json: bool, home: Path | None) -> int:
    """List the newest runs: run id, start time, verdict and each integration's stage results."""
    with _store(home) as store:
        runs = store.recent_runs(limit, integration)
        if integration is not None and not runs:
            known = store.recorded_integrations()
            raise UsageError(
                f"--integration {integration}: no recorded run covered it in {store.home}"
                + did_you_mean(integration, known)
                + (f" (known: {', '.join(known)})" if known else " (no run is recorded yet)")
            )
        where = store.home
    if as_json:
        click.echo(json.dumps(runs_as_json(runs), indent=2))
    elif not runs:
        click.echo(f"no runs recorded yet in {where}: `interlock verify` records each run")
    else:
        render_runs(runs, sys.stdout)
    return ExitCode.PASSED


COMMANDS = (can_i_deploy, record_deployment, publish, history)
