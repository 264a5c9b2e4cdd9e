"""What a load shape is (:class:`Shape`, its :class:`Step` s) and the registry of shapes."""

from __future__ import annotations

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
