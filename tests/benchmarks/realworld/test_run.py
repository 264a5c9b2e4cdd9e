"""The manifests the benchmark runs, in their final form and in the fallback form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from benchmarks.realworld import run
from interlock.core.manifest import load_manifest


@pytest.mark.parametrize("name", ["httpbin", "kinto"])
def test_each_app_is_started_by_interlock_from_run(name: str) -> None:
    app = run.load_app(name)

    assert "{port}" in app.run
    assert app.health.startswith("/") and app.openapi.startswith("/")
    assert "consumer" not in app.integration  # provider-only, as a team fuzzing its own API writes it


def test_kintos_api_and_spec_live_under_its_base_path() -> None:
    app = run.load_app("kinto")

    assert (app.base_path, app.openapi, app.health) == ("/v1", "/v1/__api__", "/v1/__heartbeat__")


@pytest.mark.parametrize(("name", "url"), [("httpbin", None), ("kinto", "http://127.0.0.1:8888")])
def test_the_fallback_manifest_is_one_this_interlock_accepts(
    name: str, url: str | None, tmp_path: Path
) -> None:
    app = run.load_app(name)
    copy = run.fresh_copy(app, tmp_path / name)
    assert not list(copy.glob("requirements.*"))  # only what a run needs

    run.write_fallback_manifest(app, copy / "interlock.yaml", url)

    manifest = load_manifest(copy / "interlock.yaml")
    service = manifest.services[app.service]
    assert manifest.integrations[0].consumer == app.service
    if url is None:
        assert service.run == app.run
    else:
        assert (service.base_url, service.openapi, service.health) == (
            f"{url}/v1",
            "/__api__",
            "/__heartbeat__",
        )


def test_the_mode_follows_what_this_interlock_accepts() -> None:
    for name in ("httpbin", "kinto"):
        app = run.load_app(name)
        mode, why = run.choose_mode(app, "auto")
        if run.manifest_problem(app.manifest) is None:
            assert mode == "run"
        else:
            assert mode == ("base-url" if app.base_path else "run-compat")
            assert why.startswith("FALLBACK: interlock rejects the manifest")


def test_reread_rebuilds_the_comparison_from_a_work_dir(tmp_path: Path) -> None:
    samples = Path(__file__).parent / "samples"
    round_dir = tmp_path / "httpbin" / "round1"
    (round_dir / "st").mkdir(parents=True)
    (round_dir / "interlock" / "reports" / "latest").mkdir(parents=True)
    shutil.copy(samples / "st-httpbin.junit.xml", round_dir / "st" / "st-junit.xml")
    shutil.copy(
        samples / "interlock-httpbin.verdict.json",
        round_dir / "interlock" / "reports" / "latest" / "verdict.json",
    )
    run.record(round_dir / "st", 30.0, 1)
    run.record(round_dir / "interlock", 33.0, 3)

    (comparison,) = run.reread(tmp_path, ["httpbin", "kinto"])

    assert comparison.median_seconds() == (30.0, 33.0)
    assert len(comparison.partition()[0]) == 5
    assert yaml.safe_load((round_dir / "st" / "measured.json").read_text()) == {"seconds": 30.0, "exit": 1}
