"""``host:port`` strings resolved and printed the way Go's ``net`` package does.

The API returns these strings (``listen`` after start) and their error texts (500 bodies), so they
follow Go: ``localhost:3310`` resolves to ``127.0.0.1:3310``, an empty host means every interface
and prints as ``[::]:PORT``, and a missing port is ``address X: missing port in address``.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass


class AddressError(Exception):
    """An address that Go would refuse; the message is Go's text."""


@dataclass(frozen=True)
class Address:
    """A resolved TCP address. ``host`` is an IP literal, or "" for every interface."""

    host: str
    port: int

    def __str__(self) -> str:
        if not self.host:
            return f":{self.port}"
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


def split_host_port(address: str) -> tuple[str, str]:
    """Go's ``net.SplitHostPort``."""
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise AddressError(f"address {address}: missing ']' in address")
        host, rest = address[1:end], address[end + 1 :]
        if not rest.startswith(":"):
            raise AddressError(f"address {address}: missing port in address")
        return host, rest[1:]
    if ":" not in address:
        raise AddressError(f"address {address}: missing port in address")
    host, port = address.rsplit(":", 1)
    if ":" in host:
        raise AddressError(f"address {address}: too many colons in address")
    return host, port


def resolve(address: str) -> Address:
    """Go's ``net.ResolveTCPAddr("tcp", address)``: "" is ``:0``; names prefer IPv4."""
    if address == "":
        return Address("", 0)
    host, port_text = split_host_port(address)
    port = _port(port_text)
    if host == "":
        return Address("", port)
    try:
        return Address(str(ipaddress.ip_address(host)), port)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise AddressError(f"lookup {host}: no such host") from None
    ips = [str(info[4][0]) for info in infos]
    ipv4 = [ip for ip in ips if ":" not in ip]
    return Address((ipv4 or ips)[0], port)


def _port(text: str) -> int:
    """Go's ``parsePort``: an optional sign, then digits; anything else is a service name."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if digits == "" or (digits.isascii() and digits.isdigit()):
        port = -int(digits or 0) if text.startswith("-") else int(digits or 0)
        if 0 <= port <= 65535:
            return port
        raise AddressError(f"address {text}: invalid port")  # Go names the port, not the address
    try:
        return socket.getservbyname(text, "tcp")
    except OSError:
        raise AddressError(f"lookup tcp/{text}: unknown port") from None


def bind_host(address: Address) -> str | None:
    """What to hand to ``create_server``: None binds every interface (Go's empty host)."""
    return address.host or None


def listen_error(address: str, exc: OSError | AddressError) -> str:
    """Go's ``net.Listen`` error text: ``listen tcp 127.0.0.1:21001: bind: address already in use``."""
    if isinstance(exc, AddressError):
        return f"listen tcp: {exc}"
    reason = (exc.strerror or str(exc)).lower()
    return f"listen tcp {address}: bind: {reason}"


def printed(sockname: tuple[object, ...], wildcard: bool) -> str:
    """The bound address as Go prints ``listener.Addr().String()``."""
    host, port = str(sockname[0]), int(str(sockname[1]))
    if wildcard:
        return f"[::]:{port}"
    return str(Address(host, port))
