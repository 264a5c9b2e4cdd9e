"""``spike``: the expected peak, a short window at spike_factor x peak (3x by default), back."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from interlock.stages.load.shapes.base import Shape, Step, register_shape

if TYPE_CHECKING:
    from interlock.stages.load.profile import LoadShape


@register_shape
class Spike(Shape):
    """The expected peak (``users``), ``spike_factor`` x peak for a short window, then back.

    Teams test at three times the expected peak (the default factor). The window starts at
    ``spike_at`` (a third of the run by default) and lasts ``spike_duration`` (a sixth).
    """

    name = "spike"

    @staticmethod
    def window(spec: LoadShape) -> tuple[float, float]:
        at = spec.spike_at if spec.spike_at is not None else spec.duration / 3
        length = spec.spike_duration if spec.spike_duration is not None else spec.duration / 6
        return at, length

    def check(self, spec: LoadShape) -> None:
        at, length = self.window(spec)
        if at + length > spec.duration:
            raise ValueError(
                f"the spike ({at:g}s + {length:g}s) must end within duration ({spec.duration:g}s)"
            )

    def steps(self, spec: LoadShape) -> list[Step]:
        at, length = self.window(spec)
        users, rate = spec.users, spec.spawn_rate
        peak = max(users, math.ceil(users * spec.spike_factor))
        # Reach the spike fast: a spike that takes its whole window to ramp up is no spike.
        spike_rate = max(rate, (peak - users) / max(length / 4, 0.5))
        return [
            Step(at, users, rate, "baseline"),
            Step(at + length, peak, spike_rate, "spike"),
            Step(spec.duration, users, spike_rate, "recovery"),
        ]
