"""Where a provider's spec comes from: a file from the manifest, a running service, or a git ref.

Offline checks need a file. A manifest ``openapi:`` that is a URL path on the service can only be
read while the service runs: in the contracts stage it does, for ``check-spec`` and ``diff`` it
does not (unless the service is an already running ``base_url``), and they say so.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from interlock.core.errors import ConfigError
from interlock.core.manifest import Manifest
from interlock.core.spec_location import SpecKind, locate_spec
from interlock.core.yamlfile import load_yaml
from interlock.openapi.document import SpecDocument, load_spec, parse_spec

FETCH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SpecSource:
    """A provider's spec as the manifest declares it."""

    provider: str
    file: Path | None  # set when ``openapi:`` is a file
    url: str | None  # set when it is a URL (a path is joined to the running service's URL)


def spec_source(manifest: Manifest, provider: str) -> SpecSource | None:
    """The declared spec of ``provider``, or None when its service declares no ``openapi:``.

    Classified by :func:`interlock.core.spec_location.locate_spec`, the one rule for spec locations.
    """
    entry = manifest.services[provider].openapi
    if entry is None:
        return None
    where = locate_spec(entry, manifest.base_dir)
    if where.kind == SpecKind.FILE:
        return SpecSource(provider, where.file, None)
    return SpecSource(provider, None, where.url)


def source_location(source: SpecSource, manifest: Manifest, running_url: str | None) -> str:
    """Where to read the spec from: the file's path, the URL, or the URL path on ``running_url``."""
    if source.file is not None:
        return str(source.file)
    assert source.url is not None
    if not source.url.startswith("/"):
        return source.url
    base = running_url or manifest.services[source.provider].base_url
    if base is None:
        raise needs_file_error(manifest, source.provider)
    return base.rstrip("/") + source.url


def base_path_mismatch(manifest: Manifest, provider: str, from_spec: str) -> str | None:
    """The warning when the spec's base path and the manifest's ``base_path:`` differ (the manifest wins)."""
    declared = manifest.services[provider].base_path
    if declared is None or not from_spec or from_spec == declared:
        return None
    return (
        f"the spec's base path {from_spec} differs from base_path: {declared} of {provider} in"
        f" {manifest.path.name}; using {declared} as the manifest says"
    )


def load_from_source(source: SpecSource, manifest: Manifest, running_url: str | None) -> SpecDocument:
    """Load the spec: the file, or fetch the URL (a URL path needs ``running_url`` or a ``base_url``)."""
    if source.file is not None:
        return load_spec(source.file)
    url = source_location(source, manifest, running_url)
    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT_S, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"cannot fetch the OpenAPI document of {source.provider} from {url}: {exc}"
        ) from None
    return parse_spec(response.text, url)


def needs_file_error(manifest: Manifest, provider: str) -> ConfigError:
    entry = manifest.services[provider].openapi
    doc = load_yaml(manifest.path)
    return doc.error(
        ("services", provider, "openapi"),
        f"the openapi: of {provider} is a URL path ({entry}) and {provider} is not running: offline spec"
        " checks need a spec file; point openapi: at a file (e.g. one exported from the service)",
    )


def read_at_git_ref(ref: str, file: Path) -> str:
    """The text of ``file`` as committed at ``ref`` (``git show REF:path``); ConfigError if git cannot."""
    file = file.resolve()
    try:
        top = subprocess.run(
            ["git", "-C", str(file.parent), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"--base {ref}: cannot run git: {exc}") from None
    if top.returncode != 0:
        raise ConfigError(f"--base {ref}: {file} is not in a git repository", file)
    relative = file.relative_to(Path(top.stdout.strip()).resolve()).as_posix()
    shown = subprocess.run(
        ["git", "-C", top.stdout.strip(), "show", f"{ref}:{relative}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["git show failed"])[-1]
        raise ConfigError(
            f"--base {ref}: cannot read {relative} at that ref: {reason.removeprefix('fatal: ')}"
        )
    return shown.stdout
