"""What every stage (contracts, fuzz, chaos, load) provides to the pipeline.

A stage validates its inputs before any service starts (so bad files exit 2 at once), names
the services it needs, and turns one integration into one :class:`StageResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from interlock.core.console import Output
from interlock.core.manifest import IntegrationSpec, Manifest
from interlock.core.services import ServiceGroup
from interlock.core.verdict import StageResult


@dataclass(frozen=True)
class StageContext:
    """Everything a stage may use while it runs."""

    manifest: Manifest
    services: ServiceGroup
    run_dir: Path
    run_id: str
    profile: str
    output: Output
    #: The run's fault proxy (an ``interlock.chaos.fabric.FaultFabric``) when a stage needs one.
    fault_proxy: Any = None

    def artefact_dir(self, stage: str, integration: str) -> Path:
        path = self.run_dir / stage / integration
        path.mkdir(parents=True, exist_ok=True)
        return path


class Stage(Protocol):
    name: str

    def preflight(self, manifest: Manifest, integration: IntegrationSpec) -> None:
        """Validate the stage's input files; raise ConfigError (exit 2) for bad ones."""

    def services_needed(self, manifest: Manifest, integration: IntegrationSpec) -> list[str]:
        """Services that must be up before :meth:`run` (their dependencies are added for you)."""

    def run(self, ctx: StageContext, integration: IntegrationSpec) -> StageResult:
        """Verify ``integration``; problems become findings, not exceptions."""
