"""``latency``: each chunk is released at ``read time + latency ± jitter``.

The delay is measured from the chunk's timestamp (when it was read), and the timestamp moves to
the release time, so two latency toxics add up instead of counting queueing twice (Toxiproxy).
"""

from __future__ import annotations

from interlock.proxy.toxics.base import Attribute, Kind, Out, Stub


class Latency(Kind):
    name = "latency"
    struct = "LatencyToxic"
    attributes = (Attribute("latency"), Attribute("jitter"))

    async def pipe(self, stub: Stub, data: bytes, ts: float, out: Out) -> None:
        delay_ms = stub.attrs["latency"]
        jitter = stub.attrs["jitter"]
        if jitter > 0:
            # Go: rand.Int63n(2*jitter) - jitter, uniform in [-jitter, +jitter).
            delay_ms += stub.link.rng.randrange(2 * jitter) - jitter
        release = ts + delay_ms / 1000.0
        if await stub.link.sleep_until(stub, release):
            ts = release
        await out(data, ts)
