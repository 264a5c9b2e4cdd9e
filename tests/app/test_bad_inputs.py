"""Bad pact fields, an empty pacts directory and an unclosed placeholder: exit 2, one line, nothing started."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.test_gate import PACTS, payments_manifest
from tests.helpers import interlock


def _refused(proc_args: list[str], expected: str) -> None:
    proc = interlock(*proc_args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == f"interlock: {expected}", proc.stderr
    assert "starting" not in proc.stdout and "verifying" not in proc.stdout


def test_a_pact_request_with_wrong_types_is_bad_input_not_a_failed_gate(tmp_path: Path) -> None:
    data = json.loads((PACTS / "checkout-payments.json").read_text())
    interaction = data["interactions"][0]
    interaction["request"].update({"method": 42, "path": None})
    pact = tmp_path / "broken-pact.json"
    pact.write_text(json.dumps(data))
    manifest = payments_manifest(tmp_path, pacts=pact)
    _refused(
        ["contracts", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")],
        f"{pact}: not a usable pact: interaction '{interaction['description']}':"
        " request.method must be an HTTP method name, got 42",
    )
    assert not (tmp_path / "r").exists()


def test_an_unsupported_pact_specification_is_bad_input(tmp_path: Path) -> None:
    data = json.loads((PACTS / "checkout-payments.json").read_text())
    data["metadata"]["pactSpecification"]["version"] = "9.9.9"
    pact = tmp_path / "future-pact.json"
    pact.write_text(json.dumps(data))
    manifest = payments_manifest(tmp_path, pacts=pact)
    _refused(
        ["contracts", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")],
        f"{pact}: not a usable pact: unsupported Pact specification version '9.9.9' in"
        " 'metadata.pactSpecification.version' (the Pact core reads versions 1.x, 2.x, 3.x and 4.x)",
    )


def test_a_pacts_directory_without_pacts_is_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "no-pacts"
    empty.mkdir()
    manifest = payments_manifest(tmp_path, pacts=empty)
    line = next(i for i, text in enumerate(manifest.read_text().splitlines(), 1) if "no-pacts" in text)
    _refused(
        ["verify", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")],
        f"{manifest}:{line}: no pact files (*.json) in the directory {empty}",
    )


def test_an_unclosed_placeholder_is_bad_input_before_anything_starts(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path)
    manifest.write_text(manifest.read_text().replace("--port {port}", "--port {port", 1))
    line = next(i for i, text in enumerate(manifest.read_text().splitlines(), 1) if "--port {port" in text)
    proc = interlock("verify", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"interlock: {manifest}:{line}: unclosed '{{' in '{{port'")
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "r").exists()
