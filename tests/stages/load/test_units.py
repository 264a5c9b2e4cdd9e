"""Fast tests of the load stage's logic: profiles, shapes, metrics, SLOs, task mix, baseline, plots."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest
from interlock.core.thresholds import DEFAULT_METRIC_KINDS, parse_threshold
from interlock.core.yamlfile import parse_yaml
from interlock.pacts.pactfile import load_pact
from interlock.stages.load import baseline, generate, plots, schedule, slo, under_fault
from interlock.stages.load.metrics import Bucket, Timeline, TimelineReader, histogram_percentile, metrics_of
from interlock.stages.load.profile import (
    Baseline,
    LoadShape,
    Slo,
    UnderFault,
    _parse_slo,
    load_profile,
    parse_duration,
)
from interlock.stages.load.stage import check_profile
from tests.helpers import REPO

PACTS = REPO / "contracts" / "pacts"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- profiles ---------------------------------------------------------------------------------------


def test_profile_with_every_section(tmp_path: Path) -> None:
    profile = load_profile(
        write(
            tmp_path,
            """
integration: checkout-payments
target: checkout
locustfile: load/checkout.py
shape: {type: spike, users: 10, spawn_rate: 5, duration: 2m, spike_at: 30s, spike_duration: 500ms}
slo:
  run: ["p(95) < 300ms", "error_rate < 1%", "rps > 100"]
  endpoints: {"POST /orders": ["p(99) < 1s"]}
  phases: {spike: ["p(95) < 600ms"]}
abort_on_fail: true
under_fault: {fault: slow-provider, at: 40s, duration: 20s}
baseline: {tolerance: 10%, error_rate_tolerance: 0.5%, gate: true}
""",
        )
    )
    assert profile.shape.duration == 120 and profile.shape.spike_duration == 0.5
    assert [str(t) for t in profile.slo.run] == ["p(95) < 300ms", "error_rate < 1%", "rps > 100"]
    assert profile.slo.endpoints["POST /orders"][0].value == 1000.0
    assert profile.abort_on_fail is not None and profile.abort_on_fail.window == 10
    assert profile.under_fault is not None and profile.under_fault.at == 40
    assert profile.baseline == Baseline(tolerance=0.1, error_rate_tolerance=0.005, gate=True)
    assert profile.name == "profile"


def test_the_design_documents_profile_loads(tmp_path: Path) -> None:
    profile = load_profile(
        write(
            tmp_path,
            """
