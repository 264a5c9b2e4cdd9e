"""The example's chaos stage passes end to end: real services, the real fault proxy, real toxics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, interlock, processes_of_run

pytestmark = pytest.mark.slow


def test_the_example_passes_its_chaos_experiments_and_journals_every_call(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = interlock("chaos", "--report-dir", str(tmp_path / "reports"), "--plain")
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


def test_the_catalogue_runs_from_the_declared_policy(tmp_path: Path) -> None:
    proc = interlock("chaos", "--catalogue", "--only", "checkout-payments", "--report-dir", str(tmp_path / "r"),
                     "--plain")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = json.loads((tmp_path / "r" / "latest" / "verdict.json").read_text())
    names = [c["name"] for c in verdict["integrations"][0]["stages"][0]["checks"]]
    assert "catalogue: provider-503" in names and "catalogue: lost-response" in names
    assert (tmp_path / "r" / "latest" / "chaos" / "checkout-payments" / "journal-catalogue.json").is_file()


@pytest.mark.parametrize(
    ("edit", "line", "problem"),
    [
        (("calls: 6", "calls: six"), 6, "calls"),
        (('"amplification <= 3", "duplicate_writes == 0"]\n  # Every',
          '"amplificaton <= 3", "duplicate_writes == 0"]\n  # Every'), 15, "did you mean 'amplification'"),
    ],
)
def test_a_bad_experiment_is_exit_2_before_anything_starts(tmp_path: Path, edit: tuple[str, str], line: int,
                                                             problem: str) -> None:
    from tests.chaos.manifests import example_manifest

    bad = tmp_path / "checkout-payments.yaml"
    bad.write_text((REPO / "chaos" / "checkout-payments.yaml").read_text().replace(*edit))
    manifest = example_manifest(tmp_path, chaos={"checkout-payments": bad})
    proc = interlock("chaos", "--manifest", str(manifest), "--report-dir", str(tmp_path / "reports"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"interlock: {bad}:{line}: ") and problem in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "reports").exists()
