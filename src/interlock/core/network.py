"""The loopback rule: interlock only sends faults, probes and load to services on this machine.

Chaos and load harm what they target. A manifest that points one at another host (a shared
staging server, production) by mistake must not run, so every stage that harms a service checks
its address with this one rule at preflight, before any process starts, and only
``allow_remote: true`` in the manifest lifts it.

The rule never asks DNS: a name is loopback only when it is ``localhost`` itself or a loopback
IP literal. Resolving would be a network look-up before the user agreed to anything, and a name
that resolves to 127.0.0.1 on one machine may not on the next (CI), so it is refused everywhere.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from interlock.core import templating
from interlock.core.manifest import Manifest
from interlock.core.yamlfile import load_yaml

#: What a started (``run:``) service's URL looks like before it has a port: it listens on loopback.
STARTED_SERVICE_HOST = "127.0.0.1"


def is_loopback(address: str) -> bool:
    """Whether ``address`` (a URL or ``host:port``) is on this machine: localhost, 127.0.0.0/8 or ::1.

    Pure text: no name is resolved (``localhost.localdomain`` is not loopback here, whatever
    /etc/hosts says).
    """
    try:
        host = urlsplit(address if "://" in address else f"http://{address}").hostname or ""
    except ValueError:  # e.g. an unclosed [ in an IPv6 literal
        return False
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1
    return ip.is_loopback


def remote_target_problem(address: str, *, what: str, stage: str, allow_remote: bool) -> str | None:
    """Why ``stage`` may not target ``what`` at ``address``, or None when it may.

    The caller raises the message as a ConfigError, with the file and line it knows.
    """
    if allow_remote or is_loopback(address):
        return None
    return (
        f"{what} is at {address}, not on this machine: {stage} only targets"
        " loopback unless the manifest sets allow_remote: true"
    )


def service_address(manifest: Manifest, name: str) -> str:
    """Where service ``name`` will be, known before anything starts and without a look-up.

    A ``run:`` service listens on 127.0.0.1 (its port is picked at start unless fixed); a
    ``base_url`` is taken as written, a placeholder in it shown by name (``{payments}``), so one
    in the host part is never taken for loopback.
    """
    spec = manifest.services[name]
    if spec.base_url is None:
        port = f":{spec.port}" if spec.port else ""
        return f"http://{STARTED_SERVICE_HOST}{port}"
    return templating.render(spec.base_url, lambda p: "{" + (p.arg or p.kind) + "}")


def require_local_target(manifest: Manifest, service: str, *, stage: str, sends: str, role: str) -> None:
    """Raise a ConfigError at the service's ``base_url`` line unless ``stage`` may send to ``service``.

    ``sends`` says what the stage sends ("faults", "probes", "load"), ``role`` what the service is
    to the integration ("the provider of checkout-payments"); both go into the one-line message.
    """
    if manifest.allow_remote:
        return
    address = service_address(manifest, service)
    if is_loopback(address):
        return
    raise load_yaml(manifest.path).error(
        ("services", service, "base_url"),
        f"{stage} would send {sends} to service '{service}' ({role}) at {address}, which is not on"
        f" this machine: {stage} only targets loopback (localhost, 127.0.0.0/8, ::1) unless the"
        " manifest sets allow_remote: true",
    )
