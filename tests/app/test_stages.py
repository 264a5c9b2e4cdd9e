"""The stage registry: the pipeline, `--stages` and the command line are built from one list."""

from __future__ import annotations

from click.testing import CliRunner

from interlock.app import pipeline
from interlock.app.cli import cli
from interlock.app.stages import STAGE_ENTRIES


def test_the_pipeline_runs_the_registered_stages_in_order() -> None:
    assert [entry.name for entry in STAGE_ENTRIES] == ["contracts", "fuzz", "chaos", "load"]
    assert list(pipeline.STAGES) == [entry.name for entry in STAGE_ENTRIES]
    assert all(type(pipeline.STAGES[e.name]) is e.stage for e in STAGE_ENTRIES)
    assert pipeline.select_stages(["all"]) == list(pipeline.STAGES)
    assert pipeline.select_stages(["load,fuzz"]) == ["fuzz", "load"]


def test_each_registered_stage_has_its_own_command() -> None:
    for entry in STAGE_ENTRIES:
        assert entry.command is not None
        assert entry.name in cli.commands
        result = CliRunner().invoke(cli, [entry.name, "--help"])
        assert result.exit_code == 0 and f"Usage: cli {entry.name}" in result.output
    help_text = CliRunner().invoke(cli, ["verify", "--help"]).output
    assert "contracts, fuzz, chaos, load" in " ".join(help_text.split())
