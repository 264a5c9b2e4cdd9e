"""``bandwidth``: limits a link to ``rate`` KB/s, with KB = 1000 bytes.

Each chunk costs ``len/rate`` ms; chunks larger than ``rate*100`` bytes are sent in 100 ms slices.
Sleeping up to a running deadline (not per chunk) keeps the rate exact despite the event loop's
millisecond timer resolution, as Toxiproxy offsets its sleeps by the measured error.
"""

from __future__ import annotations

from interlock.proxy.toxics.base import Attribute, Kind, Out, Stub


class Bandwidth(Kind):
    name = "bandwidth"
    struct = "BandwidthToxic"
    attributes = (Attribute("rate"),)

    async def pipe(self, stub: Stub, data: bytes, ts: float, out: Out) -> None:
        rate = stub.attrs["rate"]
        if rate <= 0:
            await out(data, ts)
            return
        link = stub.link
        now = link.loop.time()
        # The deadline carries over between chunks only while the link is busy.
        deadline = max(stub.state.get("deadline", now), now)
        slice_size = rate * 100
        while len(data) > slice_size:
            deadline += 0.1
            if not await link.sleep_until(stub, deadline):
                break
            await out(data[:slice_size], ts)
            data = data[slice_size:]
        deadline += len(data) / (rate * 1000.0)
        stub.state["deadline"] = deadline
        await link.sleep_until(stub, deadline)
        await out(data, ts)
