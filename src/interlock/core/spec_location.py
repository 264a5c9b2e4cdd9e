"""What a manifest's ``openapi:`` names: a URL, a URL path on the running service, or a file.

One rule, used wherever a spec location is read (manifest validation, the contracts and fuzz
stages, the ``contracts`` commands through :mod:`interlock.openapi.source`), so no two places
can disagree about ``/tmp/x/spec.json``:

* ``http://...`` or ``https://...`` is a URL;
* a path naming an existing file (absolute, or relative to the manifest) is that file;
* otherwise a path starting with ``/`` is a URL path on the running service;
* any other path is a file that does not exist (the manifest says "file not found").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class SpecKind(StrEnum):
    URL = "url"
    URL_PATH = "url path"
    FILE = "file"


@dataclass(frozen=True)
class SpecLocation:
    kind: SpecKind
    #: The URL or URL path as written (kind URL / URL_PATH).
    url: str | None = None
    #: The resolved file (kind FILE); it may not exist, which the manifest reports.
    file: Path | None = None


def locate_spec(entry: str, base_dir: Path) -> SpecLocation:
    """Classify ``entry`` (an ``openapi:`` value) relative to the manifest's directory ``base_dir``."""
    if entry.startswith(("http://", "https://")):
        return SpecLocation(SpecKind.URL, url=entry)
    file = base_dir / entry  # an absolute entry stays itself
    try:
        file = file.resolve()
        exists = file.is_file()
    except (OSError, ValueError):  # a NUL byte or a name too long: no such file
        exists = False
    if exists or not entry.startswith("/"):
        return SpecLocation(SpecKind.FILE, file=file)
    return SpecLocation(SpecKind.URL_PATH, url=entry)
