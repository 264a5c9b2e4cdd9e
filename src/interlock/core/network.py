"""The loopback rule: interlock only sends faults and load to services on this machine.

Chaos and load harm what they target. A manifest that points one at another host (a shared
staging server, production) by mistake must not run, so every stage that harms a service checks
its address with this one rule, and only ``allow_remote: true`` in the manifest lifts it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(address: str) -> bool:
    """Whether ``address`` (a URL or ``host:port``) is on this machine: localhost, 127.0.0.0/8 or ::1."""
    host = urlsplit(address if "://" in address else f"http://{address}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_target_problem(address: str, *, what: str, stage: str, allow_remote: bool) -> str | None:
    """Why ``stage`` may not target ``what`` at ``address``, or None when it may.

    The caller raises the message as a ConfigError, with the file and line it knows.
    """
    if allow_remote or is_loopback(address):
        return None
    return (
        f"{what} is at {address}, not on this machine: {stage} only targets loopback"
        " unless the manifest sets allow_remote: true"
    )
