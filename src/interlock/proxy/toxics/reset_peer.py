"""``reset_peer``: on the first chunk, wait ``timeout`` ms, then reset the connection (TCP RST).

The chunk is not forwarded. Both sockets close with ``SO_LINGER`` 0, so the peers see
"connection reset by peer", also when the toxic is added to a connection that is already open
(Toxiproxy sends a FIN in that case; a real RST is the fault this toxic stands for).
"""

from __future__ import annotations

from interlock.proxy.toxics.base import Attribute, Kind, Out, Stub


class ResetPeer(Kind):
    name = "reset_peer"
    struct = "ResetToxic"
    attributes = (Attribute("timeout"),)

    async def pipe(self, stub: Stub, data: bytes, ts: float, out: Out) -> None:
        link = stub.link
        if await link.sleep_until(stub, link.loop.time() + stub.attrs["timeout"] / 1000.0):
            link.connection.reset()
        else:
            await out(data, ts)
