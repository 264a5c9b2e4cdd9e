"""The example's chaos stage passes end to end: real services, the real fault proxy, real toxics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import REPO, interlock, processes_of_run, sandbox_args
from tests.stages.chaos.manifests import example_manifest
from tests.stages.chaos.servers import separate_proxy_server

pytestmark = pytest.mark.slow


def test_the_example_passes_its_chaos_experiments_and_journals_every_call(tmp_path: Path) -> None:
    started = time.monotonic()
    # Faults against started services: what --sandbox is for, so it runs sandboxed where it can.
    proc = interlock("chaos", *sandbox_args(), "--report-dir", str(tmp_path / "reports"), "--plain")
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = (tmp_path / "reports" / "latest").resolve()
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["status"] == "passed" and verdict["stages"] == ["chaos"]
    for integration in verdict["integrations"]:
        stage = integration["stages"][0]
        names = [c["name"] for c in stage["checks"]]
        assert names[0] == f"{integration['integration']}: steady state" and len(names) >= 4
        journal = json.loads((run_dir / stage["artefacts"][0]).read_text())
        assert journal["complete"] is True and journal["proxy"]["mode"] == "embedded"
        faults = [p for p in journal["phases"] if p["kind"] == "fault"]
        assert faults and all(p["applied_at"] < p["rolled_back_at"] for p in faults)
        assert all(p["metrics"]["recovery_s"] is not None for p in faults)
        # Provider-side observation is real: the steady state's writes reached the provider.
        steady = journal["phases"][0]
        assert steady["observations"] and all(o["reached_provider"] for o in steady["observations"])
        assert [e["what"] for e in journal["events"]].count("applied") == len(faults)
    assert processes_of_run(verdict["run_id"]) == []
    assert elapsed < 60, f"the example's chaos stage took {elapsed:.1f}s"
    print(f"example chaos stage took {elapsed:.1f}s")


def test_the_catalogue_runs_from_the_declared_policy_alone(tmp_path: Path) -> None:
    """No experiment file, only checkout's declared resilience policy: --catalogue still tests it."""
    manifest = example_manifest(tmp_path, chaos={})
    proc = interlock(
        "chaos",
        "--catalogue",
        "--manifest",
        str(manifest),
        "--only",
        "checkout-payments",
        "--report-dir",
        str(tmp_path / "r"),
        "--plain",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = (tmp_path / "r" / "latest").resolve()
    verdict = json.loads((run_dir / "verdict.json").read_text())
    checks = verdict["integrations"][0]["stages"][0]["checks"]
    assert [c["name"] for c in checks] == [
        f"catalogue: {n}"
        for n in (
            "steady state",
            "slow-provider",
            "provider-503",
            "connection-reset",
            "lost-response",
            "truncated-response",
            "provider-down",
            "retry-after",  # the policy promises retry_after: honoured
        )
    ]
    assert all(c["status"] == "passed" for c in checks)
    journal = json.loads((run_dir / "chaos" / "checkout-payments" / "journal-catalogue.json").read_text())
    gates = {g["expression"] for p in journal["phases"] for g in p["gates"]}
    assert {
        "p(99) < 1300ms",
        "amplification <= 3",
        "fail_fast_after <= 5",
        "retry_gap_avg >= 12ms",
        "duplicate_writes == 0",
        "recovery_s <= 6",
        "retry_after_violations == 0",
    } <= gates
    down = next(p for p in journal["phases"] if p["name"] == "provider-down")
    assert down["observations"] and all(o["refused"] for o in down["observations"])  # attempts counted


@pytest.mark.parametrize(
    ("edit", "line", "problem"),
    [
        (("calls: 6", "calls: six"), 6, "calls"),
        (
            (
                '"amplification <= 3", "duplicate_writes == 0"]\n  # Every',
                '"amplificaton <= 3", "duplicate_writes == 0"]\n  # Every',
            ),
            15,
            "did you mean 'amplification'",
        ),
    ],
)
def test_a_bad_experiment_is_exit_2_before_anything_starts(
    tmp_path: Path, edit: tuple[str, str], line: int, problem: str
) -> None:
    bad = tmp_path / "checkout-payments.yaml"
    bad.write_text((REPO / "chaos" / "checkout-payments.yaml").read_text().replace(*edit))
    manifest = example_manifest(tmp_path, chaos={"checkout-payments": bad})
    proc = interlock("chaos", "--manifest", str(manifest), "--report-dir", str(tmp_path / "reports"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"interlock: {bad}:{line}: ") and problem in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "reports").exists()


def test_the_example_passes_through_a_real_toxiproxy_server_too(tmp_path: Path) -> None:
    """TOXIPROXY_URL: toxics on that server, observations from interlock's recorder behind it."""
    with separate_proxy_server(tmp_path / "toxiproxy.log") as server:
        proc = interlock(
            "chaos",
            "--only",
            "checkout-payments",
            "--report-dir",
            str(tmp_path / "r"),
            "--plain",
            env={"TOXIPROXY_URL": server},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        journal = json.loads(
            (
                tmp_path / "r" / "latest" / "chaos" / "checkout-payments" / "journal-checkout-payments.json"
            ).read_text()
        )
        assert journal["proxy"]["mode"] == "toxiproxy" and journal["proxy"]["control"] == server
        assert all(p["observations"] for p in journal["phases"] if p["name"] != "provider-down")
        assert httpx.get(f"{server}/proxies").json() == {}
