"""``suites/<provider>.baseline``: failures the team has accepted for now.

Like schemathesis' baseline: a known failure is still reported, as a warning, but does not fail
the gate; a failure not in the baseline does. A failure is known when its operation, check and
cause match an entry. ``interlock fuzz --update-baseline`` writes the file from the current run
(it replaces it: entries that no longer fail disappear).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from interlock.core.config import validate_model
from interlock.core.errors import ConfigError
from interlock.core.jsonfile import load_json
from interlock.core.yamlfile import YamlDocument
from interlock.stages.fuzz.job import RawFailure

FORMAT = 1


class BaselineEntry(BaseModel):
    """One accepted failure. Not :class:`~interlock.core.config.Strict`: the file is written by
    interlock, with an ``id`` per entry for people to refer to, which the model does not keep."""

    operation: str
    check: str
    cause: str
    title: str = ""
    first_seen: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.operation, self.check, self.cause)

    @property
    def id(self) -> str:
        return hashlib.sha256("\0".join(self.key).encode()).hexdigest()[:8]


class Baseline(BaseModel):
    format: int = FORMAT
    provider: str = ""
    entries: list[BaselineEntry] = Field(default_factory=list)

    def knows(self, failure: RawFailure) -> bool:
        return (failure.operation, failure.check, failure.signature) in {e.key for e in self.entries}


def baseline_path(suites_dir: Path, provider: str) -> Path:
    return suites_dir / f"{provider}.baseline"


def load_baseline(path: Path) -> Baseline:
    """The accepted failures in ``path``; none when the file does not exist."""
    if not path.is_file():
        return Baseline()
    data = load_json(path, kind="fuzz baseline")
    # JSON keeps no line numbers: the errors name the file and the key path.
    baseline = validate_model(Baseline, data, YamlDocument(path, data))
    if baseline.format != FORMAT:
        raise ConfigError(
            f"unsupported baseline format {baseline.format} (this interlock writes {FORMAT})", path
        )
    return baseline


def write_baseline(path: Path, provider: str, failures: Iterable[RawFailure], previous: Baseline) -> Baseline:
    """Accept exactly ``failures``, keeping when each was first seen."""
    first_seen = {e.key: e.first_seen for e in previous.entries}
    today = date.today().isoformat()
    entries = {}
    for f in failures:
        key = (f.operation, f.check, f.signature)
        entries[key] = BaselineEntry(
            operation=f.operation,
            check=f.check,
            cause=f.signature,
            title=f.title,
            first_seen=first_seen.get(key) or today,
        )
    baseline = Baseline(provider=provider, entries=[entries[k] for k in sorted(entries)])
    document = {
        "format": FORMAT,
        "provider": provider,
        "entries": [{"id": e.id, **e.model_dump()} for e in baseline.entries],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return baseline
