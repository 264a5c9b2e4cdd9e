"""``--confirm N`` and ``--strict-flaky``: how the commands that measure timing confirm a failure.

Shared by ``interlock verify``, ``interlock chaos`` and ``interlock load`` (contracts and fuzz
failures are deterministic and never re-run). Both default to the manifest's ``confirm`` and
``strict_flaky`` (see :mod:`interlock.core.confirmation`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from interlock.core.confirmation import MAX_RERUNS


def confirm_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds ``confirm: int | None`` and ``strict_flaky: bool | None`` to a command's parameters."""
    command = click.option(
        "--strict-flaky/--no-strict-flaky",
        "strict_flaky",
        default=None,
        help="A check that failed and then passed on confirmation (flaky) fails the gate too"
        " (default: the manifest's strict_flaky, else no: flaky is a warning).",
    )(command)
    return click.option(
        "--confirm",
        type=click.IntRange(0, MAX_RERUNS),
        default=None,
        metavar="N",
        help="Re-run a chaos experiment or load profile up to N times when a check of it failed on"
        " timing gates only (latency, recovery, throughput) before failing the gate; a check that"
        " then passes is reported as flaky. 0: off. Default: the manifest's confirm, else 1;"
        " overrides `confirm:` in experiment and profile files.",
    )(command)
