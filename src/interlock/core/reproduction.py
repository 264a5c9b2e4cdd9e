"""How reports point people back at things: paths relative to the manifest, and re-run commands.

Every finding carries a reproduction; these two helpers make every stage (and the offline
OpenAPI check) phrase them the same way.
"""

from __future__ import annotations

from pathlib import Path

from interlock.core.manifest import Manifest


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
