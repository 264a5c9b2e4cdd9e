"""Manifest validation: every problem is one `file:line: message`, with the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest, start_order

VALID = """\
version: 1
services:
  payments:
    run: python -m uvicorn app:app --port {port}
    states: /_pact/states
  checkout:
    run: python -m uvicorn checkout:app --port {port}
    env:
      PAYMENTS_URL: "{proxy:checkout-payments}"
      RETRIES: 3
      DEBUG: true
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
    pacts: pacts/checkout-payments.json
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "empty").mkdir()
    (tmp_path / "pacts" / "empty" / "README.md").write_text("not a pact")
    (tmp_path / "pacts" / "checkout-payments.json").write_text("{}")
    return tmp_path


def write(workdir: Path, text: str) -> Path:
    path = workdir / "interlock.yaml"
    path.write_text(text)
    return path


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_manifest(path)
    return info.value


def test_valid_manifest_loads_with_defaults_and_string_env(workdir: Path) -> None:
    manifest = load_manifest(write(workdir, VALID))
    assert manifest.services["payments"].health == "/health"
    assert manifest.services["checkout"].env == {
        "PAYMENTS_URL": "{proxy:checkout-payments}",
        "RETRIES": "3",
        "DEBUG": "true",
    }
    assert manifest.pact_files(manifest.integrations[0]) == [
        (workdir / "pacts/checkout-payments.json").resolve()
    ]
    assert start_order(manifest, ["checkout"]) == ["payments", "checkout"]


@pytest.mark.parametrize(
    ("edit", "line", "fragment"),
    [
        (
            ("    states: /_pact/states", "    stats: /_pact/states"),
            5,
            "unknown key 'stats' (did you mean 'states'?)",
        ),
        (("    provider: payments", "    provder: payments"), 15, "unknown key 'provder'"),
        (("version: 1", "version: 2"), 1, "version"),
        (("    states: /_pact/states", "    port: eighty"), 5, "services.payments.port"),
        (("    states: /_pact/states", "    port: 70000"), 5, "less than or equal to 65535"),
        (("    states: /_pact/states", "    health: health"), 5, "must be a URL path"),
        (("      RETRIES: 3", "      RETRIES: [1, 2]"), 10, "valid string"),
        (("    provider: payments", "    provider: paymnts"), 15, "provider 'paymnts' is not a service"),
        (
            ("pacts/checkout-payments.json", "pacts/missing.json"),
            16,
            "pact file not found: pacts/missing.json",
        ),
        (("{proxy:checkout-payments}", "{proxy:nope}"), 9, "no integration named 'nope'"),
        (("{proxy:checkout-payments}", "{prox:checkout-payments}"), 9, "unknown placeholder"),
        (("    provider: payments\n", ""), 13, "missing required key 'provider'"),
        (("    states: /_pact/states", "    base_path: v1"), 5, "must be a URL path starting with '/'"),
        (("    states: /_pact/states", "    openapi: specs/missing.json"), 5, "OpenAPI file not found"),
        (("--port {port}", "--port {port"), 4, "unclosed '{' in '{port'"),
        (("{proxy:checkout-payments}", "{proxy:checkout-payments"), 9, "unclosed '{' in '{proxy:checkout-"),
        (
            ("run: python -m uvicorn app:app --port {port}", "base_url: http://127.0.0.1:{url:checkout"),
            4,
            "unclosed '{' in '{url:checkout'",
        ),
        (
            ("pacts/checkout-payments.json", "pacts/empty"),
            16,
            "no pact files (*.json) in the directory pacts/empty",
        ),
        (("pacts/checkout-payments.json", "x" * 5000), 16, "pact file not found: xxx"),
        (("pacts/checkout-payments.json", '"a\\0b"'), 16, "pact file not found: a\x00b"),
        (("  checkout:\n", "  payments:\n"), 6, "duplicate key 'payments'"),
        (("integrations:", "integrations: {"), 13, "invalid YAML"),
    ],
)
def test_each_problem_names_file_line_and_problem(
    workdir: Path, edit: tuple[str, str], line: int, fragment: str
) -> None:
    assert edit[0] in VALID
    path = write(workdir, VALID.replace(edit[0], edit[1], 1))
    error = error_of(path)
    assert error.path == path
    assert error.line == line, str(error)
    assert fragment in str(error)
    assert str(error).startswith(f"{path}:{line}: ")
    assert "\n" not in str(error)


def test_a_provider_only_integration_has_no_consumer(workdir: Path) -> None:
    manifest = load_manifest(write(workdir, VALID.replace("    consumer: checkout\n", "")))
    assert manifest.integrations[0].consumer is None
    assert manifest.integrations[0].provider == "payments"


def test_base_path_is_normalised(workdir: Path) -> None:
    text = VALID.replace("    states: /_pact/states", "    states: /_pact/states\n    base_path: /v1/")
    manifest = load_manifest(write(workdir, text))
    assert (manifest.services["payments"].base_path, manifest.services["checkout"].base_path) == ("/v1", None)


def test_openapi_absolute_file_relative_file_and_url_path(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("specs") / "spec.json"
    elsewhere.write_text('{"openapi": "3.0.3"}')
    (workdir / "local.yaml").write_text("openapi: 3.0.3\n")
    for entry in (str(elsewhere), "local.yaml", "/v1/__api__", "http://127.0.0.1:9/openapi.json"):
        text = VALID.replace("    states: /_pact/states", f"    openapi: {entry}")
        assert load_manifest(write(workdir, text)).services["payments"].openapi == entry


def test_missing_manifest_is_a_config_error(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nope.yaml")
    assert str(error) == f"{tmp_path / 'nope.yaml'}: no such file"


def test_dependency_cycle_is_reported(workdir: Path) -> None:
    text = VALID.replace(
        "    states: /_pact/states", "    states: /_pact/states\n    env: {X: '{url:checkout}'}"
    )
    text = text.replace("{proxy:checkout-payments}", "{url:payments}")
    error = error_of(write(workdir, text))
    assert "cycle" in str(error) and "payments" in str(error)


def test_either_run_or_base_url(workdir: Path) -> None:
    text = VALID.replace("    run: python -m uvicorn app:app --port {port}\n", "")
    assert "either 'run'" in str(error_of(write(workdir, text)))
