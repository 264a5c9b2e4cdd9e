"""Suite files, baselines, profiles and findings of the fuzz stage (fast unit tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.verdict import Severity, Status
from interlock.stages.fuzz.baseline import Baseline, load_baseline, write_baseline
from interlock.stages.fuzz.findings import checks_for_outcome
from interlock.stages.fuzz.job import FuzzOutcome, OperationStats, RawFailure
from interlock.stages.fuzz.profiles import CI_SEED, resolve_profile
from interlock.stages.fuzz.suite import Suite, load_suite

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str, name: str = "payments.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_example_suites_load() -> None:
    for path in (REPO / "suites").glob("*.yaml"):
        suite = load_suite(path)
        assert suite.check_settings["response_time_budget"].root  # the suite's budgets:


def test_a_full_suite_loads_and_interpolates_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
include: ["POST /payments", "/payments/{payment_id}"]
exclude: ["GET /health"]
headers: {X-Tenant: "${TENANT}"}
auth: {bearer: "${TOKEN}"}
accepted_statuses: {"POST /payments": [402]}
budgets: {"*": ["max < 2s", "p(95) < 300ms"]}
checks: {disable: [use_after_free, idempotency]}
extra_checks: ["my.checks:no_pii"]
idempotency: {header: X-Request-Key, samples: 3}
profiles: {ci: {max_examples: 10, time_budget: 30s, seed: 5}, full: {time_budget: 2m}}
""",
    )
    suite = load_suite(path, environ={"TENANT": "shop", "TOKEN": "abc"})
    assert suite.all_headers() == {"X-Tenant": "shop", "Authorization": "Bearer abc"}
    assert suite.profiles.ci and suite.profiles.ci.time_budget == 30
    assert suite.profiles.full and suite.profiles.full.time_budget == 120
    assert load_suite(tmp_path / "missing.yaml") == Suite()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("include: [POST payments]\n", 1, "is not an operation"),
        ("budgets:\n  '*':\n    - 'p(95) < 1%'\n", 3, "does not fit duration metric"),
        ("checks:\n  disable: [nope]\n", 2, "unknown check 'nope'"),
        ("auth: {bearer: '${NOT_SET_ANYWHERE}'}\n", 1, "environment variable NOT_SET_ANYWHERE is not set"),
        ("profiles:\n  nightly: {max_examples: 3}\n", 2, "unknown key 'nightly' in profiles"),
        ("accepted_statuses: {'POST /payments': [999]}\n", 1, "999 is not an HTTP status"),
        ("idempotency: {samples: -1}\n", 1, "idempotency.samples"),
        ("- just\n- a list\n", 1, "must be a mapping"),
    ],
)
def test_bad_suites_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_suite(path, environ={})
    assert str(error.value).startswith(f"{path}:{line}: ") and message in str(error.value), str(error.value)


def test_profiles_ci_is_fixed_full_explores(tmp_path: Path) -> None:
    ci = resolve_profile("ci", Suite(), provider="payments", base_dir=tmp_path)
    assert (ci.seed, ci.database) == (CI_SEED, None)
    full = resolve_profile("full", Suite(), provider="payments", base_dir=tmp_path)
    assert full.database and full.database.endswith("payments") and full.max_examples > ci.max_examples
    custom = Suite.model_validate({"profiles": {"ci": {"max_examples": 3, "seed": 9}}})
    assert resolve_profile("ci", custom, provider="p", base_dir=tmp_path, seed=11).seed == 11
    assert resolve_profile("ci", custom, provider="p", base_dir=tmp_path).max_examples == 3


def failure(
    check: str = "not_a_server_error", cause: str = "500", operation: str = "POST /payments"
) -> RawFailure:
    return RawFailure(
        operation=operation,
        check=check,
        code="ST101",
        title="Server error",
        signature=cause,
        curls=["curl -X POST -H 'Authorization: Bearer hunter2hunter2' http://127.0.0.1:1/payments"],
        phase="fuzzing",
        status_code=500,
    )


def test_baseline_round_trip_and_known_failures(tmp_path: Path) -> None:
    path = tmp_path / "payments.baseline"
    assert load_baseline(path) == Baseline()
    written = write_baseline(path, "payments", [failure(), failure()], Baseline())
    assert len(written.entries) == 1
    loaded = load_baseline(path)
    assert loaded.knows(failure()) and not loaded.knows(failure(cause="501"))
    assert json.loads(path.read_text())["entries"][0]["id"] == written.entries[0].id
    path.write_text("{ nope")
    with pytest.raises(ConfigError, match=r"payments.baseline:1: not valid JSON"):
        load_baseline(path)


def test_findings_one_check_per_operation_known_failures_do_not_fail(tmp_path: Path) -> None:
    outcome = FuzzOutcome(
        provider="payments",
        seed=7,
        failures=[failure(), failure(check="idempotency", cause="second resource")],
        operations={"POST /payments": OperationStats(requests=10), "GET /health": OperationStats(requests=3)},
    )
    baseline = Baseline.model_validate(
        {"entries": [{"operation": "POST /payments", "check": "not_a_server_error", "cause": "500"}]}
    )
    checks = checks_for_outcome(
        outcome, integration="c-p", baseline=baseline, rerun="interlock fuzz --only c-p"
    )
    by_name = {c.name: c for c in checks}
    post = by_name["payments POST /payments"]
    assert post.status == Status.FAILED and by_name["payments GET /health"].status == Status.PASSED
    severities = sorted(f.severity for f in post.findings)
    assert severities == [Severity.ERROR, Severity.WARNING]
    finding = post.findings[0]
    assert "hunter2" not in (finding.reproduce or "") and "seed:      7" in finding.detail
    # the stage's rerun command already carries the seed and every other option (see test_gate)
    assert (finding.reproduce or "").endswith("# the whole run again: interlock fuzz --only c-p")
    assert '-H "Authorization: $INTERLOCK_AUTHORIZATION"' in (finding.reproduce or "")
    only_known = FuzzOutcome(provider="payments", seed=7, failures=[failure()])
    assert all(
        c.status == Status.PASSED
        for c in checks_for_outcome(only_known, integration="c-p", baseline=baseline, rerun="x")
    )


def test_a_spent_time_budget_is_a_note_and_schemathesis_errors_are_errors() -> None:
    cut = FuzzOutcome(provider="payments", seed=1, notes=["the time budget of 5s ended the run"])
    checks = checks_for_outcome(cut, integration="c-p", baseline=Baseline(), rerun="x")
    assert [(c.name, c.status) for c in checks] == [("payments fuzz run", Status.PASSED)]
    broken = FuzzOutcome(provider="payments", seed=1, errors=["GET /x: InvalidSchema: bad $ref"])
    checks = checks_for_outcome(broken, integration="c-p", baseline=Baseline(), rerun="x")
    assert checks[-1].status == Status.ERROR and "bad $ref" in checks[-1].findings[0].detail
