"""The toxic table: every toxic type the proxy knows, by its API name.

The eight Toxiproxy types behave as measured in toxiproxy-api.md; ``http_error`` is interlock's
HTTP-level addition, which real Toxiproxy clients list like any other toxic.
"""

from __future__ import annotations

from interlock.proxy.toxics.bandwidth import Bandwidth
from interlock.proxy.toxics.base import Attribute, Kind, Out, Stub
from interlock.proxy.toxics.http_error import HttpError
from interlock.proxy.toxics.latency import Latency
from interlock.proxy.toxics.limit_data import LimitData
from interlock.proxy.toxics.noop import Noop
from interlock.proxy.toxics.reset_peer import ResetPeer
from interlock.proxy.toxics.slicer import Slicer
from interlock.proxy.toxics.slow_close import SlowClose
from interlock.proxy.toxics.timeout import Timeout

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Latency(),
        Bandwidth(),
        SlowClose(),
        Timeout(),
        ResetPeer(),
        Slicer(),
        LimitData(),
        Noop(),
        HttpError(),
    )
}

__all__ = ["KINDS", "Attribute", "Kind", "Out", "Stub"]
