"""The toxic table: every toxic type the proxy knows, by its API name.

The eight Toxiproxy types behave as measured on the real Toxiproxy 2.x server; ``http_error``,
``auth_expiry`` (HTTP-level) and ``down`` (accept and reset) are interlock's additions, which real
Toxiproxy clients list like any other toxic.

A new toxic type is one module here with a :class:`Kind` subclass (its attributes and the hooks it
needs: ``pipe`` for bytes, ``answer`` for HTTP requests) and one line in the tuple below; code
outside this package may call :func:`register` instead.
"""

from __future__ import annotations

from interlock.proxy.toxics.auth_expiry import AuthExpiry
from interlock.proxy.toxics.bandwidth import Bandwidth
from interlock.proxy.toxics.base import Answer, Attribute, Kind, Out, Stub
from interlock.proxy.toxics.down import Down
from interlock.proxy.toxics.http_error import HttpError
from interlock.proxy.toxics.latency import Latency
from interlock.proxy.toxics.limit_data import LimitData
from interlock.proxy.toxics.noop import Noop
from interlock.proxy.toxics.reset_peer import ResetPeer
from interlock.proxy.toxics.slicer import Slicer
from interlock.proxy.toxics.slow_close import SlowClose
from interlock.proxy.toxics.timeout import Timeout

#: API name -> behaviour, for every toxic type the proxy accepts.
KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make ``kind`` a toxic type of every proxy, under ``kind.name``."""
    existing = KINDS.get(kind.name)
    if existing is not None and type(existing) is not type(kind):
        raise ValueError(f"a toxic type named {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


for _kind in (
    Latency(),
    Bandwidth(),
    SlowClose(),
    Timeout(),
    ResetPeer(),
    Slicer(),
    LimitData(),
    Noop(),
    HttpError(),
    Down(),
    AuthExpiry(),
):
    register(_kind)

__all__ = ["KINDS", "Answer", "Attribute", "Kind", "Out", "Stub", "register"]
