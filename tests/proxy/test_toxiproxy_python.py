"""toxiproxy-python, a real Toxiproxy client, driving the embedded server and the real one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from interlock.proxy.client import ProxyClient
from tests.proxy.conftest import ApiServer, connect, recv_exactly


@pytest.fixture
def toxiproxy(server: ApiServer, api: ProxyClient) -> Iterator[Toxiproxy]:
    url = urlsplit(server.url)
    saved = (APIConsumer.host, APIConsumer.port)
    client = Toxiproxy()
    client.update_api_consumer(url.hostname, url.port)
    yield client
    APIConsumer.host, APIConsumer.port = saved


def test_version_and_running(toxiproxy: Toxiproxy) -> None:
    assert toxiproxy.running()
    assert b'"version"' in toxiproxy.version()


def test_create_list_toxics_down_and_destroy(toxiproxy: Toxiproxy, echo_upstream: str) -> None:
    proxy = toxiproxy.create(upstream=echo_upstream, name="tp", listen="127.0.0.1:0")
    assert proxy.listen.startswith("127.0.0.1:") and proxy.enabled is True
    assert set(toxiproxy.proxies()) == {"tp"}
    proxy.add_toxic(type="latency", attributes={"latency": 100})
    toxics = proxy.toxics()
    assert list(toxics) == ["latency_downstream"]
    assert toxics["latency_downstream"].attributes == {"latency": 100, "jitter": 0}
    with connect(proxy.listen) as sock:
        started = time.monotonic()
        sock.sendall(b"hi")
        assert recv_exactly(sock, 2) == b"hi"
        assert time.monotonic() - started >= 0.095
    with proxy.down():
        assert toxiproxy.get_proxy("tp").enabled is False
        with pytest.raises(ConnectionRefusedError):
            connect(proxy.listen)
    assert toxiproxy.get_proxy("tp").enabled is True
    assert proxy.destroy_toxic("latency_downstream")
    assert proxy.toxics() == {}
    assert proxy.destroy()
    assert toxiproxy.proxies() == {}


def test_errors_map_to_the_clients_exceptions(toxiproxy: Toxiproxy, echo_upstream: str) -> None:
    proxy = toxiproxy.create(upstream=echo_upstream, name="tp", listen="127.0.0.1:0")
    with pytest.raises(ProxyExists):
        toxiproxy.create(upstream=echo_upstream, name="tp")  # checked client-side, then 409 server-side
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="nonsense")
    proxy.add_toxic(type="noop")
    with pytest.raises(ProxyExists):  # 409 "toxic already exists"
        proxy.add_toxic(type="noop")
    with pytest.raises(NotFound):
        proxy.destroy_toxic("missing")


def test_reset_and_populate(toxiproxy: Toxiproxy, echo_upstream: str) -> None:
    proxy = toxiproxy.create(upstream=echo_upstream, name="tp", listen="127.0.0.1:0")
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    proxy.disable()
    assert toxiproxy.reset()
    reset = toxiproxy.get_proxy("tp")
    assert reset.enabled is True and reset.toxics() == {}
    created = toxiproxy.populate([{"name": "more", "upstream": echo_upstream, "listen": "127.0.0.1:0"}])
    assert [p.name for p in created] == ["more"]
    assert set(toxiproxy.proxies()) == {"tp", "more"}


def test_destroy_all(toxiproxy: Toxiproxy, echo_upstream: str) -> None:
    for name in ("a", "b"):
        toxiproxy.create(upstream=echo_upstream, name=name, listen="127.0.0.1:0")
    toxiproxy.destroy_all()
    assert toxiproxy.proxies() == {}
