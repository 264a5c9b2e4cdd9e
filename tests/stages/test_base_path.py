"""End to end: a service interlock starts (`run:`) whose API lives under a base path.

The service (tests/fixtures/base_path_service.py) has its health check and spec at the root and
its operations under /v1, and logs every request, so the tests see where interlock sent them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO, interlock

pytestmark = pytest.mark.slow

SERVICE = REPO / "tests" / "fixtures" / "base_path_service.py"
PACT = {
    "consumer": {"name": "shop"},
    "provider": {"name": "items"},
    "interactions": [
        {
            "description": "item 1",
            "request": {"method": "GET", "path": "/items/1"},
            "response": {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": {"id": 1, "name": "one"},
            },
        }
    ],
    "metadata": {"pactSpecification": {"version": "3.0.0"}},
}


def run(
    tmp_path: Path,
    service: str,
    *,
    integration: str = "consumer: shop\n    provider: items",
    command: tuple[str, ...] = ("fuzz", "--max-examples", "5"),
) -> tuple[subprocess.CompletedProcess[str], dict, list[str]]:
    """Run interlock on a manifest with the items service (``service`` is its YAML body)."""
    log = tmp_path / "requests.log"
    (tmp_path / "interlock.yaml").write_text(f"""\
version: 1
services:
  items:
{service}
    env:
      REQUEST_LOG: {log}
  shop:
    base_url: http://127.0.0.1:9
integrations:
  - name: shop-items
    {integration}
""")
    proc = interlock(
        *command,
        "--manifest",
        str(tmp_path / "interlock.yaml"),
        "--report-dir",
        str(tmp_path / "reports"),
        *(["--suites", str(tmp_path / "suites")] if command[0] == "fuzz" else []),
        timeout=240,
    )
    latest = tmp_path / "reports" / "latest" / "verdict.json"
    verdict = json.loads(latest.read_text()) if latest.is_file() else {}
    requests = log.read_text().splitlines() if log.is_file() else []
    return proc, verdict, requests


def api_requests(requests: list[str]) -> list[str]:
    """The requests that were not interlock's own (health checks, fetching the spec)."""
    return [r for r in requests if r.split()[1] not in ("/health", "/openapi.json", "/v1/__api__")]


def assert_fuzzed_under_v1(proc: subprocess.CompletedProcess[str], requests: list[str]) -> None:
    api = api_requests(requests)
    assert api, proc.stdout + proc.stderr
    # schemathesis' own probes (GET /v1, /v1/schemathesis-probe...) go to the base path too
    assert all(r.split()[1] == "/v1" or r.split()[1].startswith("/v1/") for r in api), sorted(set(api))
    assert any(r.startswith("GET /v1/items/") for r in api)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_fuzz_follows_the_servers_path_of_a_spec_fetched_from_the_service(tmp_path: Path) -> None:
    service = f"    run: python {SERVICE} {{port}}\n    openapi: /openapi.json"
    proc, verdict, requests = run(tmp_path, service)
    assert_fuzzed_under_v1(proc, requests)
    names = {c["name"] for i in verdict["integrations"] for s in i["stages"] for c in s["checks"]}
    assert {"items GET /items", "items GET /items/{id}"} <= names
    assert "/openapi.json at http://127.0.0.1:" in proc.stdout
    assert "the spec's base path /v1: fuzzed http://127.0.0.1:" in proc.stdout


def test_fuzz_follows_the_base_path_of_a_swagger_2_spec_like_kinto(tmp_path: Path) -> None:
    service = f"    run: python {SERVICE} {{port}} --swagger2\n    openapi: /v1/__api__"
    proc, _, requests = run(tmp_path, service)
    assert_fuzzed_under_v1(proc, requests)


def test_an_absolute_spec_file_path_is_a_file(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    spec = tmp_path_factory.mktemp("elsewhere") / "spec-items.json"
    from tests.fixtures.base_path_service import openapi_3

    spec.write_text(json.dumps(openapi_3()))
    proc, _, requests = run(tmp_path, f"    run: python {SERVICE} {{port}}\n    openapi: {spec}")
    assert_fuzzed_under_v1(proc, requests)
    assert "/openapi.json" not in "".join(requests)  # read from the file, not fetched


def test_the_manifest_base_path_wins_over_the_spec_and_the_difference_is_a_warning(
    tmp_path: Path,
) -> None:
    from tests.fixtures.base_path_service import openapi_3

    spec = openapi_3()
    spec["servers"] = [{"url": "https://api.example.com/api"}]
    (tmp_path / "items.json").write_text(json.dumps(spec))
    service = f"    run: python {SERVICE} {{port}}\n    openapi: items.json\n    base_path: /v1"
    proc, verdict, requests = run(tmp_path, service)
    assert_fuzzed_under_v1(proc, requests)
    text = "the spec's base path /api differs from base_path: /v1 of items in interlock.yaml; using /v1"
    assert f"fuzz items: {text}" in proc.stdout
    (stage,) = verdict["integrations"][0]["stages"]
    warnings = [f for c in stage["checks"] for f in c["findings"] if f["severity"] == "warning"]
    assert stage["status"] == "passed" and [w["title"] for w in warnings] == [text + " as the manifest says"]


def test_a_provider_only_integration_runs_contracts_and_fuzz_and_chaos_says_it_needs_a_consumer(
    tmp_path: Path,
) -> None:
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "shop-items.json").write_text(json.dumps(PACT))
    service = f"    run: python {SERVICE} {{port}}\n    openapi: /openapi.json\n    base_path: /v1"
    proc, verdict, requests = run(
        tmp_path,
        service,
        integration="provider: items\n    pacts: pacts/shop-items.json",
        command=("verify", "--stages", "contracts,fuzz,chaos"),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (integration,) = verdict["integrations"]
    assert integration["consumer"] is None
    stages = {s["stage"]: s for s in integration["stages"]}
    assert (
        stages["contracts"]["status"] == "passed" and len(stages["contracts"]["checks"]) == 2
    )  # spec + pact
    assert stages["fuzz"]["status"] == "passed" and stages["fuzz"]["checks"]
    assert stages["chaos"]["status"] == "skipped"
    assert stages["chaos"]["skipped_reason"].startswith("chaos needs a consumer")
    assert "GET /v1/items/1" in requests  # the pact, verified under the manifest's base path
    summary = (tmp_path / "reports" / "latest" / "summary.md").read_text()
    assert "items (provider only)" in summary


def test_a_chaos_file_on_a_provider_only_integration_is_bad_input_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "chaos.yaml").write_text("integration: shop-items\n")
    service = f"    run: python {SERVICE} {{port}}\n    openapi: /openapi.json"
    proc, _, requests = run(
        tmp_path,
        service,
        integration="provider: items\n    chaos: chaos.yaml",
        command=("verify", "--stages", "fuzz,chaos"),
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{tmp_path / 'interlock.yaml'}:13: chaos needs a consumer" in proc.stderr + proc.stdout
    assert requests == []  # nothing started
