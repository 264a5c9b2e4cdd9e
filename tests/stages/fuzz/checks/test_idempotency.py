"""The idempotency check on recorded exchanges: what varies by itself and what HTTP allows never
fires; a repeat that changes the answer does, once, with why and how sure."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from interlock.stages.fuzz.checks import CheckFailed, Exchange, ReplayTooSlow
from interlock.stages.fuzz.checks.idempotency import (
    KEY_CAUSE,
    REPEAT_CAUSE,
    IdempotencyState,
    idempotency,
    stable_differences,
)
from tests.stages.fuzz.checks.exchanges import Server, answers, exchange


def repeat(first: tuple[int, Any], *replays: tuple[int, Any], method: str = "GET", **kwargs: Any) -> None:
    """Run the check on ``first`` whose resends get ``replays``."""
    operation = f"{method} /things/{{id}}"
    status, body = first
    seen = exchange(
        body, status=status, method=method, operation=operation, server=answers(*replays), **kwargs
    )
    idempotency(seen, IdempotencyState(samples=10))


def fails(
    first: tuple[int, Any], *replays: tuple[int, Any], method: str = "GET", **kwargs: Any
) -> CheckFailed:
    with pytest.raises(CheckFailed) as failed:
        repeat(first, *replays, method=method, **kwargs)
    return failed.value


def test_what_varies_between_replays_is_never_judged() -> None:
    """GET /uuid, a timestamp, a counter: the replays disagree with each other, so nothing fires."""
    ids = iter(str(uuid.uuid4()) for _ in range(3))
    repeat((200, {"uuid": next(ids)}), (200, {"uuid": next(ids)}), (200, {"uuid": next(ids)}))
    repeat((200, {"hits": 1, "name": "c"}), (200, {"hits": 2, "name": "c"}), (200, {"hits": 3, "name": "c"}))
    repeat((200, {"items": []}), (200, {"items": [1]}), (200, {"items": [1, 2]}))


def test_timestamps_and_ids_are_ignored_even_when_the_replays_agree() -> None:
    """A clock that ticks between the first request and the replays, a new request id per answer."""
    repeat(
        (
            200,
            {
                "now": "2026-12-03T17:59:59Z",
                "epoch": 1796320799,
                "request": "0b6f8c1e-2f4a-4c1a-9a57-3c2b1d0e9f88",
            },
        ),
        (
            200,
            {
                "now": "2026-12-03T18:00:00Z",
                "epoch": 1796320800,
                "request": "7d1e2c3b-4a5f-4e6d-8c7b-9a0f1e2d3c4b",
            },
        ),
    )


def test_a_random_status_is_not_judged() -> None:
    """httpbin's /status/200,404 picks a code at random: the replays disagree, nothing is stable."""
    repeat((200, {}), (404, {}), (200, {}))


def test_put_may_answer_201_then_200_or_204() -> None:
    repeat(
        (201, {"name": "a", "version": 1}),
        (200, {"name": "a", "version": 2}),
        (200, {"name": "a", "version": 3}),
        method="PUT",
    )
    repeat((201, None), (204, None), method="PUT")
    repeat((200, {"name": "a"}), (204, None), method="PUT")


@pytest.mark.parametrize("gone", [404, 410, 403])
def test_delete_may_answer_gone_or_forbidden_once_the_resource_is_gone(gone: int) -> None:
    repeat((200, {"deleted": True}), (gone, {"detail": "x"}), method="DELETE")
    repeat((204, None), (gone, {"detail": "x"}), method="DELETE")


def test_a_conditional_request_may_fail_its_precondition_on_repeat() -> None:
    """kinto: PUT with If-Match succeeds, changes the ETag, and the same If-Match then answers 412."""
    repeat(
        (200, {"id": "a"}),
        (412, {"detail": "precondition"}),
        method="PUT",
        request_headers={"If-Match": '"1"'},
    )
    repeat((200, {"id": "a"}), (412, {}), method="DELETE", request_headers={"If-Match": '"1"'})


def test_a_get_that_consumes_its_resource_is_found_with_high_confidence() -> None:
    failed = fails((200, {"ticket": "t1"}), (410, {"detail": "used"}))
    assert failed.cause == REPEAT_CAUSE
    assert "RFC 9110 §9.2.2" in failed.judgement.why and "200, then 410 twice" in failed.judgement.why
    assert failed.judgement.confidence == "high"
    assert failed.curls and len(failed.curls) == 3


def test_a_repeat_that_fails_is_found() -> None:
    failed = fails((204, None), (500, {"detail": "boom"}), method="DELETE")
    assert failed.cause == REPEAT_CAUSE and failed.judgement.confidence == "high"
    assert "repeated answered 500 after 204" in failed.title


def test_a_stable_change_of_the_body_is_found_with_medium_confidence() -> None:
    failed = fails(
        (200, {"state": "new", "at": 1}), (200, {"state": "seen", "at": 2}), (200, {"state": "seen", "at": 3})
    )
    assert failed.cause == REPEAT_CAUSE and failed.judgement.confidence == "medium"
    assert "$.state" in failed.message and "$.at" not in failed.message


def test_status_and_body_problems_of_one_operation_share_one_cause() -> None:
    """One defect, one finding: the dedup key (operation, check, cause) cannot split it in two."""
    by_status = fails((200, {"a": 1}), (404, {}))
    by_body = fails((200, {"a": 1}), (200, {"a": 2}))
    assert by_status.cause == by_body.cause == REPEAT_CAUSE