integration: checkout-payments
target: checkout
locustfile: load/checkout.py
shape: {type: spike, peak_users: 50, spawn_rate: 10, duration: 60s}
slo: ["p(95) < 300ms", "error_rate < 1%", "rps > 100"]
under_fault: slow-provider
""",
        )
    )
    assert profile.shape.users == 50 and len(profile.slo.run) == 3
    assert profile.under_fault is not None and (profile.under_fault.at, profile.under_fault.duration) == (
        20,
        20,
    )


def test_short_forms(tmp_path: Path) -> None:
    profile = load_profile(
        write(
            tmp_path,
            "shape: {type: ramp, users: 3, duration: 30}\nslo: ['rps > 1']\n"
            "under_fault: slow-provider\nbaseline: false\n",
        )
    )
    assert profile.slo.run[0].metric == "rps" and profile.baseline is None
    assert profile.under_fault is not None and (profile.under_fault.at, profile.under_fault.duration) == (
        10,
        10,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "shape: {type: ramp, users: 3, duration: 5s}\nslo:\n  - p(95) < 300\n  - p95 < 1s\n",
            "profile.yaml:4: invalid threshold \"p95 < 1s\": write percentiles as 'p(95)'",
        ),
        (
            "shape: {type: ramp, users: 3, duration: 5s}\nslo: ['latency < 3ms']\n",
            "profile.yaml:2: invalid threshold",
        ),
        ("shape: {type: ramp, users: 0, duration: 5s}\n", "profile.yaml:1: shape.users"),
        ("shape: {type: ramp, users: 3, duration: soon}\n", "expected a duration such as 30s"),
        (
            "shape:\n  type: spike\n  users: 3\n  duration: 10s\n  spike_at: 8s\n  spike_duration: 5s\n",
            "the spike (8s + 5s) must end within duration (10s)",
        ),
        (
            "shape: {type: ramp, users: 3, duration: 10s}\nunder_fault: {fault: x, at: 8s, duration: 5s}\n",
            "under_fault window (8s + 5s) must end within the shape's duration (10s)",
        ),
        (
            "shape: {type: ramp, users: 3, duration: 5s}\nslo: {runs: []}\n",
            "unknown key 'runs' in slo (did you mean 'run'?)",
        ),
        (
            "shape: {type: ramp, users: 3, duration: 5s}\nabort_on_fail: {windw: 3s}\n",
            "unknown key 'windw' (did you mean 'window'?) in abort_on_fail",
        ),
        ("- a list\n", "must be a mapping"),
    ],
)
def test_bad_profiles_point_at_the_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile(write(tmp_path, text))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_durations() -> None:
    assert [parse_duration(v) for v in ("1.5s", "250ms", "2m", "1h", 7)] == [1.5, 0.25, 120, 3600, 7.0]
    with pytest.raises(ValueError):
        parse_duration("5 minutes")


# -- shapes -----------------------------------------------------------------------------------------


def test_spike_is_three_times_the_peak_for_a_short_window() -> None:
    shape = LoadShape(type="spike", users=10, spawn_rate=5, duration=60, spike_at=20, spike_duration=10)
    assert [p.name for p in schedule.phases(shape)] == ["baseline", "spike", "recovery"]
    assert schedule.tick(shape, 5)[0] == 10
    users, rate = schedule.tick(shape, 25)
    assert users == 30 and rate >= 20 / 2.5  # reaches the spike within a quarter of its window
    assert schedule.tick(shape, 45)[0] == 10
    assert schedule.tick(shape, 60) is None


def test_ramp_step_and_soak() -> None:
    ramp = LoadShape(type="ramp", users=20, spawn_rate=10, duration=30)
    assert [(p.name, p.start, p.end) for p in schedule.phases(ramp)] == [("ramp-up", 0, 2), ("hold", 2, 30)]
    step = LoadShape(type="step", users=10, steps=4, duration=40)
    assert [schedule.tick(step, t)[0] for t in (0, 10, 20, 39)] == [3, 5, 8, 10]
    assert [p.name for p in schedule.phases(step)] == ["step-1", "step-2", "step-3", "step-4"]
    soak = LoadShape(type="soak", users=5, spawn_rate=1, duration=3600)
    assert [p.name for p in schedule.phases(soak)] == ["ramp-up", "soak"]


# -- metrics and SLOs -------------------------------------------------------------------------------


def timeline_of(per_second: list[tuple[int, int, int]], endpoint: str = "GET /x") -> Timeline:
    """Seconds 0..n-1 with (requests, failures, latency ms) each."""
    timeline = Timeline(started=1000.0, ended=1000.0 + len(per_second))
    for index, (count, failures, ms) in enumerate(per_second):
        bucket = Bucket()
        bucket.add(count, failures, {ms: count})
        timeline.rows[(1000 + index, endpoint)] = bucket
    return timeline


def test_histogram_percentiles_and_metrics() -> None:
    histogram = {10: 90, 200: 9, 1000: 1}
    # linear interpolation between closest ranks, as in chaos and fuzz (was nearest rank: 10, 200, 1000)
    got = [histogram_percentile(histogram, q) for q in (50, 90, 95, 99, 100)]
    assert got == pytest.approx([10, 29, 200, 208, 1000])
    bucket = Bucket()
    bucket.add(100, 5, histogram)
    values = metrics_of([bucket], seconds=10, quantiles=[99.9])
    assert values["rps"] == 10 and values["error_rate"] == 0.05 and values["p(99.9)"] == pytest.approx(920.8)
    assert metrics_of([], seconds=1)["requests"] == 0


def test_timeline_reader_adds_partial_rows_and_waits_for_whole_lines(tmp_path: Path) -> None:
    samples, users = tmp_path / "s.jsonl", tmp_path / "u.jsonl"
    users.write_text('{"s": 100.2, "event": "start"}\n{"s": 101.2, "users": 3, "workers": 2}\n')
    row = {"s": 100, "m": "GET", "n": "/x", "c": 2, "f": 1, "h": {"10": 2}}
    samples.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n" + '{"s": 101, "m"')
    reader = TimelineReader(samples, users)
    timeline = reader.read()
    assert timeline.started == 100.2 and timeline.users == [(101.2, 3, 2)]
    assert timeline.rows[(100, "GET /x")].count == 4 and timeline.rows[(100, "GET /x")].failures == 2
    with samples.open("a") as handle:
        handle.write(': "GET", "n": "/x", "c": 1, "f": 0, "h": {"30": 1}}\n')
    assert reader.read().rows[(101, "GET /x")].count == 1


def test_failed_slo_says_which_by_how_much_and_when() -> None:
    fast, slow = (50, 0, 20), (50, 0, 400)
    timeline = timeline_of([fast] * 10 + [slow] * 10 + [fast] * 10)
    threshold = parse_threshold("p(95) < 300ms", kinds=DEFAULT_METRIC_KINDS)
    outcome = slo._check("run", threshold, timeline, 0, 30, None)
    assert not outcome.passed
    assert outcome.describe() == (
        "run: p(95) = 400ms, expected < 300ms (33% over), breached at 10-24s (first at 10s)"
    )
    assert (
        slo.excess_of(parse_threshold("rps > 100", kinds=DEFAULT_METRIC_KINDS).evaluate({"rps": 50}))
        == "50% under"
    )


def test_slos_per_endpoint_and_phase() -> None:
    timeline = timeline_of([(10, 0, 20)] * 10 + [(10, 5, 20)] * 10)
    timeline.rows[(1000, "POST /y")] = Bucket(5, 0, {900: 5})
    profile_slo = load_profile_slo(
        {
            "run": ["rps > 5"],
            "endpoints": {"POST /y": ["p(99) < 500ms"]},
            "phases": {"hold": ["error_rate < 10%"], "ramp-up": ["rps > 1"]},
        }
    )
    phases = schedule.phases(LoadShape(type="ramp", users=10, spawn_rate=1, duration=20))
    outcomes = {f"{o.scope}: {o.result.threshold}": o for o in slo.evaluate(profile_slo, timeline, phases)}
    assert outcomes["run: rps > 5"].passed
    assert not outcomes["endpoint POST /y: p(99) < 500ms"].passed
    assert not outcomes["phase hold: error_rate < 10%"].passed  # errors only start in the hold phase
    assert outcomes["phase ramp-up: rps > 1"].passed


def load_profile_slo(raw: dict) -> Slo:
    doc = parse_yaml(yaml.safe_dump({"slo": raw}), Path("p.yaml"))
    return Slo.model_validate(_parse_slo(doc.data["slo"], doc))


def test_sustained_breach_needs_every_second_of_the_window() -> None:
    threshold = parse_threshold("p(95) < 300ms", kinds=DEFAULT_METRIC_KINDS)
    flapping = timeline_of([(10, 0, 400), (10, 0, 20)] * 10)
    assert slo.sustained_breach(flapping, [threshold], now=20, window=3, grace=0) is None
    steady = timeline_of([(10, 0, 20)] * 5 + [(10, 0, 400)] * 5)
    assert slo.sustained_breach(steady, [threshold], now=7, window=3, grace=0) is None
    found = slo.sustained_breach(steady, [threshold], now=9, window=3, grace=0)
    assert found is not None and found[1].actual == 400
    assert slo.sustained_breach(steady, [threshold], now=9, window=3, grace=7) is None


# -- generated task mix -----------------------------------------------------------------------------


def test_task_mix_from_the_example_pacts() -> None:
    plan = generate.plan_tasks([load_pact(PACTS / "checkout-payments.json")])
    described = {t.description: t for t in plan.tasks}
    assert "a request for a payment" in described
    charge = described["a request to charge an order"]
    repeat = described["a repeated request to charge an order"]
    # A key the provider state set up is kept; any other is made unique to its interaction.
    assert repeat.headers["Idempotency-Key"] == "6f1c1a52-2b1e-4f7b-9a55-0d8d3a1f6c11:payment"
    assert charge.headers["Idempotency-Key"] != repeat.headers["Idempotency-Key"]
    assert charge.headers["Idempotency-Key"].endswith(":payment")
    assert (
        charge.expect_status == 201
        and described["a request for a payment that does not exist"].expect_status == 404
    )
    assert [s.params == {} for s in plan.states] == sorted(
        [s.params == {} for s in plan.states], reverse=True
    )


def test_unsafe_requests_are_left_out(tmp_path: Path) -> None:
    pact = {
        "consumer": {"name": "c"},
        "provider": {"name": "p"},
        "interactions": [
            {
                "description": "create without key",
                "request": {"method": "POST", "path": "/things"},
                "response": {"status": 201},
            },
            {
                "description": "a pending read",
                "pending": True,
                "request": {"method": "GET", "path": "/a"},
                "response": {"status": 200},
            },
            {"description": "a message", "type": "Asynchronous/Messages", "contents": {}},
            {
                "description": "read",
                "request": {"method": "GET", "path": "/things/1", "query": {"q": ["x"]}},
                "response": {"status": 200},
            },
        ],
    }
    path = tmp_path / "pact.json"
    path.write_text(json.dumps(pact))
    plan = generate.plan_tasks([load_pact(path)])
    assert [t.description for t in plan.tasks] == ["read"]
    reasons = {e.description: e.reason for e in plan.excluded}
    assert "without an Idempotency-Key" in reasons["create without key"]
    assert "pending" in reasons["a pending read"] and "not an HTTP request" in reasons["a message"]
    locustfile = generate.write_locustfile(plan.tasks, tmp_path / "gen.py", think_time_s=0.1)
    compile(locustfile.read_text(), str(locustfile), "exec")  # importing it would import locust here


# -- baseline ---------------------------------------------------------------------------------------


def test_baseline_compares_with_the_previous_run_of_the_same_shape(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    before = baseline.RunFigures("r1", "fp", p95_ms=100, error_rate=0.001, rps=50, requests=500)
    baseline.record(path, before)
    baseline.record(path, baseline.RunFigures("r2", "other-shape", 900, 0.5, 1, 10))
    assert baseline.previous_run(path, "fp") == before
    policy = Baseline(tolerance=0.2, error_rate_tolerance=0.01)
    same = baseline.RunFigures("r3", "fp", 115, 0.005, 45, 450)
    assert baseline.compare(before, same, policy) == []
    worse = baseline.RunFigures("r4", "fp", 130, 0.02, 30, 300)
    assert [r.metric for r in baseline.compare(before, worse, policy)] == ["p(95)", "error_rate", "rps"]
    assert "p(95) 100ms -> 130ms (+30%, tolerance +20%)" in baseline.compare(before, worse, policy)[0].text


# -- plots ------------------------------------------------------------------------------------------


def test_plot_is_a_png_with_fault_windows(tmp_path: Path) -> None:
    timeline = timeline_of([(20, 0, 20)] * 10 + [(20, 4, 300)] * 5 + [(20, 0, 25)] * 10)
    timeline.users = [(1000.0 + t, 5 if t < 10 else 15, 0) for t in range(25)]
    shape = LoadShape(type="spike", users=5, duration=25, spike_at=10, spike_duration=5)
    path = plots.plot_run(
        timeline,
        schedule.phases(shape),
        tmp_path / "p.png",
        title="t",
        faults=[("slow-provider", 10, 15)],
        slo=[parse_threshold("p(95) < 300ms")],
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


# -- process isolation ------------------------------------------------------------------------------


def test_interlock_never_imports_locust_or_gevent() -> None:
    code = (
        "import sys, interlock.app.cli, interlock.app.pipeline, interlock.stages.load.stage,"
        " interlock.stages.load.locust_process;"
        "print([m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# -- under a fault ----------------------------------------------------------------------------------


@dataclass
class _Seen:
    started: float
    reached_provider: bool = True


def test_amplification_per_fault_window() -> None:
    timeline = timeline_of([(10, 0, 20)] * 9)
    window = under_fault.FaultWindow(
        UnderFault(fault="slow", at=3, duration=3),
        fault=None,
        target=None,
        applied_at=1003.0,
        removed_at=1006.0,
    )
    phases = window.phases(timeline)
    assert [(p.name, p.start, p.end) for p in phases] == [
        ("before-fault", 0, 3),
        ("during-fault", 3, 6),
        ("after-fault", 6, 9),
    ]
    seen = (
        [_Seen(1000.5 + i / 12) for i in range(30)]
        + [_Seen(1003.5 + i / 100) for i in range(90)]
        + [_Seen(1004.0, reached_provider=False)] * 50
        + [_Seen(1007.0 + i / 10) for i in range(20)]
    )
    values = [under_fault.amplification(timeline, seen, p) for p in phases]
    # amplification counts what the consumer sent (the proxy saw 90 + 50 during the fault), as in
    # chaos; provider_requests only what reached the provider.
    assert [v["amplification"] for v in values] == [1.0, 140 / 30, 20 / 30]
    assert [v["provider_requests"] for v in values] == [30, 90, 20]
    assert [v["proxy_requests"] for v in values] == [30, 140, 20]
    assert values[1]["provider_rps"] == 30.0


def test_under_fault_profile_errors(tmp_path: Path) -> None:
    chaos_file = tmp_path / "chaos.yaml"
    chaos_file.write_text(
        "integration: a-b\nprobe: {method: GET, path: /}\nfaults:\n"
        "  - {name: slow-provider, toxics: [{type: latency, attributes: {latency: 100}}]}\n"
    )
    (tmp_path / "interlock.yaml").write_text(
        "version: 1\nservices:\n  a: {base_url: 'http://127.0.0.1:9'}\n  b: {base_url: 'http://127.0.0.1:8'}\n"
        f"integrations:\n  - {{name: a-b, consumer: a, provider: b, chaos: {chaos_file}}}\n"
        "  - {name: b-a, consumer: b, provider: a}\n"
    )
    manifest = load_manifest(tmp_path / "interlock.yaml")
    locustfile = tmp_path / "lf.py"
    locustfile.write_text("")

    def check(text: str, integration: str = "a-b") -> None:
        profile = load_profile(
            write(
                tmp_path,
                f"target: a\nlocustfile: {locustfile}\n"
                f"shape: {{type: ramp, users: 1, duration: 30s}}\n{text}",
            )
        )
        check_profile(manifest, manifest.integration(integration), profile)

    check(
        "under_fault: {fault: slow-provider, at: 5s, duration: 5s}\n"
        "slo: {phases: {during-fault: ['amplification <= 3']}}\n"
    )
    with pytest.raises(
        ConfigError, match=r"profile.yaml:4: no fault 'slow-providr' .*did you mean 'slow-provider'"
    ):
        check("under_fault: {fault: slow-providr, at: 5s, duration: 5s}\n")
    with pytest.raises(ConfigError, match="integration 'b-a' has no 'chaos:' file"):
        check("under_fault: slow-provider\n", integration="b-a")
    with pytest.raises(ConfigError, match="amplification is measured around a fault only"):
        check("slo: ['amplification <= 3']\n")
    with pytest.raises(ConfigError, match="no phase 'during-fault' in a ramp shape"):
        check("slo: {phases: {during-fault: ['rps > 1']}}\n")
