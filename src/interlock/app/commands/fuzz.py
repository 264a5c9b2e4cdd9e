"""``interlock fuzz``: the fuzz stage on its own, with its own options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from interlock.app.run_options import PROFILES, CommandOptions, Runner, RunOptions
from interlock.core.durations import parse_duration
from interlock.stages.fuzz.stage import FuzzOptions, FuzzStage
from interlock.stages.fuzz.suite import (
    MAX_REDIRECTS,
    MAX_REQUEST_TIMEOUT_S,
    base_url_value,
    check_operation,
    parse_header,
    tls_verify_value,
)


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _checked(check: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that runs ``check`` on each value: a ValueError is a bad parameter (exit 2)."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        try:
            if isinstance(value, tuple):
                return tuple(check(v) for v in value)
            return check(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


def _basic_auth(text: str) -> str:
    if ":" not in text or not text.partition(":")[0]:
        raise ValueError("write the basic auth credentials as user:password")
    return text


def _request_timeout(text: str) -> float:
    seconds = parse_duration(text)
    if not 0 < seconds <= MAX_REQUEST_TIMEOUT_S:
        raise ValueError(f"a request timeout is more than 0 and at most {MAX_REQUEST_TIMEOUT_S:g}s")
    return seconds


def fuzz_command(common_options: CommandOptions, run: Runner, epilog: str) -> click.Command:
    """Build the command with the CLI's shared options and runner (passed in to avoid an import cycle)."""

    @click.command("fuzz", epilog=epilog)
    @common_options
    @click.option(
        "--profile",
        type=click.Choice(PROFILES),
        default="ci",
        show_default=True,
        help="ci: fixed seed, no example database, bounded per provider; full: more examples, "
        "random seed, keeps hypothesis' example database so past failures are retried first.",
    )
    @click.option(
        "--update-baseline",
        is_flag=True,
        help="Accept the failures of this run: write suites/<provider>.baseline (replacing it).",
    )
    @click.option("--seed", type=int, default=None, help="Seed for generation (default: the profile's).")
    @click.option(
        "--max-examples",
        type=click.IntRange(1, 100_000),
        default=None,
        help="Examples per operation and phase (default: the profile's or the suite's).",
    )
    @click.option(
        "--time-budget",
        default=None,
        callback=_duration,
        metavar="DURATION",
        help="Time budget per provider, e.g. 30s or 5m (default: the profile's or the suite's).",
    )
    @click.option(
        "--url",
        default=None,
        callback=_checked(base_url_value),
        metavar="URL",
        help="Send the requests here instead of the service's URL (one provider: use with --only).",
    )
    @click.option(
        "-H",
        "--header",
        multiple=True,
        callback=_checked(lambda text: ": ".join(parse_header(text))),
        metavar="'NAME: VALUE'",
        help="A header for every request (repeatable); overrides the suite's header of that name.",
    )
    @click.option(
        "--auth",
        default=None,
        callback=_checked(_basic_auth),
        metavar="USER:PASSWORD",
        help="HTTP basic auth for every request (replaces the suite's auth).",
    )
    @click.option(
        "--include-operation",
        multiple=True,
        callback=_checked(check_operation),
        metavar="'METHOD /path'",
        help="Fuzz only these operations ('METHOD /path' or '/path'; repeatable; replaces the suite's include).",
    )
    @click.option(
        "--exclude-operation",
        multiple=True,
        callback=_checked(check_operation),
        metavar="'METHOD /path'",
        help="Never fuzz these operations (repeatable; added to the suite's exclude).",
    )
    @click.option(
        "--max-redirects",
        type=click.IntRange(0, MAX_REDIRECTS),
        default=None,
        help="Redirects to follow per request; 0 follows none (default: schemathesis' own, as st run).",
    )
    @click.option(
        "--request-timeout",
        default=None,
        callback=_checked(_request_timeout),
        metavar="DURATION",
        help="Timeout of each request, e.g. 5s (default: the suite's, else 10s).",
    )
    @click.option(
        "--tls-verify",
        default=None,
        callback=_checked(lambda text: tls_verify_value(text, Path.cwd())),
        metavar="true|false|CA_BUNDLE",
        help="Verify TLS certificates (default: true), or the CA bundle file to verify them with.",
    )
    @click.option(
        "--require-coverage",
        is_flag=True,
        help="Fail when an operation was not fully fuzzed (time budget spent, or a problem in the spec).",
    )
    @click.option(
        "--suites",
        "suites_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Directory of suite files (default: suites/ next to the manifest).",
    )
    def fuzz(
        manifest: Path,
        only: tuple[str, ...],
        report_dir: Path,
        plain: bool | None,
        profile: str,
        update_baseline: bool,
        seed: int | None,
        max_examples: int | None,
        time_budget: float | None,
        url: str | None,
        header: tuple[str, ...],
        auth: str | None,
        include_operation: tuple[str, ...],
        exclude_operation: tuple[str, ...],
        max_redirects: int | None,
        request_timeout: float | None,
        tls_verify: bool | str | None,
        require_coverage: bool,
        suites_dir: Path | None,
    ) -> int:
        """Fuzz every provider from its OpenAPI spec (the fuzz stage of `verify`).

        schemathesis generates requests from the spec (examples, coverage, fuzzing, and stateful
        sequences from links) and runs all its checks, plus interlock's: no leakage, idempotency,
        Retry-After on 429/503, and response-time budgets. Each provider is fuzzed once; its
        findings (with curl reproductions and the seed) join every integration it provides.
        Failures listed in suites/<provider>.baseline are reported but do not fail the gate.
        """
        stage = FuzzStage(
            FuzzOptions(
                suites_dir=suites_dir,
                update_baseline=update_baseline,
                seed=seed,
                max_examples=max_examples,
                time_budget_s=time_budget,
                url=url,
                header=header,
                auth=auth,
                include_operation=include_operation,
                exclude_operation=exclude_operation,
                max_redirects=max_redirects,
                request_timeout=request_timeout,
                tls_verify=tls_verify,
                require_coverage=require_coverage,
            )
        )
        options = RunOptions(manifest, ["fuzz"], only, profile, report_dir, stage_overrides={"fuzz": stage})
        return int(run(options, plain))

    return fuzz
