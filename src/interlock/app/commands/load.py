"""``interlock load``: the load stage on its own, locally or as a Locust master with workers."""

from __future__ import annotations

from pathlib import Path

import click

from interlock.app.commands.confirm_options import confirm_options
from interlock.app.run_options import CommandOptions, Runner, RunOptions
from interlock.stages.load.stage import LoadOptions, LoadStage

WORKERS_HELP = """\b
Distributed runs: --workers N starts a Locust master and N worker processes on this machine.
Workers on other machines join the same master: start interlock with
  --remote-workers M --master-bind-host 0.0.0.0 --master-port 5557
and on each other machine (with interlock installed) run
  locust --worker -f - --master-host THIS_HOST --master-port 5557
The run starts once every expected worker has connected (within 60 s).
"""


def load_command(common_options: CommandOptions, run: Runner, epilog: str) -> click.Command:
    """Built by cli.py with its shared options and runner, so every command behaves alike."""

    @click.command(name="load", epilog=WORKERS_HELP + "\n" + epilog)
    @common_options
    @click.option(
        "--workers",
        type=click.IntRange(0, 64),
        default=0,
        show_default=True,
        help="Local Locust worker processes (0: one local runner, no master).",
    )
    @click.option(
        "--remote-workers",
        type=click.IntRange(0, 1000),
        default=0,
        show_default=True,
        help="Workers expected to join from other machines (see below).",
    )
    @click.option(
        "--master-bind-host",
        default="127.0.0.1",
        show_default=True,
        metavar="HOST",
        help="Interface the Locust master listens on for workers.",
    )
    @click.option(
        "--master-port",
        type=click.IntRange(1, 65535),
        default=None,
        metavar="PORT",
        help="Port the Locust master listens on (default: a free port; fix it for remote workers).",
    )
    @confirm_options
    def load(
        manifest: Path,
        only: tuple[str, ...],
        report_dir: Path,
        plain: bool | None,
        workers: int,
        remote_workers: int,
        master_bind_host: str,
        master_port: int | None,
        confirm: int | None,
        strict_flaky: bool | None,
    ) -> int:
        """Run each integration's load profile (load/*.yaml) and gate it on its SLOs.

        Locust runs in its own processes against the profile's target, with the profile's shape
        (ramp, step, spike at 3x peak, soak). Each SLO (for the whole run, an endpoint or a phase)
        is a check; a failed one says by how much and when. With under_fault, a chaos fault is
        applied for a window mid-run and the report gives the figures before, during and after it,
        with the provider-side amplification. Locust's CSV and HTML, a plot of users, RPS, latency
        and errors over time and a summary go to REPORT_DIR/<run-id>/load/<integration>/.
        """
        if remote_workers and master_port is None:
            raise click.BadParameter(
                "give --master-port so remote workers know where to connect", param_hint="--remote-workers"
            )
        stage = LoadStage(LoadOptions(workers, remote_workers, master_bind_host, master_port))
        options = RunOptions(
            manifest,
            ["load"],
            only,
            "ci",
            report_dir,
            stage_overrides={"load": stage},
            confirm=confirm,
            strict_flaky=strict_flaky,
        )
        return int(run(options, plain))

    return load
