"""The fuzz stage refuses a bad extra check or an invalid spec before anything starts (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import REPO, interlock

PAYMENTS_SPEC = REPO / "examples" / "shop" / "payments" / "openapi.json"


def _manifest(tmp_path: Path, openapi: str = "/o.json") -> Path:
    manifest = tmp_path / "interlock.yaml"
    manifest.write_text(
        f"version: 1\nservices:\n  payments: {{base_url: 'http://127.0.0.1:9', openapi: {openapi}}}\n"
        "  checkout: {base_url: 'http://127.0.0.1:9'}\nintegrations:\n"
        "  - {name: c-p, consumer: checkout, provider: payments}\n"
    )
    return manifest


def _fuzz(tmp_path: Path, manifest: Path) -> str:
    proc = interlock("fuzz", "--manifest", str(manifest), "--report-dir", str(tmp_path / "r"), "--plain")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "r").exists()  # refused before the run began: no report, nothing started
    return proc.stderr.strip()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("nosuchmodule_xyz:check", "ModuleNotFoundError: No module named 'nosuchmodule_xyz'"),
        ("mychecks:missing", "AttributeError: module 'mychecks' has no attribute 'missing'"),
        ("mychecks:LIMIT", "mychecks:LIMIT is a int, not a function"),
        ("broken:check", "ZeroDivisionError: division by zero"),
    ],
)
def test_a_bad_extra_check_is_refused_at_its_line(tmp_path: Path, entry: str, problem: str) -> None:
    (tmp_path / "mychecks.py").write_text("LIMIT = 3\n\ndef no_pii(exchange, settings):\n    pass\n")
    (tmp_path / "broken.py").write_text("1 / 0\n")
    (tmp_path / "suites").mkdir()
    suite = tmp_path / "suites" / "payments.yaml"
    suite.write_text(f'exclude: [GET /x]\nextra_checks:\n  - "mychecks:no_pii"\n  - "{entry}"\n')
    line = _fuzz(tmp_path, _manifest(tmp_path))
    assert line == f"interlock: {suite}:4: extra_checks: cannot use {entry}: {problem}"


def test_good_extra_checks_pass_the_preflight(tmp_path: Path) -> None:
    from interlock.stages.fuzz.preflight import check_extra_checks

    (tmp_path / "mychecks.py").write_text(
        "import sys\nprint('noise')\ndef no_pii(exchange, settings):\n    pass\n"
    )
    suite = tmp_path / "payments.yaml"
    suite.write_text('extra_checks: ["mychecks:no_pii", "interlock.stages.fuzz.checks:CheckFailed"]\n')
    check_extra_checks(suite, ["mychecks:no_pii", "interlock.stages.fuzz.checks:CheckFailed"], tmp_path)


def test_a_spec_with_a_ref_loop_is_refused_as_check_spec_refuses_it(tmp_path: Path) -> None:
    spec = json.loads(PAYMENTS_SPEC.read_text())
    spec["components"]["schemas"]["Loop"] = {"$ref": "#/components/schemas/Loop"}
    operation = next(iter(next(iter(spec["paths"].values())).values()))
    operation.setdefault("parameters", []).append(
        {"name": "x", "in": "query", "schema": {"$ref": "#/components/schemas/Loop"}}
    )
    (tmp_path / "loop.json").write_text(json.dumps(spec))
    line = _fuzz(tmp_path, _manifest(tmp_path, "loop.json"))
    assert line == (
        f"interlock: {tmp_path / 'loop.json'}: not a valid OpenAPI 3.1.0 document:"
        " a $ref loop or schemas nested too deeply to validate"
    )
