"""``soak``: ramp up, then hold for a long time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from interlock.stages.load.shapes.base import Shape, Step, register_shape
from interlock.stages.load.shapes.ramp import ramp_then_hold

if TYPE_CHECKING:
    from interlock.stages.load.profile import LoadShape


@register_shape
class Soak(Shape):
    """Ramp up to ``users``, then hold them for a long ``duration``."""

    name = "soak"

    def steps(self, spec: LoadShape) -> list[Step]:
        return ramp_then_hold(spec, "soak")
