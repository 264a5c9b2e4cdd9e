"""Pin what interlock relies on in schemathesis (4.32), so an upgrade that moves it fails here.

interlock.stages.fuzz.engine is the only module that touches schemathesis; these tests name each thing
it uses: config keys, loaders and filters, the engine's events and their fields, the recorder's
failure info, failure identity, hook names, the curl generator and the check registry. The last
test runs the real worker against a real provider.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.stages.fuzz import engine
from interlock.stages.fuzz.checks import CHECKS
from interlock.stages.fuzz.job import FuzzJob, FuzzOutcome
from tests.helpers import running

REPO = Path(__file__).resolve().parents[3]


def job(**changes: object) -> FuzzJob:
    base = FuzzJob(
        provider="payments",
        spec="http://127.0.0.1:1/openapi.json",
        base_url="http://127.0.0.1:1",
        seed=3,
        max_examples=5,
        time_budget_s=10,
        disabled_checks=["use_after_free"],
        accepted_statuses={"POST /payments": [402]},
        headers={"X-Tenant": "shop"},
    )
    return base.model_copy(update=changes)


def test_config_keys_are_schemathesis_own() -> None:
    import schemathesis

    config = schemathesis.Config.from_dict(engine.schemathesis_config(job()))
    project = config.projects.get_default()
    assert config.seed == 3 and project.workers == 1
    assert project.generation.max_examples == 5
    assert project.output.sanitization.enabled is False
    assert project.checks.use_after_free.enabled is False
    assert project.phases.stateful.enabled and project.phases.coverage.enabled


def test_st_run_options_are_schemathesis_config_keys_with_st_run_defaults() -> None:
    import schemathesis

    default = schemathesis.Config.from_dict(engine.schemathesis_config(job())).projects.get_default()
    # no max-redirects unless asked: schemathesis' own redirect policy, as `st run` has it
    assert "max-redirects" not in engine.schemathesis_config(job()) and default.max_redirects is None
    assert default.tls_verify is True and default.request_timeout == 10.0
    changed = job(max_redirects=0, tls_verify=False, request_timeout_s=2.5)
    project = schemathesis.Config.from_dict(engine.schemathesis_config(changed)).projects.get_default()
    assert (project.max_redirects, project.tls_verify, project.request_timeout) == (0, False, 2.5)


def test_error_kinds_the_engine_sorts_by() -> None:
    """Every schemathesis error kind is a spec problem, the provider's, or the run's (engine._non_fatal)."""
    from schemathesis.engine.errors import EngineErrorInfo, RuntimeErrorKind

    assert isinstance(EngineErrorInfo.__dict__["_kind"], functools.cached_property)
    run_level = {
        "server_unavailable",
        "authentication_error",
        "config_error",
        "hook_execution_error",
        "unclassified",
    }
    for kind in RuntimeErrorKind:
        assert (
            kind.value.startswith((*engine._PROBLEM_KINDS, *engine._PROVIDER_KINDS))
            or kind.value in run_level
        ), kind
    from schemathesis.core.result import Err, Ok

    assert callable(Ok.ok) and callable(Err.err)


def test_builtin_checks_and_their_failure_types() -> None:
    names = engine.builtin_check_names()
    for name in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "positive_data_acceptance",
        "negative_data_rejection",
        "use_after_free",
        "ensure_resource_availability",
        "unsupported_method",
    ):
        assert name in names
    assert not set(CHECKS) & set(names)
    from schemathesis.specs.openapi.checks import RejectedPositiveData  # the accepted-statuses hook names it

    assert RejectedPositiveData.code == "ST202"


def test_events_and_recorder_fields_the_engine_reads() -> None:
    from schemathesis.core.failures import Failure
    from schemathesis.engine import core, events, recorder

    assert {"recorder", "phase", "label"} <= set(events.ScenarioFinished.__slots__)
    assert {"value", "label"} <= set(events.NonFatalError.__slots__)
    assert "exception" in events.FatalError.__slots__ and "stop_reason" in events.EngineFinished.__slots__
    assert {"phase", "status"} <= set(events.PhaseFinished.__slots__)
    assert callable(core.EventStream.stop)
    assert {f.name for f in dataclasses.fields(recorder.CheckNode)} == {"name", "status", "failure_info"}
    assert {"code_sample", "failure", "steps"} <= set(recorder.CheckFailureInfo.__slots__)
    assert {"curl", "operation"} <= {f.name for f in dataclasses.fields(recorder.ReproductionStep)}
    assert {"checks", "interactions", "label"} <= set(recorder.ScenarioRecorder.__slots__)
    assert {"operation", "title", "message", "case_id"} <= set(inspect.signature(Failure.__init__).parameters)
    assert isinstance(Failure._unique_key, property)


def test_hooks_and_curl_generator() -> None:
    from schemathesis import hook_specs
    from schemathesis.core import curl
    from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

    assert callable(hook_specs.filter_failure)
    assert callable(GLOBAL_HOOK_DISPATCHER.register_hook_with_name)
    assert "before_call" in GLOBAL_HOOK_DISPATCHER.__class__.__dict__ or hasattr(
        GLOBAL_HOOK_DISPATCHER, "applicable"
    )
    command = curl.generate(
        method="POST",
        url="http://127.0.0.1:1/x",
        body='{"a": 1}',
        verify=True,
        headers={"Idempotency-Key": "k"},
        known_generated_headers={"Idempotency-Key": "k"},
    )
    assert command.command == "curl -X POST -H 'Idempotency-Key: k' -d '{\"a\": 1}' http://127.0.0.1:1/x"


def test_operation_text() -> None:
    assert engine.split_operation("post /payments") == ("POST", "/payments")
    with pytest.raises(ValueError):
        engine.split_operation("payments")


@pytest.mark.slow
def test_the_worker_reports_failures_with_curls_seed_and_filters(tmp_path: Path) -> None:
    with running("tests.fixtures.fuzz_providers:unicode_500") as url:
        spec = job(
            spec=url + "/openapi.json",
            base_url=url,
            max_examples=10,
            include=["POST /payments"],
            result=str(tmp_path / "result.json"),
        )
        (tmp_path / "job.json").write_text(spec.model_dump_json())
        env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1"}
        subprocess.run(
            [sys.executable, "-m", "interlock.stages.fuzz.worker", str(tmp_path / "job.json")],
            cwd=REPO,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
    outcome = FuzzOutcome.model_validate_json((tmp_path / "result.json").read_text())
    assert outcome.fatal is None and outcome.seed == 3
    assert set(outcome.operations) == {"POST /payments"}
    crash = next(f for f in outcome.failures if f.check == "not_a_server_error")
    assert crash.code == "ST101" and crash.status_code == 500 and crash.phase
    assert crash.curls and all(c.startswith("curl -X POST") and "X-Tenant: shop" in c for c in crash.curls)
    assert not any(f.check == "positive_data_acceptance" and f.status_code == 402 for f in outcome.failures)
    assert json.loads((tmp_path / "result.json").read_text())["provider"] == "payments"


def test_schemathesis_errors_are_sorted_into_problems_failures_and_run_errors() -> None:
    import requests
    from schemathesis.core.errors import InvalidSchema
    from schemathesis.engine import events
    from schemathesis.engine.run import PhaseName

    from interlock.stages.fuzz.coverage import CoverageTracker

    def error(exc: Exception, label: str, on_operation: bool) -> events.NonFatalError:
        return events.NonFatalError(
            error=exc, phase=PhaseName.FUZZING, label=label, related_to_operation=on_operation
        )

    outcome, tracker = FuzzOutcome(provider="p", seed=1), CoverageTracker()
    for event in (
        error(InvalidSchema("Path parameter 'id' is not defined"), "GET /orders/{id}", True),
        error(
            InvalidSchema("Path parameter 'id' is not defined"), "GET /orders/{id}", True
        ),  # again, next phase
        error(requests.exceptions.ConnectionError("Connection aborted"), "GET /slow", True),
        # a stateful sequence reaching broken operations: hypothesis groups their errors
        error(
            ExceptionGroup(
                "2 distinct failures", [InvalidSchema("Invalid `type`"), InvalidSchema("Path parameter")]
            ),
            "Stateful tests",
            False,
        ),
        error(ExceptionGroup("mixed", [InvalidSchema("x"), RuntimeError("boom")]), "Stateful tests", False),
        error(RuntimeError("SystemError: AST constructor recursion depth mismatch"), "GET /a", True),
    ):
        engine._non_fatal(event, outcome, tracker)
    assert tracker.problems == {"GET /orders/{id}": ["Schema Error: Path parameter 'id' is not defined"]}
    assert list(tracker.errors) == ["GET /slow"] and "Network Error" in tracker.errors["GET /slow"][0]
    assert outcome.problems == ["Stateful tests: Schema Error: Invalid `type`; Schema Error: Path parameter"]
    assert [e.split(":")[0] for e in outcome.errors] == ["Stateful tests", "GET /a"]


@pytest.mark.parametrize(
    ("base_path", "raw", "expected"),
    [
        (None, {"swagger": "2.0", "basePath": "/v1"}, "http://127.0.0.1:1/v1"),
        (None, {"openapi": "3.0.3", "servers": [{"url": "/api/v2/"}]}, "http://127.0.0.1:1/api/v2"),
        (None, {"openapi": "3.0.3"}, "http://127.0.0.1:1"),
        ("/v1", {"openapi": "3.0.3", "servers": [{"url": "/api"}]}, "http://127.0.0.1:1/v1"),
        ("", {"openapi": "3.0.3", "servers": [{"url": "/api"}]}, "http://127.0.0.1:1"),
    ],
)
def test_the_api_url_is_the_job_base_path_or_else_the_specs_own(
    base_path: str | None, raw: dict[str, object], expected: str
) -> None:
    # None: the spec's servers/basePath (read from the schema the worker loaded, not a second
    # fetch); "" is a base URL given as it is; a manifest base_path: wins over the spec.
    assert engine.api_url(job(base_url="http://127.0.0.1:1", base_path=base_path), raw) == expected


def test_a_call_is_timed_from_its_send_to_its_checks() -> None:
    """``Exchange.total_ms`` covers a body that came long after the head (schemathesis times the head)."""
    import time
    from types import SimpleNamespace

    case = SimpleNamespace(id="case-1")
    engine._stamp_call(None, case, {})
    time.sleep(0.05)
    assert engine._call_duration_ms(case) >= 50
    assert engine._call_duration_ms(SimpleNamespace(id="another")) is None  # stamped for another case


def test_the_warm_up_imports_modules_that_exist() -> None:
    """A prestarted worker imports these while the services start; a renamed one must not go unnoticed."""
    engine.warm_up()
