"""Go's host:port splitting, printing and listen errors, as the proxy API returns them."""

from __future__ import annotations

import errno

import pytest

from interlock.proxy.addresses import (
    Address,
    AddressError,
    bind_host,
    listen_error,
    printed,
    resolve,
    split_host_port,
)


@pytest.mark.parametrize(
    ("address", "parts"),
    [
        ("127.0.0.1:80", ("127.0.0.1", "80")),
        ("[::1]:8080", ("::1", "8080")),
        (":0", ("", "0")),
        ("host:", ("host", "")),
        ("[fe80::1%eth0]:1", ("fe80::1%eth0", "1")),
    ],
)
def test_split_host_port(address: str, parts: tuple[str, str]) -> None:
    assert split_host_port(address) == parts


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("[::1", "address [::1: missing ']' in address"),
        ("[::1]", "address [::1]: missing port in address"),
        ("::1:80", "address ::1:80: too many colons in address"),
    ],
)
def test_split_host_port_errors(address: str, message: str) -> None:
    with pytest.raises(AddressError) as raised:
        split_host_port(address)
    assert str(raised.value) == message


def test_ports_by_number_name_or_empty() -> None:
    assert resolve("127.0.0.1:") == Address("127.0.0.1", 0)
    assert resolve("127.0.0.1:http") == Address("127.0.0.1", 80)
    with pytest.raises(AddressError, match=r"^lookup tcp/nosuchservice: unknown port$"):
        resolve("127.0.0.1:nosuchservice")
    # Go's parsePort: an optional sign, ASCII digits; out of range names the port alone.
    assert resolve("127.0.0.1:+5") == Address("127.0.0.1", 5)
    assert resolve("127.0.0.1:-0") == Address("127.0.0.1", 0)
    for bad in ("-1", "65536", "99999999999999999999"):
        with pytest.raises(AddressError, match=rf"^address {bad}: invalid port$"):
            resolve(f"127.0.0.1:{bad}")
    with pytest.raises(AddressError, match=r"^lookup no-such-host.invalid: no such host$"):
        resolve("no-such-host.invalid:80")


def test_printing_binding_and_listen_errors() -> None:
    assert (str(Address("", 5)), str(Address("::1", 5)), str(Address("10.0.0.1", 5))) == (
        ":5",
        "[::1]:5",
        "10.0.0.1:5",
    )
    assert bind_host(Address("", 5)) is None and bind_host(Address("127.0.0.1", 5)) == "127.0.0.1"
    assert printed(("0.0.0.0", 4000), wildcard=True) == "[::]:4000"
    assert printed(("::1", 4000, 0, 0), wildcard=False) == "[::1]:4000"
    busy = OSError(errno.EADDRINUSE, "Address already in use")
    assert listen_error("127.0.0.1:21001", busy) == "listen tcp 127.0.0.1:21001: bind: address already in use"
    assert listen_error("x", AddressError("address x: missing port in address")) == (
        "listen tcp: address x: missing port in address"
    )
