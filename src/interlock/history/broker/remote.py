"""The broker side of ``interlock publish | can-i-deploy | record-deployment``, via the ``pact`` CLI.

The CLI's JSON output is the broker's own matrix answer; it is turned into the same
:class:`~interlock.history.matrix.Decision` the local store gives, so both print the same table.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from interlock.core.errors import RunIncomplete
from interlock.history.broker.config import BrokerConfig
from interlock.history.broker.pact_cli import run_broker_command
from interlock.history.matrix import Decision, MatrixRow, RowStatus
from interlock.history.versions import VersionInfo


def publish(config: BrokerConfig, files: list[Path], version: VersionInfo) -> None:
    args = [*map(str, files), "--consumer-app-version", version.number]
    if version.branch:
        args += ["--branch", version.branch]
    _check(run_broker_command(config, "publish", *args), "publish", config)


def record_deployment(config: BrokerConfig, pacticipant: str, version: str, environment: str) -> None:
    """Record the deployment, creating the environment first if the broker does not have it."""
    listed = _check(
        run_broker_command(config, "list-environments", "-o", "json"), "list-environments", config
    )
    try:
        known = [e.get("name") for e in (_json(listed).get("_embedded") or {}).get("environments") or []]
    except RunIncomplete:
        known = []
    if environment not in known:
        _check(
            run_broker_command(config, "create-environment", "--name", environment),
            "create-environment",
            config,
        )
    _check(
        run_broker_command(
            config,
            "record-deployment",
            "--pacticipant",
            pacticipant,
            "--version",
            version,
            "--environment",
            environment,
        ),
        "record-deployment",
        config,
    )


def can_i_deploy(
    config: BrokerConfig, pacticipant: str, version: str, environment: str | None, main_branch: str
) -> Decision:
    """The broker's answer: ``can-i-deploy --to-environment`` or, without one, ``can-i-merge``."""
    if environment:
        proc = run_broker_command(
            config,
            "can-i-deploy",
            "--pacticipant",
            pacticipant,
            "--version",
            version,
            "--to-environment",
            environment,
            "-o",
            "json",
        )
        target = f"environment {environment}"
    else:
        proc = run_broker_command(
            config, "can-i-merge", "--pacticipant", pacticipant, "--version", version, "-o", "json"
        )
        target = f"the latest {main_branch} versions"
    answer = _json(proc, "can-i-deploy", config)
    return decision_from_matrix(answer, pacticipant, version, target)


def decision_from_matrix(answer: dict[str, Any], pacticipant: str, version: str, target: str) -> Decision:
    """A broker matrix response (``summary``, ``matrix`` rows, ``notices``) as a Decision."""
    summary = answer.get("summary") or {}
    decision = Decision(pacticipant, version, target)
    for row in answer.get("matrix") or []:
        result = row.get("verificationResult")
        status = (
            RowStatus.UNVERIFIED
            if not result
            else (RowStatus.VERIFIED if result.get("success") else RowStatus.FAILED)
        )
        decision.rows.append(
            MatrixRow(
                row["consumer"]["name"],
                str((row["consumer"].get("version") or {}).get("number", "?")),
                row["provider"]["name"],
                str((row["provider"].get("version") or {}).get("number", "?")),
                status,
                str((result or {}).get("verifiedAt") or ""),
            )
        )
    if not summary.get("deployable"):
        # The broker's reason covers rows it could not even build (a provider not deployed there).
        decision.problem = str(summary.get("reason") or "the broker says no")
    return decision


def _check(
    proc: subprocess.CompletedProcess[str], command: str, config: BrokerConfig
) -> subprocess.CompletedProcess[str]:
    if proc.returncode != 0:
        detail = " ".join((proc.stdout + " " + proc.stderr).split())[:500]
        raise RunIncomplete(
            f"`pact broker {command}` failed against {config.url} (exit {proc.returncode}): {detail}"
        )
    return proc


def _json(
    proc: subprocess.CompletedProcess[str], command: str = "", config: BrokerConfig | None = None
) -> dict[str, Any]:
    start = proc.stdout.find("{")
    try:
        data = json.loads(proc.stdout[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        where = f" against {config.url}" if config else ""
        detail = " ".join((proc.stdout + " " + proc.stderr).split())[:500]
        raise RunIncomplete(
            f"`pact broker {command}`{where} gave no JSON answer (exit {proc.returncode}): {detail}"
        )
    return data
