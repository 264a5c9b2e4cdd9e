"""What the fuzz stage checks before anything starts: the spec file and the suite's extra checks.

docs/fuzz.md promises that a mistake in a suite is exit 2 before anything starts. An
``extra_checks`` entry is only imported by the fuzz worker, after the provider is up; so here
each entry is imported the way the worker will import it (a child Python, the manifest's
directory on the path and as the working directory), and a module that does not import, a
missing attribute or one that is not callable is a ConfigError at the entry's line. A child,
not this process: the import runs the user's module code, which must not touch interlock's own
state or hang the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from interlock.core.errors import ConfigError
from interlock.core.yamlfile import load_yaml
from interlock.openapi.document import load_spec

#: Importing a user's check modules should take a second; beyond this the run is refused.
IMPORT_TIMEOUT_S = 60.0

_IMPORT_EACH = """\
import importlib, json, sys
problems = {}
for index, entry in enumerate(sys.argv[1:]):
    module_name, _, attribute = entry.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except BaseException as exc:
        problems[index] = f"{type(exc).__name__}: {exc}"
        continue
    if not callable(found):
        problems[index] = f"{module_name}:{attribute} is a {type(found).__name__}, not a function"
sys.stdout.write("\\n" + json.dumps(problems) + "\\n")
"""


def check_spec_file(path: Path) -> None:
    """The spec file is valid OpenAPI, validated as ``contracts check-spec`` does (Swagger 2.0 too)."""
    load_spec(path, swagger2=True)


def check_extra_checks(suite_file: Path, entries: list[str], base_dir: Path) -> None:
    """Every ``extra_checks`` entry imports and is callable, or a ConfigError at its line."""
    if not entries:
        return
    pythonpath = os.pathsep.join(p for p in (str(base_dir), os.environ.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _IMPORT_EACH, *entries],
            cwd=base_dir,
            env={**os.environ, "PYTHONPATH": pythonpath},
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"extra_checks: importing {', '.join(entries)} did not finish within {IMPORT_TIMEOUT_S:g}s",
            suite_file,
        ) from None
    doc = load_yaml(suite_file)
    last = proc.stdout.rstrip("\n").rpartition("\n")[2]
    try:
        problems = {int(k): str(v) for k, v in json.loads(last).items()}
    except (ValueError, AttributeError):  # the module ended the interpreter (sys.exit, a crash)
        ended = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        problems = {0: f"importing ended the interpreter: {ended[0][:200]}"}
    if problems:
        index = min(problems)
        raise doc.error(
            ("extra_checks", index), f"extra_checks: cannot use {entries[index]}: {problems[index][:300]}"
        )
