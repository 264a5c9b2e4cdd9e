"""Byte pumping: one proxied TCP connection is two links, each with its own toxic chain.

``upstream`` carries client -> provider bytes, ``downstream`` provider -> client. Both sockets are
asyncio protocols (no streams), so a link without active toxics forwards straight from
``data_received`` to the other transport's ``write``: one call per chunk, with flow control by
pausing the source when the destination's buffer is full. Only when a toxic that needs time or
state is on the chain does the link queue chunks for a pump task that runs them through the chain
in order. Chain changes apply live: a stub that restarts or leaves wakes from its sleep and passes
its chunk on, like Toxiproxy's interrupt.

Close semantics follow Toxiproxy: when a link's source ends (EOF or error) or a toxic closes the
link, what the chain holds is flushed and the destination is closed; the other link then sees its
source end and does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
import struct
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from interlock.proxy.toxics import Stub

if TYPE_CHECKING:
    from interlock.proxy.observe import ConnectionObserver

UPSTREAM, DOWNSTREAM = "upstream", "downstream"
_INBOX_HIGH = 256 * 1024
_connection_ids = itertools.count(1)


class Link:
    """One direction of a connection: source socket -> toxic chain -> destination transport."""

    def __init__(self, connection: Connection, direction: str) -> None:
        self.connection = connection
        self.direction = direction
        self.loop = connection.loop
        self.rng = connection.rng
        self.source: asyncio.Transport | None = None
        self.dest: asyncio.Transport | None = None
        self.fast = True
        self.closed = False
        self.chain: tuple[Stub, ...] = ()
        self.state: dict[Any, Any] = {}
        self._inbox: deque[tuple[bytes, float] | None] = deque()
        self._inbox_bytes = 0
        self._pump: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._pauses: set[str] = set()
        self._eof_queued = False
        self._early: list[bytes] = []
        #: Called with every chunk read from the source (downstream observation); may return the
        #: pieces to forward instead (the chunk with canned responses spliced in).
        self.on_read: Callable[[bytes], list[bytes] | None] | None = None
        #: Filters every chunk before it is written (upstream observation and answering toxics).
        self.on_deliver: Callable[[bytes], bytes] | None = None

    # ---- input -------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """A chunk from the source (or injected by the proxy) enters the link."""
        if self.closed:
            return
        if self.on_read is not None:
            pieces = self.on_read(data)
            if pieces is not None:
                for piece in pieces:
                    self.push(piece)
                return
        self.push(data)

    def push(self, data: bytes) -> None:
        """Enter the chain without observation (the proxy's own canned responses)."""
        if self.closed:
            return
        if self.dest is None:
            self._early.append(data)  # read before the upstream is connected (uvloop may do that)
            return
        if self.fast:
            if self.on_deliver is not None:
                data = self.on_deliver(data)
            if data:
                self.dest.write(data)
            return
        self._inbox.append((data, self.loop.time()))
        self._inbox_bytes += len(data)
        if self._inbox_bytes > _INBOX_HIGH:
            self.pause_source("inbox")
        self._wake()

    def ready(self) -> None:
        """Source and destination are connected: forward what arrived while dialling."""
        early, self._early = self._early, []
        for data in early:
            self.push(data)
        if self._eof_queued:
            self._eof_queued = False
            self.eof()

    def eof(self) -> None:
        """The source ended: flush the chain, run the EOF hooks, close the destination."""
        if self.closed or self._eof_queued:
            return
        self._eof_queued = True
        if self.dest is None:
            return  # ready() finishes the job once the upstream is connected
        if self.fast:
            self._close_dest()
            return
        self._inbox.append(None)
        self._wake()

    # ---- flow control ------------------------------------------------------------------------

    def pause_source(self, reason: str) -> None:
        if not self._pauses and self.source is not None:
            self.source.pause_reading()
        self._pauses.add(reason)

    def resume_source(self, reason: str) -> None:
        if reason in self._pauses:
            self._pauses.discard(reason)
            if not self._pauses and self.source is not None and not self.source.is_closing():
                self.source.resume_reading()

    # ---- the chain ---------------------------------------------------------------------------

    def set_chain(
        self, chain: Sequence[Stub], restarted: Sequence[Stub] = (), removed: Sequence[Stub] = ()
    ) -> None:
        """Install a new chain; ``restarted`` stubs re-roll toxicity, ``removed`` ones are torn down."""
        for stub in removed:
            stub.toxic.kind.stop(stub)
            self._interrupt(stub)
        for stub in restarted:
            stub.toxic.kind.stop(stub)
            self._interrupt(stub)
        self.chain = tuple(chain)
        for stub in restarted:
            stub.roll()
            if stub.active:
                stub.toxic.kind.start(stub)
        for stub in removed:
            stub.toxic.kind.cleanup(stub)
        if self.closed:
            return
        if any(stub.active and not stub.toxic.kind.passive for stub in self.chain):
            if self.fast:
                self.fast = False
                self._ensure_pump()
        self._wake()

    def sleep_until(self, stub: Stub, deadline: float) -> asyncio.Future[bool]:
        """Sleep until loop time ``deadline``; resolves False when the stub is interrupted."""
        future: asyncio.Future[bool] = self.loop.create_future()
        delay = deadline - self.loop.time()
        if delay <= 0:
            future.set_result(True)
            return future
        handle = self.loop.call_at(deadline, _resolve, future, True)
        stub.sleepers.append((future, handle))
        future.add_done_callback(lambda _f: _forget(stub, future))
        return future

    def _interrupt(self, stub: Stub) -> None:
        for future, handle in list(stub.sleepers):
            handle.cancel()
            _resolve(future, False)
        stub.sleepers.clear()

    def _ensure_pump(self) -> None:
        if self._pump is None:
            self._pump = self.loop.create_task(self._run_pump())

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _run_pump(self) -> None:
        try:
            while not self.closed:
                if not self._inbox:
                    if not any(s.active and not s.toxic.kind.passive for s in self.chain):
                        self.fast = True
                        return
                    self._wakeup = self.loop.create_future()
                    await self._wakeup
                    self._wakeup = None
                    continue
                item = self._inbox.popleft()
                if item is None:
                    await self._run_eof(self.chain)
                    self._close_dest()
                    return
                data, ts = item
                self._inbox_bytes -= len(data)
                if self._inbox_bytes <= _INBOX_HIGH // 2:
                    self.resume_source("inbox")
                await self._run(self.chain, 0, data, ts)
        except Exception:
            self.connection.close()
        finally:
            self._pump = None
            if self.closed:
                self._inbox.clear()

    async def _run(self, chain: tuple[Stub, ...], index: int, data: bytes, ts: float) -> None:
        while index < len(chain) and not chain[index].active:
            index += 1
        if index == len(chain):
            self._deliver(data)
            return
        stub = chain[index]

        async def out(piece: bytes, piece_ts: float) -> None:
            await self._run(chain, index + 1, piece, piece_ts)

        await stub.toxic.kind.pipe(stub, data, ts, out)

    async def _run_eof(self, chain: tuple[Stub, ...]) -> None:
        for stub in chain:
            if stub.active and not self.closed:
                await stub.toxic.kind.on_eof(stub)

    def _deliver(self, data: bytes) -> None:
        if self.closed or self.dest is None or self.dest.is_closing():
            return
        if self.on_deliver is not None:
            data = self.on_deliver(data)
        if data:
            self.dest.write(data)

    # ---- closing -----------------------------------------------------------------------------

    def close(self) -> None:
        """A toxic ends the link: what is already written is flushed, then the destination closes."""
        self._close_dest()

    def _close_dest(self) -> None:
        if self.closed:
            return
        self.closed = True
        for stub in self.chain:
            stub.toxic.kind.stop(stub)
            self._interrupt(stub)
        self._wake()
        if self.dest is not None:
            self.dest.close()

    def abort(self) -> None:
        """The connection is gone: stop without writing anything more."""
        self.closed = True
        for stub in self.chain:
            stub.toxic.kind.stop(stub)
            self._interrupt(stub)
        self._inbox.clear()
        self._wake()


def _resolve(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)


def _forget(stub: Stub, future: asyncio.Future[bool]) -> None:
    stub.sleepers = [entry for entry in stub.sleepers if entry[0] is not future]


class Side(asyncio.Protocol):
    """One socket of a proxied connection. Reads feed ``outbound``; ``inbound`` writes to it."""

    def __init__(self, connection: Connection, outbound: Link, inbound: Link) -> None:
        self.connection = connection
        self.outbound = outbound
        self.inbound = inbound
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio and uvloop both set TCP_NODELAY on TCP transports already.
        self.transport = transport  # type: ignore[assignment]  # asyncio hands every stream protocol a Transport, typed as its base

    def data_received(self, data: bytes) -> None:
        link = self.outbound
        if link.fast and link.dest is not None and not link.closed:
            # The no-toxic fast path, inlined: observe, then write straight to the other socket.
            if link.on_read is not None:
                pieces = link.on_read(data)
                if pieces is not None:  # canned responses spliced in: take the general path
                    for piece in pieces:
                        link.push(piece)
                    return
            if link.on_deliver is not None:
                data = link.on_deliver(data)
                if not data:
                    return
            link.dest.write(data)
        else:
            link.feed(data)

    def eof_received(self) -> bool:
        self.outbound.eof()
        return True  # keep the transport; the link closes it after the flush

    def connection_lost(self, exc: Exception | None) -> None:
        self.inbound.abort()
        self.outbound.eof()
        self.connection.side_lost(self)

    def pause_writing(self) -> None:
        self.inbound.pause_source("dest")

    def resume_writing(self) -> None:
        self.inbound.resume_source("dest")


class ClientSide(Side):
    """The accepted client socket: dials the upstream before it reads anything."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        transport.pause_reading()  # type: ignore[attr-defined]  # a stream server's transport is a ReadTransport
        self.connection.client_connected(self)


class Connection:
    """A client connection through a proxy: two sockets, two links, one observer."""

    def __init__(self, proxy: Any, loop: asyncio.AbstractEventLoop, rng: random.Random) -> None:
        self.id = next(_connection_ids)
        self.proxy = proxy
        self.loop = loop
        self.rng = rng
        self.upstream = Link(self, UPSTREAM)
        self.downstream = Link(self, DOWNSTREAM)
        self.client = ClientSide(self, outbound=self.upstream, inbound=self.downstream)
        self.server = Side(self, outbound=self.downstream, inbound=self.upstream)
        self.observer: ConnectionObserver | None = None
        self._lost: set[Side] = set()
        self._dial: asyncio.Task[None] | None = None
        self.done = False

    def client_connected(self, side: ClientSide) -> None:
        self.proxy.connection_opened(self)
        self._dial = self.loop.create_task(self._connect_upstream())

    async def _connect_upstream(self) -> None:
        host, _, port = self.proxy.upstream.rpartition(":")
        try:
            await self.loop.create_connection(lambda: self.server, host.strip("[]") or None, int(port))  # type: ignore[arg-type]  # None (any local interface) is valid at run time; typeshed says str
        except (OSError, ValueError):
            # Toxiproxy closes the client when the upstream cannot be dialled; the proxy stays up.
            if self.client.transport is not None:
                self.client.transport.close()
            return
        finally:
            self._dial = None
        if self.client.transport is None or self.client.transport.is_closing():
            self.server.transport.close()  # type: ignore[union-attr]  # set: the dial above succeeded
            return
        self.upstream.source, self.upstream.dest = self.client.transport, self.server.transport
        self.downstream.source, self.downstream.dest = self.server.transport, self.client.transport
        self.proxy.connection_ready(self)
        self.upstream.ready()
        self.client.transport.resume_reading()

    def install(self, upstream_chain: Sequence[Stub], downstream_chain: Sequence[Stub]) -> None:
        """The chains at connection set-up: every stub rolls its toxicity now."""
        self.upstream.set_chain(upstream_chain, restarted=upstream_chain)
        self.downstream.set_chain(downstream_chain, restarted=downstream_chain)

    def answering_stubs(self) -> list[Stub]:
        """The active toxics that may answer HTTP requests themselves (either stream: they act on
        requests; see :meth:`~interlock.proxy.toxics.base.Kind.answer`)."""
        if not self.upstream.chain and not self.downstream.chain:
            return []
        return [
            s
            for s in (*self.upstream.chain, *self.downstream.chain)
            if s.active and s.toxic.kind.answers_requests
        ]

    def link(self, direction: str) -> Link:
        return self.upstream if direction == UPSTREAM else self.downstream

    def side_lost(self, side: Side) -> None:
        self._lost.add(side)
        if side is self.client and self._dial is not None:
            self._dial.cancel()
        if self.client in self._lost and (self.server in self._lost or self.server.transport is None):
            self._finish()
        elif side is self.server and self.client.transport is not None and self.upstream.source is None:
            self.client.transport.close()

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        if self.observer is not None:
            self.observer.connection_closed()
        self.proxy.connection_closed(self)

    def close(self) -> None:
        """Close both sockets now (FIN), flushing what they already hold."""
        for side in (self.client, self.server):
            if side.transport is not None:
                side.transport.close()
        self.upstream.abort()
        self.downstream.abort()

    def reset(self) -> None:
        """Reset both sockets: ``SO_LINGER`` 0 and an abortive close, so the peers get an RST."""
        self.upstream.abort()
        self.downstream.abort()
        for side in (self.client, self.server):
            transport = side.transport
            if transport is None:
                continue
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
