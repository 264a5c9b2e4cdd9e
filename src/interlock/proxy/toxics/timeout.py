"""``timeout``: all data is dropped; the link closes after ``timeout`` ms without a new chunk.

``timeout: 0`` keeps the connection open forever with data dropped. Removing the toxic closes
the connection (Toxiproxy's cleanup hook), which is what a client stuck on it sees.
"""

from __future__ import annotations

from interlock.proxy.toxics.base import Attribute, Kind, Out, Stub


class Timeout(Kind):
    name = "timeout"
    struct = "TimeoutToxic"
    attributes = (Attribute("timeout"),)

    def start(self, stub: Stub) -> None:
        self._arm(stub)

    def _arm(self, stub: Stub) -> None:
        self.stop(stub)
        timeout_ms = stub.attrs["timeout"]
        if timeout_ms > 0:
            stub.timer = stub.link.loop.call_later(timeout_ms / 1000.0, stub.link.close)

    async def pipe(self, stub: Stub, data: bytes, ts: float, out: Out) -> None:
        # Dropped on the floor; every chunk re-arms the timer, as Toxiproxy's loop does.
        self._arm(stub)

    def cleanup(self, stub: Stub) -> None:
        stub.link.close()
