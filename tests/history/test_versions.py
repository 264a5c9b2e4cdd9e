"""Versions and branches come from options, interlock's variables, CI variables, then git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from interlock.history.versions import MAIN_BRANCH_ENV, VersionInfo, detect, main_branch

_ENV = (
    "INTERLOCK_CONSUMER_VERSION",
    "INTERLOCK_CONSUMER_BRANCH",
    "GITHUB_SHA",
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "CI_COMMIT_SHA",
    "CI_COMMIT_SHORT_SHA",
    "CI_COMMIT_REF_NAME",
    MAIN_BRANCH_ENV,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


def test_main_branch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert main_branch() == "main"
    monkeypatch.setenv(MAIN_BRANCH_ENV, "trunk")
    assert main_branch() == "trunk"


def test_a_github_pull_request_uses_its_source_branch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_SHA", "abcdef0123456789")
    monkeypatch.setenv("GITHUB_REF_NAME", "42/merge")
    monkeypatch.setenv("GITHUB_HEAD_REF", "feature/x")
    assert detect("consumer", tmp_path) == VersionInfo("abcdef0", "feature/x")


def test_gitlab_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI_COMMIT_SHA", "fedcba9876543210")
    monkeypatch.setenv("CI_COMMIT_REF_NAME", "release")
    assert detect("consumer", tmp_path) == VersionInfo("fedcba9", "release")
    monkeypatch.setenv("CI_COMMIT_SHORT_SHA", "1234abcd")
    assert detect("consumer", tmp_path).number == "1234abc"


def test_interlock_variables_are_per_role(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INTERLOCK_CONSUMER_VERSION", "c-7")
    monkeypatch.setenv("INTERLOCK_CONSUMER_BRANCH", "dev")
    assert detect("consumer", tmp_path) == VersionInfo("c-7", "dev")
    assert detect("provider", tmp_path) == VersionInfo("unknown", None)


def test_git_of_the_tree_a_file_lives_in(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q", "-b", "topic")
    pact = tmp_path / "pact.json"
    pact.write_text("{}")
    git("add", ".")
    git("commit", "-qm", "one")
    sha = git("rev-parse", "--short", "HEAD")
    assert detect("consumer", pact) == VersionInfo(sha, "topic")  # a file: its directory's repository
    assert detect("consumer", tmp_path, branch="opt") == VersionInfo(sha, "opt")
