"""Trace propagation: the ids a probe call sends, what a provider request carries, the metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.faults.observation import Observation
from interlock.stages.chaos.catalogue import TRACED, catalogue_experiment
from interlock.stages.chaos.experiment import Probe, load_experiment, parse_gate
from interlock.stages.chaos.journal import CallRecord
from interlock.stages.chaos.metrics import measure
from interlock.stages.chaos.policy import ResiliencePolicy
from interlock.stages.chaos.tracing import call_headers, carried_ids, trace_id_of

T0 = 1_700_000_000.0
TRACE_A = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACE_B = "0af7651916cd43dd8448eb211c80319c"


def traceparent(trace: str, span: str = "00f067aa0ba902b7") -> str:
    return f"00-{trace}-{span}-01"


def call(i: int, start: float, ids: list[str]) -> CallRecord:
    return CallRecord(
        index=i, started=T0 + start, finished=T0 + start + 0.05, status=201, ok=True, trace_ids=ids
    )


def obs(seq: int, start: float, **headers: str) -> Observation:
    return Observation(
        seq=seq, started=T0 + start, finished=T0 + start + 0.01, method="POST", path="/p", **headers
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (traceparent(TRACE_A), TRACE_A),
        (f"  {traceparent(TRACE_A)} ", TRACE_A),
        (f"01-{TRACE_A}-00f067aa0ba902b7-01-future", TRACE_A),  # a later version may add fields
        (f"00-{TRACE_A}-00f067aa0ba902b7-01-extra", None),  # version 00 has exactly four
        (f"ff-{TRACE_A}-00f067aa0ba902b7-01", None),
        (traceparent("0" * 32), None),
        (traceparent(TRACE_A, "0" * 16), None),
        (traceparent(TRACE_A.upper()), None),
        (TRACE_A, None),
        (None, None),
    ],
)
def test_trace_id_of_follows_w3c_trace_context(value: str | None, expected: str | None) -> None:
    assert trace_id_of(value) == expected


def test_each_call_gets_a_fresh_traceparent_unless_the_probe_sets_an_id() -> None:
    first, (first_id,) = call_headers({"Accept": "application/json"})
    second, (second_id,) = call_headers({"Accept": "application/json"})
    assert first["Accept"] == "application/json"
    assert trace_id_of(first["traceparent"]) == first_id and trace_id_of(second["traceparent"]) == second_id
    assert first_id != second_id and first["traceparent"].endswith("-01")  # sampled

    own = {"TraceParent": traceparent(TRACE_A)}
    assert call_headers(own) == (own, [TRACE_A])
    request_id = {"X-Request-Id": "req-42"}
    assert call_headers(request_id) == (request_id, ["req-42"])  # followed, and no traceparent added
    both = {"traceparent": traceparent(TRACE_B), "X-Correlation-Id": "corr-7"}
    assert call_headers(both) == (both, [TRACE_B, "corr-7"])


def test_a_request_carries_its_trace_id_and_request_ids() -> None:
    assert carried_ids(obs(1, 0, traceparent=traceparent(TRACE_A, "b7ad6b7169203331"))) == {TRACE_A}
    assert carried_ids(obs(1, 0, request_id="req-1", correlation_id="corr-1")) == {"req-1", "corr-1"}
    assert carried_ids(obs(1, 0, traceparent="garbage")) == set()
    assert carried_ids(obs(1, 0)) == set()


def test_trace_propagation_links_requests_by_trace_id_not_by_time() -> None:
    calls = [call(1, 0.0, [TRACE_A]), call(2, 1.0, [TRACE_B])]
    observations = [
        obs(1, 0.01, traceparent=traceparent(TRACE_A, "1111111111111111")),
        # a late retry of call 1 arriving after call 2 started still carries call 1's trace
        obs(2, 1.01, traceparent=traceparent(TRACE_A, "2222222222222222")),
        obs(3, 1.02, traceparent=traceparent(TRACE_B, "3333333333333333")),
        obs(4, 1.03, traceparent=traceparent("f" * 32)),  # a new trace: not propagated
        obs(5, 1.04),  # no trace at all
    ]
    assert measure(calls, observations)["trace_propagation"] == pytest.approx(3 / 5)
    assert measure(calls, observations[:3])["trace_propagation"] == 1.0


def test_request_ids_count_and_earlier_calls_ids_too() -> None:
    calls = [call(1, 0.0, ["req-9"])]
    renamed = [obs(1, 0.01, correlation_id="req-9")]  # passed on under the other header
    assert measure(calls, renamed)["trace_propagation"] == 1.0
    late = [obs(1, 0.01, traceparent=traceparent(TRACE_A))]  # from a call of an earlier phase
    assert measure(calls, late)["trace_propagation"] == 0.0
    assert measure(calls, late, earlier_ids={TRACE_A})["trace_propagation"] == 1.0


def test_no_request_means_no_data() -> None:
    assert measure([call(1, 0.0, [TRACE_A])], [])["trace_propagation"] is None
    assert parse_gate("trace_propagation >= 99%").evaluate({}).passed is False


def test_a_probe_with_an_invalid_traceparent_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(
        "integration: a-b\n"
        "probe:\n"
        "  path: /x\n"
        "  headers: {traceparent: not-a-trace}\n"
        "faults: [{name: f, http_error: {status: 503}, expect: ['trace_propagation >= 99%']}]\n"
    )
    with pytest.raises(
        ConfigError, match=r"exp\.yaml:4: probe\.headers: traceparent: .*not a valid W3C traceparent"
    ):
        load_experiment(path)


def test_the_catalogue_gates_trace_propagation_when_the_policy_promises_it() -> None:
    probe = Probe(path="/orders")
    plain = catalogue_experiment("a-b", ResiliencePolicy(budget=1.0), probe)
    assert TRACED not in plain.steady_state and all(TRACED not in f.expect for f in plain.faults)

    traced = catalogue_experiment("a-b", ResiliencePolicy(budget=1.0, trace="traceparent"), probe)
    assert TRACED in traced.steady_state
    assert {f.name for f in traced.faults if TRACED in f.expect} == {
        f.name for f in traced.faults if not f.down
    }
    assert [f.name for f in traced.faults if f.down] == ["provider-down"]
