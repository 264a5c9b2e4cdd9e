"""End to end: secrets planted everywhere a user can put them never reach the report directory.

One run of ``interlock verify`` (contracts, fuzz, chaos, load) over a provider that prints and
echoes every credential it gets, and a consumer that forwards them. Every file the run leaves
(reports, service and proxy logs, worker jobs and results, the verifier's log, chaos journals,
Locust's CSVs, page and log) is read as bytes and searched for each planted value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, interlock

pytestmark = pytest.mark.slow

ECHO = f"{sys.executable} {REPO / 'tests' / 'fixtures' / 'echo_service.py'} {{port}}"

#: Where each value is planted -> the value. Distinct, so a leak names its source.
PLANTED = {
    "manifest env PAYMENTS_TOKEN": "envtok-7Q2xLr91",
    "pact request Authorization header": "pacthdr-K3v8Zt55",
    "pact response password member": "pactpw-M4n6Yw20",
    "fuzz suite auth": "fuzzauth-R8p1Xc73",
    "chaos probe X-Api-Key header": "chaoskey-T5b9Qe48",
    "locustfile Authorization header": "loadtok-H2j7Vu36",
    "consumer's own session cookie (seen by the fault proxy)": "proxyseen-W7k2Pq19",
}

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "vault", "version": "1"},
    "paths": {
        "/echo": {
            "get": {
                "operationId": "echo",
                "responses": {
                    "200": {
                        "description": "the request's headers",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/account": {
            "get": {
                "operationId": "account",
                "responses": {
                    "200": {
                        "description": "the account",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
}

PACT = {
    "consumer": {"name": "frontend"},
    "provider": {"name": "vault"},
    "interactions": [
        {
            "description": "a request for the account",
            "request": {
                "method": "GET",
                "path": "/account",
                "headers": {"Authorization": f"Bearer {PLANTED['pact request Authorization header']}"},
            },
            "response": {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "user": "ann",
                    "status": "active",
                    "password": PLANTED["pact response password member"],
                },
            },
        }
    ],
    "metadata": {"pactSpecification": {"version": "3.0.0"}},
}

LOCUSTFILE = f"""
from locust import HttpUser, constant, task


class Reader(HttpUser):
    wait_time = constant(0.2)

    @task
    def echo(self) -> None:
        headers = {{"Authorization": "Bearer {PLANTED["locustfile Authorization header"]}"}}
        with self.client.get("/echo", headers=headers, catch_response=True) as response:
            response.failure("the vault said: " + response.text)
"""


def project(root: Path) -> Path:
    """The manifest, pact, spec, suite, experiment, load profile and locustfile of the run."""
    (root / "suites").mkdir(parents=True)
    (root / "vault.json").write_text(json.dumps(SPEC))
    (root / "frontend-vault.json").write_text(json.dumps(PACT))
    (root / "suites" / "vault.yaml").write_text(
        yaml.safe_dump(
            {
                "phases": ["examples", "fuzzing"],
                "auth": {"bearer": PLANTED["fuzz suite auth"]},
                "profiles": {"ci": {"max_examples": 5, "time_budget": "10s", "seed": 1}},
            }
        )
    )
    (root / "chaos.yaml").write_text(
        yaml.safe_dump(
            {
                "integration": "frontend-vault",
                "probe": {
                    "method": "GET",
                    "path": "/relay",
                    "headers": {"X-Api-Key": PLANTED["chaos probe X-Api-Key header"]},
                    "timeout": "3s",
                },
                "calls": 3,
                "steady_state": ["success_rate >= 50%"],
                "recovery": "steady_state within 3s",
                "faults": [
                    {
                        "name": "slow-vault",
                        "toxics": [
                            {"type": "latency", "stream": "downstream", "attributes": {"latency": 50}}
                        ],
                        "calls": 2,
                        "expect": ["p(99) < 3s"],
                    }
                ],
            }
        )
    )
    (root / "locustfile.py").write_text(LOCUSTFILE)
    (root / "load.yaml").write_text(
        yaml.safe_dump(
            {
                "integration": "frontend-vault",
                "target": "vault",
                "locustfile": str(root / "locustfile.py"),
                "shape": {"type": "ramp", "users": 2, "spawn_rate": 2, "duration": "3s"},
                "slo": ["error_rate < 1%"],
                "baseline": None,
            }
        )
    )
    manifest = {
        "version": 1,
        "services": {
            "vault": {
                "run": f"{ECHO} vault",
                "openapi": str(root / "vault.json"),
                "env": {
                    "PAYMENTS_TOKEN": PLANTED["manifest env PAYMENTS_TOKEN"],
                    "ACCOUNT_SEED": "expired",
                },
            },
            "frontend": {
                "run": f"{ECHO} frontend",
                "env": {
                    "PAYMENTS_TOKEN": PLANTED["manifest env PAYMENTS_TOKEN"],
                    "VAULT_URL": "{proxy:frontend-vault}",
                    "SESSION_SEED": PLANTED["consumer's own session cookie (seen by the fault proxy)"],
                },
            },
        },
        "integrations": [
            {
                "name": "frontend-vault",
                "consumer": "frontend",
                "provider": "vault",
                "pacts": str(root / "frontend-vault.json"),
                "chaos": str(root / "chaos.yaml"),
                "load": str(root / "load.yaml"),
            }
        ],
    }
    path = root / "interlock.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return path


def leaks(run_dir: Path) -> dict[str, list[str]]:
    """Planted value -> the files (relative to ``run_dir``) whose bytes contain it."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for where, value in PLANTED.items():
            if value.encode() in data:
                found.setdefault(where, []).append(str(path.relative_to(run_dir)))
    return found


