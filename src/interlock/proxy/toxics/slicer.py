"""``slicer``: splits each chunk into pieces of about ``average_size`` bytes, ``delay`` µs apart.

Pieces come from recursive halving with each midpoint moved by ±``size_variation`` (Toxiproxy's
algorithm). Delays are microseconds but the event loop sleeps in milliseconds, so pieces are
scheduled against a running deadline: the average rate is right even for delays under 1 ms.
"""

from __future__ import annotations

import random

from interlock.proxy.toxics.base import Attribute, Kind, Out, Stub

_MIN_SLEEP_S = 0.0005


def boundaries(size: int, average: int, variation: int, rng: random.Random) -> list[tuple[int, int]]:
    """The (start, end) pieces of a chunk of ``size`` bytes."""
    pieces: list[tuple[int, int]] = []

    def split(start: int, end: int) -> None:
        if (end - start) - average <= variation:
            pieces.append((start, end))
            return
        mid = start + (end - start) // 2
        if variation > 0:
            mid += rng.randrange(variation * 2) - variation
        split(start, mid)
        split(mid, end)

    split(0, size)
    return pieces


class Slicer(Kind):
    name = "slicer"
    struct = "SlicerToxic"
    attributes = (
        Attribute("average_size", "int"),
        Attribute("size_variation", "int"),
        Attribute("delay", "int"),
    )

    async def pipe(self, stub: Stub, data: bytes, ts: float, out: Out) -> None:
        link = stub.link
        average = max(stub.attrs["average_size"], 0)
        variation = max(stub.attrs["size_variation"], 0)
        delay_s = max(stub.attrs["delay"], 0) / 1_000_000.0
        pieces = boundaries(len(data), average, variation, link.rng) if average > 0 else [(0, len(data))]
        deadline = link.loop.time()
        for index, (start, end) in enumerate(pieces):
            await out(data[start:end], ts)
            if delay_s <= 0:
                continue
            deadline += delay_s
            if deadline - link.loop.time() >= _MIN_SLEEP_S:
                if not await link.sleep_until(stub, deadline):
                    rest_start = pieces[index + 1][0] if index + 1 < len(pieces) else len(data)
                    if rest_start < len(data):
                        await out(data[rest_start:], ts)
                    return