def test_throttled_replays_are_not_judged() -> None:
    repeat((200, {"a": 1}), (429, {}))
    repeat((200, {"a": 1}), (503, {}))


def test_stable_differences() -> None:
    assert stable_differences({"a": 1, "b": 1}, {"a": 2, "b": 2}, {"a": 2, "b": 3}) == ["$.a"]
    assert stable_differences({"a": [1]}, {"a": [1, 2]}, {"a": [1, 2]}) == ["$.a[1]"]
    assert stable_differences({"a": 1}, {"a": 1}, {"a": 1}) == []


# --- keyed writes ----------------------------------------------------------------------------------


def keyed_write(server: Server, key: str | None = "k-1") -> Exchange:
    headers = {"Idempotency-Key": key} if key else {}
    status, body = server(headers)
    return exchange(
        body, status=status, method="POST", operation="POST /payments", request_headers=headers, server=server
    )


def test_a_write_that_honours_its_key_passes() -> None:
    remembered: dict[str, tuple[int, Any]] = {}
    ids = itertools.count()

    def honours(headers: Mapping[str, str]) -> tuple[int, Any]:
        key = headers.get("Idempotency-Key")
        if key and key in remembered:
            return remembered[key]
        answer = (201, {"id": f"pay_{next(ids)}"})
        if key:
            remembered[key] = answer
        return answer

    state = IdempotencyState(keyed_operations={"POST /payments"})
    idempotency(keyed_write(honours), state)
    idempotency(keyed_write(honours, key=None), state)  # the check brings its own key


def test_a_write_that_ignores_its_key_makes_a_second_resource() -> None:
    ids = itertools.count()
    state = IdempotencyState(keyed_operations={"POST /payments"})
    with pytest.raises(CheckFailed) as failed:
        idempotency(keyed_write(lambda _h: (201, {"id": f"pay_{next(ids)}"})), state)
    assert failed.value.cause == KEY_CAUSE and failed.value.judgement.confidence == "high"
    assert "second resource" in failed.value.title
    assert (
        failed.value.curls
        and len(failed.value.curls) == 2
        and "Idempotency-Key: k-1" in failed.value.curls[0]
    )


def test_replays_are_bounded_per_operation_and_skip_undeclared_writes() -> None:
    calls = []

    def ignores(headers: Mapping[str, str]) -> tuple[int, Any]:
        calls.append(headers)
        return 201, {"id": str(len(calls))}

    idempotency(keyed_write(ignores), IdempotencyState(keyed_operations=set()))  # no key declared: no replay
    assert len(calls) == 1
    state = IdempotencyState(keyed_operations={"POST /payments"}, samples=1)
    with pytest.raises(CheckFailed):
        idempotency(keyed_write(ignores), state)
    idempotency(keyed_write(ignores), state)  # the one sample is spent


def test_a_slow_request_is_not_replayed_and_keeps_its_sample() -> None:
    calls: list[Mapping[str, str]] = []

    def server(headers: Mapping[str, str]) -> tuple[int, Any]:
        calls.append(headers)
        return 404, {}

    state = IdempotencyState(samples=1, max_elapsed_s=1.0)
    slow = exchange({"a": 1}, server=server)
    slow.elapsed_ms = 1500
    idempotency(slow, state)
    assert calls == []
    with pytest.raises(CheckFailed):
        idempotency(exchange({"a": 1}, server=server), state)  # the sample was still there


def test_a_request_whose_body_came_slowly_is_not_replayed() -> None:
    """httpbin's /drip sends its head at once and its body over 2 s: the whole exchange counts."""
    calls: list[Mapping[str, str]] = []

    def server(headers: Mapping[str, str]) -> tuple[int, Any]:
        calls.append(headers)
        return 404, {}

    dripped = exchange({"a": 1}, server=server)
    dripped.elapsed_ms, dripped.total_ms = 3, 2004
    idempotency(dripped, IdempotencyState(samples=1, max_elapsed_s=1.0))
    assert calls == []
    quick = exchange({"a": 1}, server=server)
    quick.elapsed_ms, quick.total_ms = 3, 40
    with pytest.raises(CheckFailed):
        idempotency(quick, IdempotencyState(samples=1, max_elapsed_s=1.0))
    assert len(calls) == 2


def test_a_replay_that_answers_like_the_first_request_is_the_only_one() -> None:
    """A second replay can only show a defect when the first disagreed: one extra request, not two."""
    sent: list[Mapping[str, str]] = []

    def server(headers: Mapping[str, str]) -> tuple[int, Any]:
        sent.append(headers)
        return 200, {"name": "c", "at": "2026-12-03T18:00:00Z"}

    idempotency(exchange({"name": "c", "at": "2026-12-03T17:59:59Z"}, server=server), IdempotencyState())
    assert len(sent) == 1
    sent.clear()
    with pytest.raises(CheckFailed):  # the first replay disagrees: the second one decides
        idempotency(
            exchange({"name": "c"}, server=lambda h: (sent.append(h), (200, {"name": "d"}))[1]),
            IdempotencyState(),
        )
    assert len(sent) == 2


def test_a_replay_too_slow_to_read_is_not_judged() -> None:
    """A dripped or streamed answer abandoned by the engine (ReplayTooSlow) is no finding."""

    def server(headers: Mapping[str, str]) -> tuple[int, Any]:
        raise ReplayTooSlow("the replay took longer than 2s")

    idempotency(exchange({"name": "c"}, server=server), IdempotencyState())
