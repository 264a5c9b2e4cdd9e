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


def display_path(path: Path, base: Path) -> str:
    """``path`` as reports show it: relative to ``base`` (the manifest's directory) when inside it."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def rerun_command(manifest: Manifest, command: str, integration: str, *options: str) -> str:
    """The command that re-runs one stage for one integration, from the current directory.

    Every finding carries one, so ``--manifest`` is added only when it is not the default.
    """
    parts = [f"interlock {command} --only {integration}", *options]
    if manifest.path != (Path.cwd() / "interlock.yaml").resolve():
        parts.append(f"--manifest {display_path(manifest.path, Path.cwd())}")
    return " ".join(parts)