def test_no_planted_secret_reaches_any_file_of_the_report(tmp_path: Path) -> None:
    manifest = project(tmp_path / "project")
    reports = tmp_path / "reports"
    proc = interlock(
        "verify",
        "--plain",
        "--manifest",
        str(manifest),
        "--report-dir",
        str(reports),
        timeout=150,
        env={"INTERLOCK_LOAD_HISTORY": str(tmp_path / "history")},
    )
    run_dir = (reports / "latest").resolve()
    assert (run_dir / "verdict.json").is_file(), proc.stdout + proc.stderr
    verdict = json.loads((run_dir / "verdict.json").read_text())
    stages = {s["stage"]: s for i in verdict["integrations"] for s in i["stages"]}
    assert set(stages) == {"contracts", "fuzz", "chaos", "load"}, proc.stdout

    # The planted values really travelled: the careless services printed what they got.
    assert (run_dir / "services" / "vault.log").is_file() and (
        run_dir / "services" / "frontend.log"
    ).is_file()
    assert any(list(run_dir.glob(pattern)) for pattern in ("load/*/locust*.csv",)), sorted(run_dir.rglob("*"))

    assert leaks(run_dir) == {}, proc.stdout
    # the console is a CI log: it masks what the inputs declare (the proxy's wire credentials are
    # learnt only as the run ends, after the lines that could carry them were printed)
    declared = {k: v for k, v in PLANTED.items() if "seen by the fault proxy" not in k}
    assert {k for k, v in declared.items() if v in proc.stdout + proc.stderr} == set(), proc.stdout
    assert "session [REDACTED] opened" in (run_dir / "services" / "vault.log").read_text()

    # Secret hygiene: the careless services logged secrets, so the stages that were running have
    # findings naming the service, the secret and the line, never the value (leaks() above).
    titles = [
        f["title"]
        for stage in stages.values()
        for c in stage["checks"]
        if c["name"] == "secret hygiene: service logs"
        for f in c["findings"]
    ]
    assert any(
        t.startswith("vault logged a secret (services.vault.env.PAYMENTS_TOKEN) at services/vault.log:")
        for t in titles
    ), titles
    assert any(
        t.startswith("frontend logged a secret (services.frontend.env.PAYMENTS_TOKEN)") for t in titles
    ), titles
    assert any(t.startswith("vault logged a secret (sent through the fault proxy: cookie") for t in titles), (
        titles
    )

    # What is not secret survives: titles, check names, stage and integration names.
    summary = (run_dir / "summary.md").read_text()
    assert "frontend-vault" in summary and "a request for the account" in summary
    assert "[REDACTED]" in (run_dir / "services" / "vault.log").read_text()
    checks = [c["name"] for s in stages.values() for c in s["checks"]]
    assert "a request for the account" in " ".join(checks), checks
    contracts = stages["contracts"]
    assert contracts["status"] == "failed", contracts  # the vault answers status "disabled"
    assert any("status" in f["title"] for c in contracts["checks"] for f in c["findings"]), contracts
    assert (run_dir / "junit.xml").read_text().count("<testcase") >= len(checks)
