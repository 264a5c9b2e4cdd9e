"""The fuzz check registry: a check declared in one module is known to the suite, the job, the
stage and the engine, with its code and settings, and nothing else changes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from interlock.core.errors import ConfigError
from interlock.stages.fuzz.checks import CHECKS, CheckFailed, Exchange, fuzz_check
from interlock.stages.fuzz.checks.registry import dump_settings
from interlock.stages.fuzz.job import FuzzJob, FuzzOutcome
from interlock.stages.fuzz.profiles import resolve_profile
from interlock.stages.fuzz.stage import _job
from interlock.stages.fuzz.suite import load_suite
from tests.helpers import running

REPO = Path(__file__).resolve().parents[3]


class LimitSettings(BaseModel):
    most: int = Field(default=3, ge=1)


@pytest.fixture
def registered() -> Iterator[str]:
    """A check registered by this test module, unregistered afterwards."""

    @fuzz_check("body_size", code="IL198", settings=LimitSettings, suite_key="body_limit")
    def body_size(exchange: Exchange, settings: LimitSettings) -> None:
        if len(exchange.body) > settings.most:
            raise CheckFailed("body too big", "", cause="big body")

    yield "body_size"
    CHECKS.pop("body_size", None)


def test_the_built_in_checks_declare_their_codes_and_settings_keys() -> None:
    assert {name: c.code for name, c in CHECKS.items()} == {
        "no_leakage": "IL101",
        "retry_after": "IL102",
        "idempotency": "IL103",
        "response_time_budget": "IL104",
    }
    assert {c.suite_key for c in CHECKS.values() if c.settings} == {"idempotency", "budgets"}
    assert dump_settings({}) == {
        "idempotency": {"header": "Idempotency-Key", "samples": 2, "max_elapsed": 1.0},
        "response_time_budget": {},
    }


def test_a_registered_check_reads_its_suite_key_and_travels_in_the_job(
    registered: str, tmp_path: Path
) -> None:
    path = tmp_path / "payments.yaml"
    path.write_text("body_limit: {most: 10}\nchecks: {disable: [idempotency]}\n")
    suite = load_suite(path, environ={})
    assert suite.check_settings[registered] == LimitSettings(most=10)
    profile = resolve_profile("ci", suite, provider="payments", base_dir=tmp_path)
    job = _job("payments", "spec.json", "http://127.0.0.1:1", suite, profile, None)
    assert job.check_settings[registered] == {"most": 10}
    assert job.disabled_interlock_checks == ["idempotency"]
    assert FuzzJob.model_validate_json(job.model_dump_json()).check_settings == job.check_settings

    path.write_text("checks: {disable: [body_size]}\nbody_limit:\n  most: 0\n")
    with pytest.raises(ConfigError, match=r"payments.yaml:3: body_limit.most: Input should be greater than"):
        load_suite(path, environ={})
    with pytest.raises(ValueError, match="already registered"):
        fuzz_check("body_size", code="IL1")(lambda exchange, settings: None)


def test_an_unregistered_check_name_is_still_unknown_to_the_suite(tmp_path: Path) -> None:
    path = tmp_path / "payments.yaml"
    path.write_text("body_limit: {most: 10}\n")
    with pytest.raises(ConfigError, match="unknown key 'body_limit'"):
        load_suite(path, environ={})


@pytest.mark.slow
def test_a_check_registered_outside_interlock_runs_in_the_worker_with_its_code_and_settings(
    tmp_path: Path,
) -> None:
    with running("tests.fixtures.fuzz_providers:unicode_500") as url:
        job = FuzzJob(
            provider="payments",
            spec=url + "/openapi.json",
            base_url=url,
            seed=3,
            max_examples=3,
            time_budget_s=30,
            phases=["examples", "coverage"],
            include=["GET /health"],
            extra_checks=["tests.fixtures.fuzz_checks:forbidden_status"],
            check_settings={"forbidden_status": {"statuses": [200]}},
            result=str(tmp_path / "result.json"),
        )
        (tmp_path / "job.json").write_text(job.model_dump_json())
        subprocess.run(
            [sys.executable, "-m", "interlock.stages.fuzz.worker", str(tmp_path / "job.json")],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=True,
            timeout=120,
            capture_output=True,
        )
    outcome = FuzzOutcome.model_validate_json((tmp_path / "result.json").read_text())
    assert outcome.fatal is None, outcome
    found = {(f.check, f.code, f.signature) for f in outcome.failures if f.check == "forbidden_status"}
    assert found == {("forbidden_status", "IL199", "status 200"), ("forbidden_status", "IL199", "tally")}
    per_response = next(f for f in outcome.failures if f.signature == "status 200")
    assert per_response.title == "answered 200" and per_response.curls[0].startswith("curl -X GET")
    assert outcome.operations["GET /health"].requests >= 1
