"""``slow_close``: data passes unchanged; closing the destination waits ``delay`` ms after EOF."""

from __future__ import annotations

from interlock.proxy.toxics.base import Attribute, Kind, Stub


class SlowClose(Kind):
    name = "slow_close"
    struct = "SlowCloseToxic"
    attributes = (Attribute("delay"),)

    async def on_eof(self, stub: Stub) -> None:
        link = stub.link
        await link.sleep_until(stub, link.loop.time() + stub.attrs["delay"] / 1000.0)
