"""The user count over time of a profile's shape, and the named phases SLOs can be scoped to.

Pure arithmetic with no Locust import: the interlock process uses it to know the phases and
when to apply a fault, and :mod:`interlock.stages.load.locust_shape` wraps it in Locust's
LoadTestShape inside the Locust process, so both sides agree on one schedule. Each shape's own
arithmetic is its class in :mod:`interlock.stages.load.shapes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.stages.load.profile import LoadShape
from interlock.stages.load.shapes import SHAPES, Step


@dataclass(frozen=True)
class Phase:
    """A named stretch of the run, ``[start, end)`` in seconds from the start."""

    name: str
    start: float
    end: float

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


def steps(shape: LoadShape) -> list[Step]:
    """The shape as consecutive steps (its registered class's arithmetic); the run ends after the last."""
    return SHAPES[shape.type].steps(shape)


def tick(shape: LoadShape, run_time: float) -> tuple[int, float] | None:
    """``(users, spawn_rate)`` at ``run_time`` seconds, or None once the run is over."""
    for stage in steps(shape):
        if run_time < stage.until:
            return stage.users, stage.spawn_rate
    return None


def phases(shape: LoadShape) -> list[Phase]:
    """The named phases of the shape, in order."""
    start = 0.0
    found = []
    for stage in steps(shape):
        found.append(Phase(stage.phase, start, stage.until))
        start = stage.until
    return found
