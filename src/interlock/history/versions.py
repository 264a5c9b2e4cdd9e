"""Which version and branch of an application a run is about.

Defaults come from the environment a build runs in, most specific first: interlock's own
variables (``INTERLOCK_PROVIDER_VERSION`` ...), then CI variables (GitHub Actions, GitLab CI),
then git in the directory the application lives in. CLI options override all of them.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: The branch whose verifications make an interaction "no longer pending" and that
#: can-i-deploy compares against when no environment is given.
DEFAULT_MAIN_BRANCH = "main"
MAIN_BRANCH_ENV = "INTERLOCK_MAIN_BRANCH"
UNKNOWN_VERSION = "unknown"


@dataclass(frozen=True)
class VersionInfo:
    """One application's version number and the branch it was built from (None if unknown)."""

    number: str
    branch: str | None


def main_branch() -> str:
    return os.environ.get(MAIN_BRANCH_ENV) or DEFAULT_MAIN_BRANCH


def detect(role: str, where: Path, *, version: str | None = None, branch: str | None = None) -> VersionInfo:
    """The version of the ``role`` ("provider" or "consumer") built from the tree at ``where``.

    ``version``/``branch`` (CLI options) win; then ``INTERLOCK_<ROLE>_VERSION`` /
    ``INTERLOCK_<ROLE>_BRANCH``; then CI variables; then git; else ``unknown`` and no branch.
    """
    prefix = f"INTERLOCK_{role.upper()}_"
    number = (
        version
        or os.environ.get(prefix + "VERSION")
        or _ci_sha()
        or _git(where, "rev-parse", "--short", "HEAD")
    )
    name = (
        branch or os.environ.get(prefix + "BRANCH") or _ci_branch() or _git(where, "branch", "--show-current")
    )
    return VersionInfo(number or UNKNOWN_VERSION, name or None)


def _ci_sha() -> str | None:
    sha = (
        os.environ.get("GITHUB_SHA")
        or os.environ.get("CI_COMMIT_SHORT_SHA")
        or os.environ.get("CI_COMMIT_SHA")
    )
    return sha[:7] if sha else None


def _ci_branch() -> str | None:
    # On a GitHub pull request GITHUB_REF_NAME is "123/merge"; the source branch is GITHUB_HEAD_REF.
    return (
        os.environ.get("GITHUB_HEAD_REF")
        or os.environ.get("GITHUB_REF_NAME")
        or os.environ.get("CI_COMMIT_REF_NAME")
        or None
    )


def _git(where: Path, *args: str) -> str | None:
    return _git_in(where if where.is_dir() else where.parent, args)


@lru_cache(maxsize=64)
def _git_in(directory: Path, args: tuple[str, ...]) -> str | None:
    """One git query per directory and process: a run asks for every pact, and HEAD does not move."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None
