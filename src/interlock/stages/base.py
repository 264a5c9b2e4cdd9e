"""What every stage (contracts, fuzz, chaos, load) provides to the pipeline, and what it gets.

A stage validates its inputs before any service starts (so bad files exit 2 at once), names
the services it needs, says whether it needs the run's fault proxy, and turns one integration
into one :class:`StageResult`. Problems in the system under test are findings, never exceptions.

The protocol lives here, beside the stages, rather than in core: the context carries the run's
fault proxy (:class:`~interlock.faults.fabric.FaultFabric`), and core sits below faults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from interlock.core.confirmation import Confirmation
from interlock.core.console import Output
from interlock.core.manifest import Integration, Manifest
from interlock.core.redact import DEFAULT, RedactionPolicy, Secret
from interlock.core.services import ServiceGroup
from interlock.core.verdict import StageResult
from interlock.faults.fabric import FaultFabric


@dataclass(frozen=True)
class StageContext:
    """Everything a stage may use while it runs."""

    manifest: Manifest
    services: ServiceGroup
    run_dir: Path
    run_id: str
    profile: str
    output: Output
    #: The run's fault proxy, when a selected stage said it needs one (see Stage.needs_fault_proxy).
    fault_proxy: FaultFabric | None = None
    #: What is secret in this run (the manifest's secret env values); a stage adds its own.
    redaction: RedactionPolicy = DEFAULT
    #: How failed timing-based checks are confirmed by a re-run (manifest and command line).
    confirmation: Confirmation = field(default_factory=Confirmation)

    def artefact_dir(self, stage: str, integration: str) -> Path:
        path = self.run_dir / stage / integration
        path.mkdir(parents=True, exist_ok=True)
        return path


class Stage(Protocol):
    name: str

    def preflight(self, manifest: Manifest, integration: Integration) -> None:
        """Validate the stage's input files; raise ConfigError (exit 2) for bad ones."""

    def services_needed(self, manifest: Manifest, integration: Integration) -> list[str]:
        """Services that must be up before :meth:`run` (their dependencies are added for you)."""

    def needs_fault_proxy(self, manifest: Manifest, integration: Integration) -> bool:
        """Whether ``{proxy:INTEGRATION}`` must route through the run's fault proxy for :meth:`run`."""

    def run(self, ctx: StageContext, integration: Integration) -> StageResult:
        """Verify ``integration``; problems become findings, not exceptions."""


@runtime_checkable
class WarmsUp(Protocol):
    """A stage with a slow start that needs no service (a worker child importing its engine).

    The pipeline calls :meth:`warm_up` just before it starts the services, so that start overlaps
    theirs, and :meth:`cool_down` when the run ends, however it ends.
    """

    def warm_up(
        self, manifest: Manifest, integrations: Sequence[Integration], run_dir: Path, run_id: str
    ) -> None:
        """Start what :meth:`Stage.run` will need (it may use it or start afresh)."""

    def cool_down(self) -> None:
        """Stop what :meth:`warm_up` started and :meth:`Stage.run` did not use."""


@runtime_checkable
class DeclaresSecrets(Protocol):
    """A stage whose inputs make the run send credentials (pacts, suites, probes, locustfiles).

    The pipeline adds them to the run's redaction policy, which scrubs every artefact of the run
    (service logs included) before the reports are written.
    """

    def secrets(self, manifest: Manifest, integration: Integration) -> list[Secret]:
        """The known secret values of the stage's inputs for ``integration``."""
