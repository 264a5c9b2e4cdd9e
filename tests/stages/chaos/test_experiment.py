"""Experiment files: valid ones load, every bad one is one `file:line: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.stages.chaos.experiment import load_experiment

VALID = """\
integration: checkout-payments
probe: {method: post, path: /orders, json: {sku: SKU-1, qty: 1}, timeout: 2s}
calls: 4
steady_state: ["success_rate >= 99%", "p(95) < 300ms"]
recovery: steady_state within 5s
faults:
  - name: slow
    toxics: [{type: latency, attributes: {latency: 800}}]
    calls: 3
    expect: ["p(99) < 1200ms", "amplification <= 3"]
  - name: errors
    http_error: {status: 503, retry_after: 1}
    expect: ["fail_fast_after <= 5", "retry_gap_avg >= 10ms"]
  - name: down
    down: true
    expect: ["p(99) < 1s"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


def test_a_valid_experiment_loads_with_defaults_and_units(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, VALID))
    assert (
        exp.probe.method == "POST"
        and exp.probe.timeout == 2.0
        and exp.probe.json_body == {"sku": "SKU-1", "qty": 1}
    )
    assert exp.recovery.within_s == 5.0 and exp.recovery.streak == 3
    assert [exp.calls_for(f) for f in exp.faults] == [3, 4, 4]
    assert exp.faults[1].http_error is not None and exp.faults[1].http_error.retry_after == 1
    assert [str(g) for g in exp.fault_gates(exp.faults[0])] == ["p(99) < 1200ms", "amplification <= 3"]
    assert exp.faults[0].toxics[0].stream == "downstream"


@pytest.mark.parametrize(
    "recovery, seconds",
    [("10s", 10.0), ("steady_state within 500ms", 0.5), (3, 3.0), ("{within: 2s, streak: 2}", 2.0)],
)
def test_recovery_forms(tmp_path: Path, recovery: str, seconds: float) -> None:
    exp = load_experiment(write(tmp_path, VALID.replace("steady_state within 5s", str(recovery))))
    assert exp.recovery.within_s == seconds


@pytest.mark.parametrize(
    ("edit", "line", "problem"),
    [
        (("calls: 4", "cals: 4"), 3, "unknown key 'cals' (did you mean 'calls'?)"),
        (("timeout: 2s", "timeout: soon"), 2, "expected a duration"),
        (("type: latency", "type: lag"), 8, "faults.0.toxics.0.type"),
        (("p(99) < 1200ms", "p99 < 1200ms"), 10, "write percentiles as 'p(99)'"),
        (("amplification <= 3", "amplificaton <= 3"), 10, "did you mean 'amplification'"),
        (("retry_gap_avg >= 10ms", "retry_gap_avg >= 10%"), 13, "does not fit duration metric"),
        (
            ("    down: true\n", "    calls: 2\n"),
            14,
            "needs 'toxics', 'http_error', 'auth_expiry' or 'down: true'",
        ),
        (("    down: true\n", "    down: true\n    auth_expiry: {}\n"), 14, "would never apply"),
        (("    down: true\n", "    auth_expiry: {ttl: 3}\n"), 15, "unknown key 'ttl'"),
        (("name: errors", "name: slow"), 1, "fault name 'slow' is used more than once"),
        (('"p(95) < 300ms"', '"recovery_s < 3"'), 4, "measured after a fault"),
        (("calls: 4", "calls: 100000"), 3, "calls"),
        (("latency: 800", "latency: fast"), 8, "latency"),
    ],
)
def test_bad_experiments_point_at_the_line(
    tmp_path: Path, edit: tuple[str, str], line: int, problem: str
) -> None:
    path = write(tmp_path, VALID.replace(*edit))
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert str(info.value).startswith(f"{path}:{line}: "), str(info.value)
    assert problem in str(info.value)
    assert "\n" not in str(info.value)


#: DESIGN.md's own example, as written there.
DESIGN_EXAMPLE = """\
integration: checkout-payments
probe: {method: POST, path: /orders, json: {sku: "SKU-1", qty: 1}}   # sent to the consumer
calls: 20
steady_state: ["success_rate >= 99%", "p(95) < 300ms"]
faults:
  - name: slow-provider
    toxics: [{type: latency, stream: downstream, attributes: {latency: 3000}}]
    expect: ["p(99) < 1500ms", "amplification <= 3"]
  - name: provider-down
    down: true
    expect: ["fail_fast_after <= 5", "duplicate_writes == 0"]
recovery: "steady_state within 10s"
"""


def test_provider_side_gates_under_down_load_with_the_embedded_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded proxy counts the connections a down provider refuses (docs/chaos.md)."""
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    exp = load_experiment(write(tmp_path, DESIGN_EXAMPLE))
    assert [str(g) for g in exp.fault_gates(exp.faults[1])] == [
        "fail_fast_after <= 5",
        "duplicate_writes == 0",
    ]


def test_behind_a_real_toxiproxy_they_are_refused_naming_the_embedded_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOXIPROXY_URL", "http://127.0.0.1:8474")
    path = write(tmp_path, DESIGN_EXAMPLE)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert message.startswith(f"{path}:11: faults.1.expect.0: 'fail_fast_after' cannot be measured"), message
    assert "TOXIPROXY_URL" in message and "embedded proxy" in message and "\n" not in message
    # Consumer-side gates are fine there.
    load_experiment(
        write(
            tmp_path,
            DESIGN_EXAMPLE.replace('"fail_fast_after <= 5", "duplicate_writes == 0"', '"p(99) < 1s"'),
        )
    )


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_experiment(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ConfigError, match="no such file"):
        load_experiment(tmp_path / "missing.yaml")


def test_the_example_experiments_load() -> None:
    root = Path(__file__).resolve().parents[3]
    for path in sorted((root / "chaos").glob("*.yaml")):
        exp = load_experiment(path)
        assert exp.integration == path.stem
