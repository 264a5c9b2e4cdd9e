"""interlock's load shapes: one class per shape, holding its schedule arithmetic.

Like a Locust ``LoadTestShape``, a shape says how many users run when; unlike it, a shape here is
plain arithmetic with no Locust import, so interlock's process can read the same schedule (the
phases SLOs are scoped to, when to apply a fault) that the Locust process runs
(:mod:`interlock.stages.load.locust_shape` wraps it in a LoadTestShape there).

A new shape is one class here (or in any module imported before profiles load), registered with
:func:`register_shape`; the profile's ``shape: {type: NAME}`` accepts every registered name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

if TYPE_CHECKING:
    from interlock.stages.load.profile import LoadShape


@dataclass(frozen=True)
class Step:
    """Hold ``users`` (reached at ``spawn_rate``) until ``until`` seconds, in the named phase."""

    until: float
    users: int
    spawn_rate: float
    phase: str


class Shape:
    """One shape's schedule, from a profile's ``shape:`` mapping (a :class:`LoadShape`)."""

    #: The profile's ``type:`` for this shape.
    name: ClassVar[str]

    def steps(self, spec: LoadShape) -> list[Step]:
        """The run as consecutive steps; it ends after the last one."""
        raise NotImplementedError

    def check(self, spec: LoadShape) -> None:
        """Reject a ``shape:`` mapping this shape cannot run (ValueError, shown at its line)."""


#: Name -> shape, for every shape a profile may name.
SHAPES: dict[str, Shape] = {}

S = TypeVar("S", bound=type[Shape])


def register_shape(cls: S) -> S:
    """Class decorator: make ``cls`` the shape named ``cls.name``."""
    existing = SHAPES.get(cls.name)
    if existing is not None and type(existing).__qualname__ != cls.__qualname__:
        raise ValueError(f"a load shape named {cls.name!r} is already registered")
    SHAPES[cls.name] = cls()
    return cls


def _ramp_then_hold(spec: LoadShape, hold: str) -> list[Step]:
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
        return _ramp_then_hold(spec, "hold")


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


@register_shape
class Soak(Shape):
    """Ramp up to ``users``, then hold them for a long ``duration``."""

    name = "soak"

    def steps(self, spec: LoadShape) -> list[Step]:
        return _ramp_then_hold(spec, "soak")
