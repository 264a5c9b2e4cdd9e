"""The fault proxy of a run, both ways: embedded, and a real Toxiproxy server with interlock's
recorder behind it.

The "real server" is both the real Toxiproxy 2.12.0 binary (where present, skipped otherwise) and
interlock's own proxy server started as a separate process, driven only through the Toxiproxy
HTTP API, exactly as a real Toxiproxy would be.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from interlock.faults.apply import apply_fault
from interlock.faults.fabric import FaultFabric
from interlock.faults.model import Fault, HttpErrorToxic, Toxic
from interlock.proxy.client import AlreadyExists
from tests.stages.chaos.servers import TOXIPROXY_SERVERS, tiny_provider, toxiproxy_server

pytestmark = pytest.mark.slow

SLOW = Fault(name="slow", toxics=[Toxic(type="latency", attributes={"latency": 300})])
ERRORS = Fault(name="errors", http_error=HttpErrorToxic(status=503, retry_after=2))
DOWN = Fault(name="down", down=True)


def post(url: str, key: str) -> httpx.Response:
    return httpx.post(f"{url}/payments", json={"amount": 1}, headers={"Idempotency-Key": key}, timeout=5)


def exercise(fabric: FaultFabric, provider: str) -> list:
    """Route, observe, and apply each kind of fault; returns the observations."""
    url = fabric.url_for("shop-payments", provider)
    assert fabric.url_for("shop-payments", provider) == url  # created once
    cursor = fabric.cursor("shop-payments")
    assert post(url, "k1").status_code == 201

    with apply_fault(fabric.target("shop-payments"), SLOW):
        response = post(url, "k2")
        assert response.status_code == 201 and response.elapsed.total_seconds() >= 0.28
    with apply_fault(fabric.target("shop-payments"), ERRORS):
        response = post(url, "k3")
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    # Down: the embedded proxy accepts, counts and resets (the client sees a reset, never an
    # answer); a real Toxiproxy disables its proxy, so the kernel refuses and nothing is counted.
    refusal = httpx.ConnectError if fabric.mode == "toxiproxy" else httpx.TransportError
    with apply_fault(fabric.target("shop-payments"), DOWN), pytest.raises(refusal):
        post(url, "k4")
    assert post(url, "k5").status_code == 201  # everything rolled back

    observed, _ = fabric.observations("shop-payments", cursor)
    refused = [o for o in observed if o.refused]
    assert len(refused) == (0 if fabric.mode == "toxiproxy" else 1)
    assert all(not o.reached_provider and o.method == "" for o in refused)
    by_key = {o.idempotency_key: o for o in observed if not o.refused}
    assert set(by_key) == {"k1", "k2", "k3", "k5"}  # k4 never reached the provider
    assert by_key["k1"].method == "POST" and by_key["k1"].path == "/payments" and by_key["k1"].status == 201
    assert by_key["k1"].reached_provider and not by_key["k3"].reached_provider and by_key["k3"].status == 503
    return observed


def test_embedded_fabric_routes_observes_and_applies_faults(tmp_path: Path) -> None:
    fabric = FaultFabric(tmp_path, run_id="t-embedded")
    with tiny_provider() as provider:
        try:
            fabric.start()
            exercise(fabric, provider)
            assert fabric.describe("shop-payments")["mode"] == "embedded"
            # A fault that fails half-way (the second toxic's name is taken) leaves nothing applied.
            clash = Fault(
                name="clash",
                toxics=[Toxic(type="latency", name="same"), Toxic(type="bandwidth", name="same")],
                down=False,
            )
            with pytest.raises(AlreadyExists):
                apply_fault(fabric.target("shop-payments"), clash)
            assert fabric.target("shop-payments").client.toxics("shop-payments") == []
        finally:
            fabric.close()


@pytest.mark.parametrize("kind", TOXIPROXY_SERVERS)
def test_real_toxiproxy_path_chains_a_recorder_and_leaves_the_server_clean(tmp_path: Path, kind: str) -> None:
    with tiny_provider() as provider, toxiproxy_server(kind, tmp_path / "toxiproxy.log") as server:
        # The server is shared: a proxy that is not interlock's must survive the run.
        theirs = {
            "name": "someone-else",
            "listen": "127.0.0.1:0",
            "upstream": provider.removeprefix("http://"),
        }
        assert httpx.post(f"{server}/proxies", json=theirs).status_code == 201
        fabric = FaultFabric(tmp_path, run_id="t-real", toxiproxy_url=server)
        try:
            fabric.start()
            url = fabric.url_for("shop-payments", provider)
            route = fabric.describe("shop-payments")
            assert route["mode"] == "toxiproxy" and route["proxy"].startswith("interlock-")
            on_server = httpx.get(f"{server}/proxies").json()
            assert set(on_server) == {"someone-else", route["proxy"]}
            # The server's proxy forwards to the recorder, not to the provider.
            assert on_server[route["proxy"]]["listen"] == url.removeprefix("http://")
            assert on_server[route["proxy"]]["upstream"] != provider.removeprefix("http://")
            with apply_fault(fabric.target("shop-payments"), SLOW):
                toxics = httpx.get(f"{server}/proxies/{route['proxy']}/toxics").json()
                assert [t["type"] for t in toxics] == ["latency"]  # the toxic is on the real server
            exercise(fabric, provider)
        finally:
            fabric.close()
        # Ours removed, theirs untouched (interlock never calls /reset on a real server).
        assert list(httpx.get(f"{server}/proxies").json()) == ["someone-else"]


def test_an_unreachable_toxiproxy_url_is_a_clear_error(tmp_path: Path) -> None:
    from interlock.core.errors import RunIncomplete
    from interlock.core.services import free_port

    fabric = FaultFabric(tmp_path, run_id="t-none", toxiproxy_url=f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(RunIncomplete, match="does not answer as a Toxiproxy server"):
            fabric.start()
    finally:
        fabric.close()


def test_a_remote_toxiproxy_url_is_refused(tmp_path: Path) -> None:
    from interlock.core.errors import ConfigError

    with pytest.raises(ConfigError, match="must run on this machine"):
        FaultFabric(tmp_path, run_id="t-remote", toxiproxy_url="http://toxiproxy.example.com:8474")
