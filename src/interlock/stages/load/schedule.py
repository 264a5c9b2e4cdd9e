"""The user count over time for each shape, and the named phases SLOs can be scoped to.

Pure arithmetic with no Locust import: the interlock process uses it to know the phases and
when to apply a fault, and :mod:`interlock.stages.load.shapes` wraps it in Locust's LoadTestShape
inside the Locust process, so both sides agree on one schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from interlock.stages.load.profile import LoadShape


@dataclass(frozen=True)
class Phase:
    """A named stretch of the run, ``[start, end)`` in seconds from the start."""

    name: str
    start: float
    end: float

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Step:
    """Hold ``users`` (reached at ``spawn_rate``) until ``until`` seconds."""

    until: float
    users: int
    spawn_rate: float
    phase: str


def steps(shape: LoadShape) -> list[Step]:
    """The shape as consecutive steps; the run ends after the last one."""
    duration, users, rate = shape.duration, shape.users, shape.spawn_rate
    if shape.type in ("ramp", "soak"):
        ramp_s = min(duration, users / rate)
        hold = "hold" if shape.type == "ramp" else "soak"
        if ramp_s >= duration:
            return [Step(duration, users, rate, "ramp-up")]
        return [Step(ramp_s, users, rate, "ramp-up"), Step(duration, users, rate, hold)]
    if shape.type == "step":
        step_s = duration / shape.steps
        return [
            Step(step_s * (i + 1), max(1, math.ceil(users * (i + 1) / shape.steps)), rate, f"step-{i + 1}")
            for i in range(shape.steps)
        ]
    # spike: the expected peak, then spike_factor x peak for a short window, then back.
    at = shape.spike_at if shape.spike_at is not None else duration / 3
    length = shape.spike_duration if shape.spike_duration is not None else duration / 6
    peak = max(users, math.ceil(users * shape.spike_factor))
    # Reach the spike fast: a spike that takes its whole window to ramp up is no spike.
    spike_rate = max(rate, (peak - users) / max(length / 4, 0.5))
    return [
        Step(at, users, rate, "baseline"),
        Step(at + length, peak, spike_rate, "spike"),
        Step(duration, users, spike_rate, "recovery"),
    ]


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
