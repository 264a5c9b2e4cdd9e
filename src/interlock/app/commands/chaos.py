"""``interlock chaos``: the chaos stage on its own, with the fault catalogue on request."""

from __future__ import annotations

from pathlib import Path

import click

from interlock.app.commands.confirm_options import confirm_options
from interlock.app.run_options import CommandOptions, Runner, RunOptions
from interlock.stages.chaos.stage import ChaosStage


def chaos_command(common_options: CommandOptions, run: Runner, epilog: str) -> click.Command:
    """Built by cli.py with its shared options and runner, so every command behaves alike."""

    @click.command(name="chaos", epilog=epilog)
    @common_options
    @click.option(
        "--catalogue",
        is_flag=True,
        help="Also run the built-in fault catalogue (slow provider, 503s, resets, lost and truncated"
        " responses, provider down) with expectations derived from each integration's"
        " `resilience:` policy in the manifest.",
    )
    @confirm_options
    def chaos(
        manifest: Path,
        only: tuple[str, ...],
        report_dir: Path,
        plain: bool | None,
        catalogue: bool,
        confirm: int | None,
        strict_flaky: bool | None,
    ) -> int:
        """Inject faults between each consumer and its provider and check the consumer copes.

        interlock starts a Toxiproxy-compatible fault proxy (or drives the real Toxiproxy at
        $TOXIPROXY_URL, with its own recorder behind it), starts the consumer with
        {proxy:INTEGRATION} pointing at it, and runs each integration's experiment file
        (`chaos:` in the manifest): steady state, then each fault for a bounded number of probe
        calls, rollback, and recovery. Gates use the thresholds language (p(99) < 1200ms,
        amplification <= 3, duplicate_writes == 0, fail_fast_after <= 5, recovery_s <= 5).
        A JSON journal of every call and provider request goes into the report. Toxics are removed,
        proxies re-enabled and processes stopped on every exit, Ctrl-C included.
        """
        stage = ChaosStage(catalogue=catalogue)
        options = RunOptions(
            manifest,
            ["chaos"],
            only,
            "ci",
            report_dir,
            stage_overrides={"chaos": stage},
            confirm=confirm,
            strict_flaky=strict_flaky,
        )
        return int(run(options, plain))

    return chaos
