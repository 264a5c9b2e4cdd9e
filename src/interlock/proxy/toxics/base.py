"""What every toxic type is made of: its attribute schema and its behaviour on one link.

A *toxic* is what the API holds (name, type, stream, toxicity, attributes). A *stub* is that toxic
on one link of one connection: it carries the toxicity roll and per-link timers. The behaviour is a
:class:`Kind`, shared by every toxic of a type; its hooks mirror Toxiproxy's ``Pipe``, ``Cleanup``
and EOF handling.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from interlock.proxy.link import Link

#: Sends a chunk on to the next stage of the chain: ``await out(data, timestamp)``.
Out = Callable[[bytes, float], Awaitable[None]]


@dataclass(frozen=True)
class Attribute:
    """One attribute: its JSON name and its Go type (which decides what the API accepts)."""

    name: str
    go_type: str = "int64"  # "int64", "int", "string", "*int64" (nullable), "float64"
    default: Any = 0


class Stub:
    """A toxic on one link: the toxicity roll, timers and sleeps that belong to that link."""

    __slots__ = ("active", "link", "sleepers", "state", "timer", "toxic")

    def __init__(self, toxic: Any, link: Link) -> None:
        self.toxic = toxic
        self.link = link
        self.active = False
        self.sleepers: list[Any] = []
        self.timer: Any = None
        self.state: dict[str, Any] = {}

    @property
    def attrs(self) -> dict[str, Any]:
        return self.toxic.attributes  # type: ignore[no-any-return]

    def roll(self) -> None:
        """Toxicity is drawn per link whenever the stub (re)starts, like Toxiproxy."""
        self.active = self.link.rng.random() < self.toxic.toxicity


class Kind:
    """The behaviour of one toxic type. Subclasses override the hooks they need."""

    name: ClassVar[str]
    struct: ClassVar[str]  # Go struct name, used in decode error texts
    attributes: ClassVar[tuple[Attribute, ...]] = ()
    #: A passive kind needs no pump: the link keeps its fast path while only these are present.
    passive: ClassVar[bool] = False

    async def pipe(self, stub: Stub, data: bytes, ts: float, out: Out) -> None:
        await out(data, ts)

    def start(self, stub: Stub) -> None:
        """The stub became active on its link (connection set-up or chain change)."""

    def stop(self, stub: Stub) -> None:
        """The stub is restarting or leaving the chain: drop its timers."""
        if stub.timer is not None:
            stub.timer.cancel()
            stub.timer = None

    def cleanup(self, stub: Stub) -> None:
        """The toxic was removed from the proxy (Toxiproxy's CleanupToxic)."""

    async def on_eof(self, stub: Stub) -> None:
        """The link's source closed; called in chain order before the destination is closed."""
