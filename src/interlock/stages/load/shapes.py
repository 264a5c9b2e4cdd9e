"""Locust LoadTestShape classes for interlock's shapes: ramp, step, spike (3x peak) and soak.

Imported only inside the Locust process (it imports locust, which monkey-patches the world with
gevent). The schedule itself lives in :mod:`interlock.stages.load.schedule`, shared with interlock's
process, so the phases interlock reports on are the ones Locust ran.
"""

from __future__ import annotations

from locust import LoadTestShape

from interlock.stages.load import schedule
from interlock.stages.load.profile import LoadShape


class ProfileShape(LoadTestShape):
    """A shape driven by a profile's ``shape:`` mapping."""

    #: Set by :func:`shape_for`; a class attribute because Locust instantiates shapes itself.
    spec: LoadShape | None = None
    abstract = True

    def tick(self) -> tuple[int, float] | None:
        assert self.spec is not None
        return schedule.tick(self.spec, self.get_run_time())


class RampShape(ProfileShape):
    """0 -> users at spawn_rate, then hold."""

    abstract = True


class StepShape(ProfileShape):
    """Equal steps up to users."""

    abstract = True


class SpikeShape(ProfileShape):
    """Expected peak, a short window at spike_factor x peak (3x by default), back to peak."""

    abstract = True


class SoakShape(ProfileShape):
    """Ramp up, then hold for a long time."""

    abstract = True


SHAPES: dict[str, type[ProfileShape]] = {
    "ramp": RampShape,
    "step": StepShape,
    "spike": SpikeShape,
    "soak": SoakShape,
}


def shape_for(spec: LoadShape) -> type[ProfileShape]:
    """A concrete shape class for ``spec`` (a fresh subclass, so specs never leak between runs)."""
    base = SHAPES[spec.type]
    return type(f"Interlock{base.__name__}", (base,), {"spec": spec, "abstract": False})
