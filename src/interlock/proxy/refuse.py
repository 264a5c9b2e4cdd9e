"""Accept-and-reset: how a proxy whose provider is ``down`` refuses connections it can still count.

The kernel completes the handshake; the proxy then records the attempt and closes the socket with
``SO_LINGER`` 0, so the client gets a TCP RST ("connection reset by peer") before any answer,
and the provider is never dialled. Used by :meth:`interlock.proxy.registry.Proxy` while a toxic
whose kind ``refuses_connections`` (:mod:`interlock.proxy.toxics.down`) is on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct

from interlock.proxy.observe import ObservationLog

_refused_ids = itertools.count(1)


class Refuser(asyncio.Protocol):
    """The protocol of one refused connection: record it, reset it."""

    def __init__(self, log: ObservationLog) -> None:
        self.log = log

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        record_refused(self.log)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()  # type: ignore[attr-defined]  # a stream server hands every protocol a Transport


def record_refused(log: ObservationLog) -> None:
    """One connection attempt, refused at once: no request was read, nothing reached the provider."""
    record = log.new(-next(_refused_ids), "", "", None)
    record.reached_provider = False
    record.refused = True
    record.finished = record.started
    record.complete = True
