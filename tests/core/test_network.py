"""The loopback rule that chaos and load share."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import NoReturn

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import Manifest, load_manifest
from interlock.core.network import is_loopback, remote_target_problem, require_local_target, service_address


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8080",
        "http://localhost",
        "https://127.0.0.2/api",
        "http://[::1]:9000",
        "127.0.0.1:8474",
        "localhost:8474",
    ],
)
def test_this_machine_is_loopback(address: str) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address",
    ["http://10.0.0.5:8080", "https://payments.example.com", "staging:8474", "http://0.0.0.0:80", ""],
)
def test_other_hosts_are_not(address: str) -> None:
    assert not is_loopback(address)


def test_a_remote_target_is_refused_unless_allowed() -> None:
    problem = remote_target_problem(
        "https://payments.example.com", what="target 'payments'", stage="load", allow_remote=False
    )
    assert problem == (
        "target 'payments' is at https://payments.example.com, not on this machine: load only targets"
        " loopback unless the manifest sets allow_remote: true"
    )
    assert (
        remote_target_problem("https://payments.example.com", what="x", stage="load", allow_remote=True)
        is None
    )
    assert remote_target_problem("http://127.0.0.1:1", what="x", stage="chaos", allow_remote=False) is None


@pytest.mark.parametrize(
    "address",
    ["http://[::ffff:127.0.0.1]:8080", "http://127.255.255.254", "http://LOCALHOST:1"],
)
def test_other_spellings_of_this_machine_are_loopback(address: str) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address",
    [
        "http://localhost.localdomain:8080",
        "http://ip6-localhost",
        "http://api.localhost",
        "http://localhost.:80",
        "http://127.1:80",  # inet_aton would say 127.0.0.1, a URL client may not: refused
        "http://[::ffff:10.0.0.1]",
        "http://[::1",
    ],
)
def test_names_are_never_resolved(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only `localhost` itself and loopback literals pass; no name is looked up to find out."""

    def no_lookup(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"looked up {args}")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        monkeypatch.setattr(socket, name, no_lookup)
    assert not is_loopback(address)


def _manifest(tmp_path: Path, services: str, *, allow_remote: bool = False) -> Manifest:
    path = tmp_path / "interlock.yaml"
    path.write_text(
        f"version: 1\nallow_remote: {str(allow_remote).lower()}\nservices:\n{services}"
        "integrations:\n  - {name: shop, consumer: checkout, provider: payments}\n"
    )
    return load_manifest(path)


SERVICES = """\
  checkout:
    run: python -m checkout --port {port}
  payments:
    base_url: https://payments.example.com:8443
  gateway:
    base_url: http://gateway.internal:8080/{{v1}}
  local:
    base_url: http://127.0.0.1:8000/v1
  fixed:
    run: python -m fixed
    port: 8099
"""


def test_a_service_address_is_known_before_anything_starts(tmp_path: Path) -> None:
    m = _manifest(tmp_path, SERVICES)
    assert service_address(m, "checkout") == "http://127.0.0.1"
    assert service_address(m, "fixed") == "http://127.0.0.1:8099"
    assert service_address(m, "payments") == "https://payments.example.com:8443"
    assert service_address(m, "gateway") == "http://gateway.internal:8080/{v1}"
    assert service_address(m, "local") == "http://127.0.0.1:8000/v1"


def test_a_remote_service_is_refused_at_its_base_url_line(tmp_path: Path) -> None:
    m = _manifest(tmp_path, SERVICES)
    for service in ("checkout", "local", "fixed"):
        require_local_target(m, service, stage="chaos", sends="faults", role="r")
    with pytest.raises(ConfigError) as raised:
        require_local_target(m, "gateway", stage="load", sends="load", role="the load target of shop")
    assert (raised.value.path, raised.value.line) == (m.path, 9)  # services.gateway.base_url
    assert raised.value.message == (
        "load would send load to service 'gateway' (the load target of shop) at"
        " http://gateway.internal:8080/{v1}, which is not on this machine: load only targets"
        " loopback (localhost, 127.0.0.0/8, ::1) unless the manifest sets allow_remote: true"
    )
    allowed = _manifest(tmp_path, SERVICES, allow_remote=True)
    require_local_target(allowed, "gateway", stage="load", sends="load", role="r")
