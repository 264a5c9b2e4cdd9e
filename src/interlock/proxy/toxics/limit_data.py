"""``limit_data``: forwards at most ``bytes`` bytes on the link, then closes it.

The count is per link and survives chain changes (Toxiproxy keeps it as stub state), so it lives
in the link's per-toxic state rather than on the stub.
"""

from __future__ import annotations

from interlock.proxy.toxics.base import Attribute, Kind, Out, Stub


class LimitData(Kind):
    name = "limit_data"
    struct = "LimitDataToxic"
    attributes = (Attribute("bytes"),)

    async def pipe(self, stub: Stub, data: bytes, ts: float, out: Out) -> None:
        link = stub.link
        key = ("limit_data", stub.toxic.name)
        sent = link.state.get(key, 0)
        remaining = max(stub.attrs["bytes"] - sent, 0)
        if remaining < len(data):
            data = data[:remaining]
        if data:
            link.state[key] = sent + len(data)
            await out(data, ts)
        if stub.attrs["bytes"] - link.state.get(key, 0) <= 0:
            link.close()
