"""``down`` (interlock only): the provider is down, and the proxy counts who still tries to reach it.

While the toxic is active the proxy keeps listening, but resets every connection it accepts at
once (``SO_LINGER`` 0: the client sees "connection reset by peer") without dialling the
provider, and records each as a refused attempt (``refused`` in the observations). Connections
already open when it is added are reset too, so a consumer's pooled keep-alive connection does
not outlive the outage. Every new connection is reset whatever the toxicity (down is down;
``down: true`` adds it with toxicity 1). Disabling the proxy (Toxiproxy's way to
take a provider down) refuses connections in the kernel, where nobody can count them.

The accept side lives in :mod:`interlock.proxy.refuse`; this module only marks the toxic type.
"""

from __future__ import annotations

from interlock.proxy.toxics.base import Kind, Stub


class Down(Kind):
    name = "down"
    struct = "DownToxic"
    passive = True
    refuses_connections = True

    def start(self, stub: Stub) -> None:
        """Added to (or installed on) an open connection: reset it, the provider is gone."""
        connection = stub.link.connection
        connection.loop.call_soon(connection.reset)
