"""``noop``: passes data through (Toxiproxy registers it, so it is a valid type)."""

from __future__ import annotations

from interlock.proxy.toxics.base import Kind


class Noop(Kind):
    name = "noop"
    struct = "NoopToxic"
    passive = True
