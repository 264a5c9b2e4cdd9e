"""Suite files, baselines, profiles and findings of the fuzz stage (fast unit tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError, UsageError
from interlock.core.verdict import Severity, Status
from interlock.stages.fuzz.baseline import Baseline, load_baseline, write_baseline
from interlock.stages.fuzz.coverage import NOT_REACHED, STOPPED, CoverageTracker, coverage_gaps
from interlock.stages.fuzz.findings import checks_for_outcome, coverage_check
from interlock.stages.fuzz.job import FuzzOutcome, OperationStats, RawFailure
from interlock.stages.fuzz.profiles import CI_SEED, resolve_profile
from interlock.stages.fuzz.stage import FuzzOptions, _job
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


def test_run_errors_stay_errors_spec_problems_are_warnings_on_their_operation() -> None:
    broken = FuzzOutcome(provider="payments", seed=1, errors=["checks: Configuration Error: bad check"])
    checks = checks_for_outcome(broken, integration="c-p", baseline=Baseline(), rerun="x")
    assert checks[-1].status == Status.ERROR and "bad check" in checks[-1].findings[0].detail
    outcome = FuzzOutcome(
        provider="payments",
        seed=1,
        failures=[failure()],
        operations={
            "POST /payments": OperationStats(requests=9, phases=["examples", "coverage", "fuzzing"]),
            "GET /legacy": OperationStats(
                problems=["Schema Error: Invalid `type` definition", "Schema Error: two"]
            ),
            "GET /orders/{id}": OperationStats(
                requests=4, phases=["fuzzing"], problems=["Schema Error: Path parameter 'id' is not defined"]
            ),
            "GET /slow": OperationStats(
                requests=2, phases=["fuzzing"], errors=["Network Error: Read timed out"]
            ),
        },
    )
    by_name = {
        c.name: c for c in checks_for_outcome(outcome, integration="c-p", baseline=Baseline(), rerun="x")
    }
    legacy = by_name["payments GET /legacy"]
    assert legacy.status == Status.PASSED and [f.severity for f in legacy.findings] == [Severity.WARNING] * 2
    assert [f.title for f in legacy.findings] == [
        "GET /legacy: not tested: Schema Error: Invalid `type` definition",
        "GET /legacy: not tested: Schema Error: two",
    ]
    orders = by_name["payments GET /orders/{id}"]
    assert orders.findings[0].title.startswith(
        "GET /orders/{id}: partly tested: Schema Error: Path parameter"
    )
    assert by_name["payments POST /payments"].status == Status.FAILED
    assert by_name["payments POST /payments"].message == "9 requests; phases: examples, coverage, fuzzing"
    slow = by_name["payments GET /slow"]
    assert slow.status == Status.FAILED and slow.findings[0].severity == Severity.ERROR
    assert "payments fuzz run" not in by_name  # nothing stopped the run: no stage error, exit 1 not 3
    coverage = by_name["payments coverage"]
    assert coverage.status == Status.PASSED and coverage.findings[0].severity == Severity.WARNING
    assert "spec problem: GET /legacy: Schema Error: two" in coverage.findings[0].detail
    assert coverage.message == "2 of 4 operations fully fuzzed"


def budget_cut() -> FuzzOutcome:
    return FuzzOutcome(
        provider="payments",
        seed=1,
        budget_exhausted=True,
        time_budget_s=25,
        phases={
            "examples": "completed",
            "coverage": STOPPED,
            "fuzzing": NOT_REACHED,
            "stateful": NOT_REACHED,
        },
        operations={
            "GET /a": OperationStats(requests=5, phases=["examples", "coverage"], unfinished=["fuzzing"]),
            "GET /b": OperationStats(requests=0, phases=["examples"], unfinished=["coverage", "fuzzing"]),
            "GET /c": OperationStats(requests=0, phases=["examples"], unfinished=["coverage", "fuzzing"]),
            "GET /d": OperationStats(requests=3, phases=["examples", "coverage", "fuzzing"]),
        },
    )


def test_a_spent_budget_says_what_was_left_untested_and_fails_only_when_required() -> None:
    gaps = coverage_gaps(budget_cut())
    assert (gaps.not_fuzzed, gaps.partly) == (["GET /b", "GET /c"], ["GET /a"])
    assert gaps.summary("payments") == (
        "payments: time budget 25s ended the run: 2 of 4 operations not fuzzed, 1 partly, stateful phase not run;"
        " raise --time-budget or use --profile full"
    )
    warned = coverage_check(budget_cut(), integration="c-p", rerun="x", required=False)
    assert warned.status == Status.PASSED and warned.findings[0].severity == Severity.WARNING
    assert warned.findings[0].title == f"incomplete coverage: {gaps.summary('payments')}"
    detail = warned.findings[0].detail
    assert "not fuzzed:   GET /b" in detail and "partly:       GET /a (fuzzing not finished)" in detail
    failed = coverage_check(budget_cut(), integration="c-p", rerun="x", required=True)
    assert failed.status == Status.FAILED and failed.findings[0].severity == Severity.ERROR
    complete = FuzzOutcome(provider="p", seed=1, operations={"GET /d": OperationStats(requests=3)})
    check = coverage_check(complete, integration="c-p", rerun="x", required=True)
    assert (
        check.status == Status.PASSED
        and not check.findings
        and check.message == "all 1 operations fully fuzzed"
    )


def test_the_tracker_turns_events_into_coverage() -> None:
    tracker = CoverageTracker()
    tracker.scenario_finished("examples", "GET /a", "skip")  # no examples in the spec: nothing to do
    tracker.scenario_finished("examples", "GET /b", "success")
    tracker.scenario_finished("coverage", "GET /a", "failure")
    tracker.scenario_finished("coverage", "GET /b", "interrupted")  # the budget cut it short
    tracker.phase_finished("examples", "success", None)
    tracker.phase_finished("coverage", "interrupted", None)
    tracker.problem("GET /broken", "Schema Error: x")
    tracker.problem("GET /broken", "Schema Error: x")  # once per phase from schemathesis: listed once
    tracker.stateful_reached(["GET /a"])
    outcome = FuzzOutcome(provider="p", seed=1, operations={"GET /a": OperationStats(requests=7)})
    tracker.apply(
        outcome, ["GET /a", "GET /b"], ["examples", "coverage", "fuzzing", "stateful"], stopped=True
    )
    a, b, broken = (outcome.operations[k] for k in ("GET /a", "GET /b", "GET /broken"))
    assert (a.requests, a.phases, a.unfinished) == (7, ["examples", "coverage", "stateful"], ["fuzzing"])
    assert (b.phases, b.unfinished) == (["examples"], ["coverage", "fuzzing"])
    assert (broken.phases, broken.unfinished, broken.problems) == ([], [], ["Schema Error: x"])
    assert outcome.phases == {
        "examples": "completed",
        "coverage": STOPPED,
        "fuzzing": NOT_REACHED,
        "stateful": NOT_REACHED,
    }


def test_the_st_run_options_load_from_the_suite(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    path = write(
        tmp_path,
        "base_url: http://127.0.0.1:8001/v1/\nmax_redirects: 0\nrequest_timeout: 500ms\n"
        "tls_verify: ca.pem\ncoverage: {require: complete}\n",
    )
    suite = load_suite(path, environ={})
    assert suite.base_url == "http://127.0.0.1:8001/v1" and suite.max_redirects == 0
    assert suite.request_timeout == 0.5 and suite.tls_verify == str(tmp_path / "ca.pem")
    assert suite.coverage.require == "complete"
    assert load_suite(write(tmp_path, "tls_verify: false\n"), environ={}).tls_verify is False
    assert Suite().max_redirects is None and Suite().tls_verify is True and Suite().coverage.require == "none"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "phases: [fuzzing]\nmax_redirects: -1\n",
            2,
            "max_redirects: Input should be greater than or equal to 0",
        ),
        ("max_redirects: many\n", 1, "max_redirects"),
        ("request_timeout: 0s\n", 1, "request_timeout: Input should be greater than 0"),
        ("request_timeout: 5 parsecs\n", 1, "expected a duration"),
        ("\ntls_verify: missing.pem\n", 2, "no CA bundle file 'missing.pem'"),
        ("tls_verify: 3\n", 1, "tls_verify is true, false or the path of a CA bundle"),
        ("base_url: ftp://example.com\n", 1, "is not an http(s) URL"),
        ("coverage: {require: all}\n", 1, "coverage.require"),
        ("coverage: {requires: complete}\n", 1, "unknown key 'requires'"),
        ("include: [GET /a]\nexclude: [GET /a]\n", 2, "'GET /a' is both included and excluded"),
    ],
)
def test_bad_st_run_options_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_suite(path, environ={})
    assert str(error.value).startswith(f"{path}:{line}: ") and message in str(error.value), str(error.value)


def test_the_command_line_overrides_the_suite_in_the_job(tmp_path: Path) -> None:
    suite = Suite.model_validate(
        {
            "include": ["GET /a"],
            "exclude": ["GET /b"],
            "headers": {"X-Tenant": "shop", "X-Keep": "1"},
            "auth": {"bearer": "t0ken"},
            "max_redirects": 3,
            "request_timeout": 4,
            "base_url": "http://127.0.0.1:2",
        }
    )
    profile = resolve_profile("ci", suite, provider="payments", base_dir=tmp_path)
    default = _job("payments", "spec.json", "http://127.0.0.1:1", Suite(), profile, None)
    assert (default.max_redirects, default.request_timeout_s, default.tls_verify) == (None, 10.0, True)
    from_suite = _job("payments", "spec.json", "http://127.0.0.1:1", suite, profile, "/_pact/state")
    assert from_suite.base_url == "http://127.0.0.1:2" and from_suite.max_redirects == 3
    assert from_suite.include == ["GET /a"] and from_suite.exclude == ["GET /b", "/_pact/state"]
    options = FuzzOptions(
        url="http://127.0.0.1:3",
        header=("X-Tenant: cli",),
        auth="user:pa:ss",
        include_operation=("/c",),
        exclude_operation=("GET /d",),
        max_redirects=0,
        request_timeout=1.5,
        tls_verify=False,
    )
    job = _job("payments", "spec.json", "http://127.0.0.1:1", suite, profile, None, options)
    assert (
        job.base_url == "http://127.0.0.1:3" and job.include == ["/c"] and job.exclude == ["GET /b", "GET /d"]
    )
    assert job.headers == {"X-Tenant": "cli", "X-Keep": "1", "Authorization": "Basic dXNlcjpwYTpzcw=="}
    assert (job.max_redirects, job.request_timeout_s, job.tls_verify) == (0, 1.5, False)
    with pytest.raises(UsageError, match="'GET /b' is both included and excluded"):
        _job("p", "s", "http://127.0.0.1:1", suite, profile, None, FuzzOptions(include_operation=("GET /b",)))
