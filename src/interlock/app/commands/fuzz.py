"""``interlock fuzz``: the fuzz stage on its own, with its own options."""

from __future__ import annotations

from pathlib import Path

import click

from interlock.app.run_options import PROFILES, CommandOptions, Runner, RunOptions
from interlock.core.durations import parse_duration
from interlock.stages.fuzz.stage import FuzzOptions, FuzzStage


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


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
            )
        )
        options = RunOptions(manifest, ["fuzz"], only, profile, report_dir, stage_overrides={"fuzz": stage})
        return int(run(options, plain))

    return fuzz
