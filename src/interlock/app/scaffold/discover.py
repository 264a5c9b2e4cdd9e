"""What ``interlock init`` can find on its own: pact files, OpenAPI spec files and their base paths."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from interlock.core.errors import ConfigError
from interlock.core.yamlfile import load_yaml, parse_yaml
from interlock.openapi.document import declared_base_path
from interlock.pacts.pactfile import PactFile, load_pact

#: Directories never searched: environments, caches and interlock's own output.
SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", "reports", ".interlock"}
)
_SPEC_NAME = re.compile(r"^(openapi|swagger)([._-][^/]*)?\.(json|ya?ml)$", re.IGNORECASE)
#: Searching stops this deep: a spec or pact further down is named on the command line.
MAX_DEPTH = 6


@dataclass
class PactGroup:
    """The pact files between one consumer and one provider: one integration."""

    consumer: str
    provider: str
    pacts: list[PactFile] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.consumer}-{self.provider}"


def project_files(root: Path) -> list[Path]:
    """Every file below ``root`` outside :data:`SKIP_DIRS`, at most :data:`MAX_DEPTH` deep, sorted."""
    found: list[Path] = []

    def walk(directory: Path, depth: int) -> None:
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                if entry.name not in SKIP_DIRS and not entry.name.endswith(".egg-info") and depth < MAX_DEPTH:
                    walk(entry, depth + 1)
            elif entry.is_file():
                found.append(entry)

    walk(root, 0)
    return found


def find_pact_files(root: Path) -> list[Path]:
    """JSON files in directories named ``pacts`` (where Pact writes them by default)."""
    return [p for p in project_files(root) if p.suffix == ".json" and p.parent.name == "pacts"]


def pact_files_in(directory: Path) -> list[Path]:
    """The ``*.json`` of a directory the user named (``--pacts``); ConfigError when there are none."""
    if not directory.is_dir():
        raise ConfigError("--pacts: not a directory", directory)
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ConfigError("--pacts: no pact files (*.json) in this directory", directory)
    return files


def group_pacts(files: list[Path]) -> list[PactGroup]:
    """The pact files by consumer and provider, in name order; a bad file is a ConfigError naming it."""
    groups: dict[tuple[str, str], PactGroup] = {}
    for path in files:
        pact = load_pact(path)
        key = (pact.consumer, pact.provider)
        groups.setdefault(key, PactGroup(pact.consumer, pact.provider)).pacts.append(pact)
    return [groups[key] for key in sorted(groups)]


def find_spec_files(root: Path) -> list[Path]:
    """Files named like an OpenAPI document: ``openapi.json``, ``swagger.yaml``, ``openapi-v2.yml``."""
    return [p for p in project_files(root) if _SPEC_NAME.match(p.name)]


def spec_for(service: str, specs: list[Path], root: Path) -> Path | None:
    """The one spec file whose path below ``root`` names ``service`` (``payments/openapi.json``).

    None when no file or more than one does: guessing between two would be worse than asking.
    """
    wanted = service.lower()
    matches = [
        spec
        for spec in specs
        if wanted in {part.lower() for part in spec.relative_to(root).parent.parts}
        or spec.stem.lower().endswith(f"-{wanted}")
        or spec.stem.lower().startswith(f"{wanted}-")
    ]
    return matches[0] if len(matches) == 1 else None


def spec_base_path(file: Path) -> str:
    """The base path a spec file declares (``servers`` / ``basePath``); "" when none or unreadable."""
    try:
        return declared_base_path(load_yaml(file).data)
    except ConfigError:
        return ""


#: Seconds to wait for a spec served by a running service.
FETCH_TIMEOUT_S = 10.0


def fetched_base_path(url: str) -> str:
    """The base path the spec at ``url`` declares; "" when none, or when it cannot be read now."""
    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT_S, follow_redirects=True)
        response.raise_for_status()
        return declared_base_path(parse_yaml(response.text, Path(url)).data)
    except (httpx.HTTPError, ConfigError):
        return ""
