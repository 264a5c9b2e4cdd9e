"""``ramp`` and what ``soak`` shares with it: 0 -> users at spawn_rate, then hold."""

from __future__ import annotations

from typing import TYPE_CHECKING

from interlock.stages.load.shapes.base import Shape, Step, register_shape

if TYPE_CHECKING:
    from interlock.stages.load.profile import LoadShape


def ramp_then_hold(spec: LoadShape, hold: str) -> list[Step]:
    """Ramp up at spawn_rate (the whole run if it takes that long), then the ``hold`` phase."""
    ramp_s = min(spec.duration, spec.users / spec.spawn_rate)
    if ramp_s >= spec.duration:
        return [Step(spec.duration, spec.users, spec.spawn_rate, "ramp-up")]
    return [
        Step(ramp_s, spec.users, spec.spawn_rate, "ramp-up"),
        Step(spec.duration, spec.users, spec.spawn_rate, hold),
    ]


@register_shape
class Ramp(Shape):
    """0 -> ``users`` at ``spawn_rate``, then hold for the rest of ``duration``."""

    name = "ramp"

    def steps(self, spec: LoadShape) -> list[Step]:
        return ramp_then_hold(spec, "hold")
