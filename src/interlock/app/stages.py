"""The stages interlock can run, in the order they run, each with the command that runs it alone.

Registering a stage is one line in :data:`STAGE_ENTRIES`: the stage class (which declares its
``name`` and reads its own manifest keys and files) and the factory of its ``interlock NAME``
command (its CLI options live in :mod:`interlock.app.commands`). The pipeline, ``--stages`` and the
command line are built from this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click

from interlock.app.commands.chaos import chaos_command
from interlock.app.commands.contracts import contracts_command
from interlock.app.commands.fuzz import fuzz_command
from interlock.app.commands.load import load_command
from interlock.app.run_options import CommandOptions, Runner
from interlock.stages.base import Stage
from interlock.stages.chaos.stage import ChaosStage
from interlock.stages.contracts.stage import ContractsStage
from interlock.stages.fuzz.stage import FuzzStage
from interlock.stages.load.stage import LoadStage

#: ``factory(common_options, run, epilog)``: the stage's own command, built with the CLI's shared
#: options and runner (passed in: the command modules never import the CLI).
CommandFactory = Callable[[CommandOptions, Runner, str], click.Command]


@dataclass(frozen=True)
class StageEntry:
    """One registered stage."""

    #: The stage class; called with no arguments for the stage ``interlock verify`` runs.
    stage: type[Stage]
    #: Builds ``interlock NAME`` (the stage alone, with its options), or None for no command.
    command: CommandFactory | None = None

    @property
    def name(self) -> str:
        return self.stage.name


#: Every stage, in the order they run.
STAGE_ENTRIES: tuple[StageEntry, ...] = (
    StageEntry(ContractsStage, contracts_command),
    StageEntry(FuzzStage, fuzz_command),
    StageEntry(ChaosStage, chaos_command),
    StageEntry(LoadStage, load_command),
)
