"""The faults of an experiment file, for stages that apply a fault without running the experiment.

The load stage's ``under_fault`` names a fault in an integration's chaos file; it needs that
fault (validated, with ``file:line`` errors) but not the probe, gates or recovery around it,
which belong to the chaos stage.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from interlock.core.config import validate_model
from interlock.core.errors import ConfigError
from interlock.core.yamlfile import load_yaml
from interlock.faults.model import Fault


class _FaultList(BaseModel):
    """Only the ``faults:`` of an experiment file; its other keys are the chaos stage's to check."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    faults: list[Fault] = Field(min_length=1)


def load_faults(path: Path) -> list[Fault]:
    """The validated faults of the experiment file at ``path``; ConfigError (file:line) otherwise."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError("an experiment must be a mapping with 'integration', 'probe' and 'faults'", path, 1)
    found: _FaultList = validate_model(_FaultList, doc.data, doc)
    return found.faults
