"""``step``: equal steps up to users."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from interlock.stages.load.shapes.base import Shape, Step, register_shape

if TYPE_CHECKING:
    from interlock.stages.load.profile import LoadShape


@register_shape
class StepUp(Shape):
    """``steps`` equal steps up to ``users``, each held ``duration / steps``."""

    name = "step"

    def steps(self, spec: LoadShape) -> list[Step]:
        step_s = spec.duration / spec.steps
        return [
            Step(
                step_s * (i + 1),
                max(1, math.ceil(spec.users * (i + 1) / spec.steps)),
                spec.spawn_rate,
                f"step-{i + 1}",
            )
            for i in range(spec.steps)
        ]
