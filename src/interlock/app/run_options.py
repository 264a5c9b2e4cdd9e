"""What one run covers: its options, the profiles, and choosing its integrations.

Apart from :mod:`interlock.app.pipeline` so the command modules (which the stage registry
imports, and the pipeline reads that registry) can build a run without importing the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.core.config import did_you_mean
from interlock.core.confirmation import Confirmation
from interlock.core.errors import UsageError
from interlock.core.manifest import Integration, Manifest
from interlock.stages.base import Stage

PROFILES = ("ci", "full")


@dataclass(frozen=True)
class RunOptions:
    manifest: Path = Path("interlock.yaml")
    #: Stage names (comma-separated entries allowed); ``all`` (or nothing) is every stage.
    stages: Sequence[str] = ("all",)
    only: Sequence[str] = ()
    profile: str = "ci"
    report_dir: Path = Path("reports")
    #: Stages configured by a command's options (e.g. ``interlock chaos --catalogue``), by name.
    stage_overrides: Mapping[str, Stage] = field(default_factory=dict)
    #: Run in a private network namespace with only loopback (``--sandbox``; see app/sandboxing.py).
    sandbox: bool = False
    #: ``--confirm N``: re-runs of failed timing-based checks (None: the manifest's ``confirm``).
    confirm: int | None = None
    #: ``--strict-flaky``: a flaky check fails the gate (None: the manifest's ``strict_flaky``).
    strict_flaky: bool | None = None

    def confirmation(self, manifest: Manifest) -> Confirmation:
        """The run's confirmation policy: the command line over the manifest."""
        return Confirmation(
            reruns=manifest.confirm if self.confirm is None else self.confirm,
            strict=manifest.strict_flaky if self.strict_flaky is None else self.strict_flaky,
            from_command_line=self.confirm is not None,
        )


#: What a stage's command gets from the CLI: its shared options (a decorator) and its runner.
CommandOptions = Callable[[Callable[..., Any]], Callable[..., Any]]
Runner = Callable[[RunOptions, "bool | None"], int]


def select_integrations(manifest: Manifest, only: Sequence[str]) -> list[Integration]:
    wanted = [n.strip() for name in only for n in name.split(",") if n.strip()]
    known = [i.name for i in manifest.integrations]
    for name in wanted:
        if name not in known:
            raise UsageError(
                f"--only {name}: no integration of that name in {manifest.path.name}"
                f"{did_you_mean(name, known)} (known: {', '.join(known)})"
            )
    return [i for i in manifest.integrations if not wanted or i.name in wanted]
