"""What every toxic type is made of: its attribute schema and its behaviour on one link.

A *toxic* is what the API holds (name, type, stream, toxicity, attributes). A *stub* is that toxic
on one link of one connection: it carries the toxicity roll and per-link timers. The behaviour is a
:class:`Kind`, shared by every toxic of a type; its hooks mirror Toxiproxy's ``Pipe``, ``Cleanup``
and EOF handling, plus one HTTP-level hook of interlock's own (:meth:`Kind.answer`): a kind
that answers requests itself (``http_error``) owns that behaviour in its module, and the proxy's
HTTP framing (:mod:`interlock.proxy.observe`) only asks the active stubs of such kinds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from interlock.proxy.link import Link
    from interlock.proxy.observe import Observation

#: Sends a chunk on to the next stage of the chain: ``await out(data, timestamp)``.
Out = Callable[[bytes, float], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    """A response the proxy sends instead of forwarding a request: its status and raw bytes."""

    status: int
    data: bytes
    #: The ``Retry-After`` the answer carries, in seconds (observed like a provider's own).
    retry_after: float | None = None


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
        return self.toxic.attributes  # type: ignore[no-any-return]  # the live toxic is typed Any to keep this module free of the registry import

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
    #: Whether :meth:`answer` may answer HTTP requests: only such kinds are asked, per request.
    answers_requests: ClassVar[bool] = False
    #: Whether the proxy resets new connections at once while this toxic is active (``down``):
    #: asked when a connection is accepted, before the provider is dialled.
    refuses_connections: ClassVar[bool] = False

    def initial_attributes(self) -> dict[str, Any]:
        """A new toxic's attributes before the API request's own: Go zero values, as Toxiproxy."""
        return {
            a.name: (None if a.go_type.startswith("*") else "" if a.go_type == "string" else 0)
            for a in self.attributes
        }

    def check_attributes(self, attributes: dict[str, Any]) -> None:
        """Reject decoded attributes the kind cannot work with (ValueError: a 400 with its text)."""

    def answer(self, stub: Stub, keep_alive: bool) -> Answer | None:
        """The response to one HTTP request instead of forwarding it, or None to forward it.

        Asked (for kinds with ``answers_requests``) when a request head reaches the provider edge,
        after the other upstream toxics, in chain order until one answers. ``keep_alive`` says
        whether the client keeps the connection after this exchange (the answer should say
        ``Connection: close`` otherwise; the proxy then closes the connection after it).
        """
        return None

    def answer_request(self, stub: Stub, keep_alive: bool, request: Observation) -> Answer | None:
        """:meth:`answer`, for kinds that need to know the request (its method, path, credential)."""
        return self.answer(stub, keep_alive)

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
