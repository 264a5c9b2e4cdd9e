"""A change is identified by what and where, not by how a consumer depends on it."""

from __future__ import annotations

from interlock.openapi.changes import Change, Level, Target


def test_location_and_identity() -> None:
    one = Change(
        "response-property-removed",
        Level.BREAKING,
        "GET /payments/{payment_id}",
        "status was removed",
        "#/components/schemas/Payment/properties/status",
        Target("GET", "/payments/{payment_id}", "reads", status="200", path=("status",)),
    )
    same_but_target = Change(
        one.rule, one.level, one.operation, one.message, one.pointer, Target("GET", "/x", "any")
    )
    assert one.location == "GET /payments/{payment_id} #/components/schemas/Payment/properties/status"
    assert one == same_but_target and len({one, same_but_target}) == 1
    assert one != Change(one.rule, Level.POTENTIAL, one.operation, one.message, one.pointer, one.target)
    assert [level.value for level in Level] == ["breaking", "potentially-breaking", "non-breaking"]
