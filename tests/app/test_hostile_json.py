"""Deeply nested JSON in any input file is one line and exit 2 (was: a RecursionError traceback, exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import interlock
from tests.openapi.helpers import PAYMENTS_SPEC, payments_manifest

DEEP = "[" * 20_000 + "]" * 20_000


def _one_line_exit_2(args: list[str], path: Path) -> None:
    proc = interlock(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert f"{path}: invalid JSON: nested more than 200 levels deep" in proc.stderr


def test_a_deep_pact_file(tmp_path: Path) -> None:
    pact = tmp_path / "deep-pact.json"
    pact.write_text('{"consumer": {"name": "checkout"}, "interactions": ' + DEEP + "}")
    manifest = payments_manifest(tmp_path, pacts=pact)
    _one_line_exit_2(
        ["contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")], pact
    )


def test_a_deep_openapi_json_spec(tmp_path: Path) -> None:
    spec = tmp_path / "deep-spec.json"
    spec.write_text('{"openapi": "3.1.0", "x-deep": ' + DEEP + "}")
    manifest = payments_manifest(tmp_path, spec)
    _one_line_exit_2(
        ["contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r")], spec
    )


@pytest.mark.parametrize("side", ["--head", "--base"])
def test_a_deep_spec_given_to_contracts_diff(tmp_path: Path, side: str) -> None:
    spec = tmp_path / "deep-head.json"
    spec.write_text('{"openapi": "3.1.0", "x-deep": ' + DEEP + "}")
    other = "--base" if side == "--head" else "--head"
    manifest = payments_manifest(tmp_path)
    _one_line_exit_2(
        ["contracts", "diff", "--manifest", str(manifest), side, str(spec), other, str(PAYMENTS_SPEC)], spec
    )


def test_a_deep_fuzz_baseline(tmp_path: Path) -> None:
    from interlock.core.errors import ConfigError
    from interlock.stages.fuzz.baseline import load_baseline

    path = tmp_path / "payments.baseline"
    path.write_text(json.dumps({"format": 1}).replace("1}", DEEP + "}"))
    with pytest.raises(ConfigError, match=r"payments.baseline: invalid JSON: nested more than 200"):
        load_baseline(path)


def test_schemas_nested_deeper_than_the_validator_can_go_are_one_line() -> None:
    from interlock.core.errors import ConfigError
    from interlock.openapi.document import parse_spec

    spec = json.loads(PAYMENTS_SPEC.read_text())
    schema: dict[str, object] = {"type": "string"}
    for _ in range(150):  # JSON depth ~155: within the load bound, past the validator's recursion
        schema = {"type": "array", "items": schema}
    spec.setdefault("components", {}).setdefault("schemas", {})["Deep"] = schema
    with pytest.raises(
        ConfigError,
        match=r"^deep.json: not a valid OpenAPI 3.\d.\d document: a \$ref loop or schemas nested too deeply to validate$",
    ):
        parse_spec(json.dumps(spec), "deep.json")
