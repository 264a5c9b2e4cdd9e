"""The CI templates in examples/ci/ are valid and every command and path in them exists.

They are copied into other projects as they are, so a renamed flag, make target or report file
must fail here, not in someone's pipeline: each file parses as YAML, has the structure its CI
system requires, runs only ``make`` targets of the Makefile and ``interlock`` commands whose
options the CLI accepts (parsed by click itself), names only paths that exist in the repository
or that the run makes, and is shown verbatim in docs/ci.md.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from interlock.app.cli import cli
from tests.helpers import REPO

CI = REPO / "examples" / "ci"
GITHUB = CI / "github-actions.yml"
GITLAB = CI / "gitlab-ci.yml"
#: What a run makes: not in the repository, but a template may name it.
RUN_OUTPUTS = ("reports", ".venv", ".interlock")
#: Shell commands the templates may use besides make and interlock.
SHELL_COMMANDS = frozenset({"cp", "cat", "true"})
_USES = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+@v\d+$")


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.MULTILINE))


def check_path(text: str) -> None:
    """A path in a template: in the repository, or below what the run makes."""
    path = text.removeprefix("!").rstrip("/")
    if path.split("/")[0] in RUN_OUTPUTS:
        return
    assert (REPO / path).exists(), f"{text}: no such path in the repository"


def check_interlock(args: list[str]) -> None:
    """The command exists and click accepts its options (names, values, choices) without running it."""
    command: click.Command = cli
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        assert args[0] in command.commands, f"interlock {args[0]}: no such command"
        command, args = command.commands[args[0]], args[1:]
    try:
        command.make_context(command.name or "interlock", list(args), resilient_parsing=False)
    except click.ClickException as exc:
        pytest.fail(f"interlock {command.name} {' '.join(args)}: {exc.format_message()}")


def check_shell(line: str) -> None:
    for part in re.split(r"&&|\|\||;", line):
        tokens = shlex.split(part)
        if not tokens:
            continue
        program, args = tokens[0], tokens[1:]
        if program == "make":
            targets = [a for a in args if not a.startswith("-")]
            assert targets and set(targets) <= _make_targets(), f"{line}: not a Makefile target"
        elif Path(program).name == "interlock":
            check_path(program)
            check_interlock(args)
        else:
            assert program in SHELL_COMMANDS, f"{line}: {program} is not a command the templates may use"
        for token in args:
            if "/" in token and not token.startswith(("-", "$", "http")):
                check_path(token)


def test_the_github_actions_workflow_is_valid_and_names_what_exists() -> None:
    workflow: dict[Any, Any] = yaml.safe_load(GITHUB.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(workflow["name"], str) and isinstance(triggers, dict) and triggers
    assert set(workflow["permissions"]) <= {"contents", "checks", "pull-requests"}
    assert isinstance(workflow["jobs"], dict) and workflow["jobs"]
    used, runs = {}, []
    for job in workflow["jobs"].values():
        assert isinstance(job["runs-on"], str) and isinstance(job["steps"], list) and job["steps"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"a step has one of uses or run: {step}"
            assert set(step) <= {"name", "uses", "run", "with", "if", "env", "id"}, step
            if "uses" in step:
                assert _USES.match(step["uses"]), f"{step['uses']}: an action pinned to a major version"
                used[step["uses"].split("@")[0]] = step.get("with", {})
            else:
                runs.append(step["run"])
                for line in step["run"].splitlines():
                    check_shell(line)
    assert {"actions/checkout", "actions/setup-python", "actions/cache", "actions/upload-artifact"} <= set(
        used
    )
    for expression in re.findall(r"hashFiles\('([^']+)'\)", GITHUB.read_text()):
        check_path(expression)
    upload = used["actions/upload-artifact"]["path"].split()
    assert "reports/" in upload
    junit = next(options for action, options in used.items() if "junit" in action)
    assert junit["report_paths"] == "reports/latest/junit.xml"
    for options in used.values():
        for key in ("path", "report_paths"):
            for line in str(options.get(key, "")).split():
                check_path(line)
    assert any("interlock verify" in run for run in runs)


def test_the_gitlab_job_is_valid_and_names_what_exists() -> None:
    config: dict[str, Any] = yaml.safe_load(GITLAB.read_text())
    [(name, job)] = config.items()
    assert name == "interlock" and isinstance(job["image"], str)
    assert set(job) <= {
        "stage",
        "image",
        "timeout",
        "cache",
        "script",
        "after_script",
        "artifacts",
        "variables",
    }
    assert all(isinstance(line, str) for line in job["script"] + job["after_script"])
    for line in job["script"] + job["after_script"]:
        check_shell(line)
    assert any("interlock verify" in line for line in job["script"])
    for cache in job["cache"]:
        key = cache["key"]
        for file in key["files"] if isinstance(key, dict) else []:
            check_path(file)
        for path in cache["paths"]:
            check_path(path)
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always" and "reports/" in artifacts["paths"]
    check_path(artifacts["reports"]["junit"])


def test_a_wrong_flag_or_target_is_caught() -> None:
    """The checks above can fail: a flag the CLI lacks, a bad value and a missing target each do."""
    for line in (
        ".venv/bin/interlock verify --no-such-flag",
        ".venv/bin/interlock verify --profile nightly",
        ".venv/bin/interlock no-such-command",
        "make no-such-target",
        "curl https://example.invalid",
        "cat docs/no-such-file.md",
    ):
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            check_shell(line)


def test_docs_ci_shows_the_templates_verbatim() -> None:
    docs = (REPO / "docs" / "ci.md").read_text()
    for template in (GITHUB, GITLAB):
        assert template.read_text() in docs, f"docs/ci.md does not show {template.name} as it is"
