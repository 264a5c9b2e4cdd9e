"""The Locust side of interlock's shapes: one LoadTestShape that follows a profile's schedule.

Imported only inside the Locust process (it imports locust, which monkey-patches the world with
gevent). The schedule itself is the shape's (:mod:`interlock.stages.load.shapes`), read through
:mod:`interlock.stages.load.schedule` as interlock's process reads it, so the phases interlock
reports on are the ones Locust ran.
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


def shape_for(spec: LoadShape) -> type[ProfileShape]:
    """A concrete shape class for ``spec`` (a fresh subclass, so specs never leak between runs)."""
    name = f"Interlock{spec.type.title().replace('_', '')}Shape"
    return type(name, (ProfileShape,), {"spec": spec, "abstract": False})
