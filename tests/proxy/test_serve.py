"""``interlock proxy serve`` as a process: help, config, port in use, clean shutdown."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from interlock.proxy.client import AlreadyExists, BadRequest, ProxyApiError, ProxyClient, ProxyNotFound
from interlock.proxy.process import EmbeddedProxy
from tests.helpers import interlock
from tests.proxy.conftest import address


def test_help_explains_the_server() -> None:
    result = interlock("proxy", "serve", "--help")
    assert result.returncode == 0
    for text in ("Toxiproxy", "--port", "--seed", "--config", "http_error", "/interlock/observations"):
        assert text in result.stdout


def test_port_in_use_is_one_line_and_exit_2() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        result = interlock("proxy", "serve", "--port", str(holder.getsockname()[1]), timeout=30)
    finally:
        holder.close()
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "address already in use" in result.stderr and "Traceback" not in result.stderr


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "proxies.json"
    config.write_text('{"name": "not a list"}')
    result = interlock("proxy", "serve", "--port", "0", "--config", str(config), timeout=30)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"interlock: {config}: expected a JSON list of proxies "
        "({name, listen, upstream, enabled})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_config_populates_and_a_signal_exits_0(tmp_path: Path, echo_upstream: str, signum: int) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(
        json.dumps([{"name": "from-config", "listen": "127.0.0.1:0", "upstream": echo_upstream}])
    )
    proxy = EmbeddedProxy(tmp_path / "proxy.log", config=config, seed=1).start()
    try:
        with proxy.client() as client:
            listen = client.get_proxy("from-config")["listen"]
            client.add_toxic("from-config", "latency", attributes={"latency": 1})
        process = proxy.process
        assert process is not None
        with socket.create_connection(address(listen), timeout=2) as open_connection:
            process.send_signal(signum)
            assert process.wait(timeout=10) == 0
            open_connection.settimeout(2)
            assert open_connection.recv(10) == b""  # connections are closed, not left hanging
    finally:
        proxy.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address(listen), timeout=2)
    log = (tmp_path / "proxy.log").read_text()
    assert "populated proxy from-config" in log and "config " in log
    assert "added toxic latency_downstream" in log and "shutting down" in log


def test_client_raises_typed_errors_with_the_servers_message(api: ProxyClient, echo_upstream: str) -> None:
    with pytest.raises(ProxyNotFound, match="proxy not found") as missing:
        api.get_proxy("nope")
    assert missing.value.status == 404
    api.create_proxy("c", "127.0.0.1:0", echo_upstream)
    with pytest.raises(AlreadyExists, match="proxy already exists"):
        api.create_proxy("c", "127.0.0.1:0", echo_upstream)
    with pytest.raises(BadRequest, match="invalid toxic type"):
        api.add_toxic("c", "nonsense")
    with pytest.raises(ProxyApiError, match="HTTP 500: address bogus: missing port in address") as bogus:
        api.update_proxy("c", listen="bogus")
    assert bogus.value.status == 500
    assert api.populate([]) == []
    assert api.version().startswith("2.12.0")
    toxic = api.add_toxic("c", "latency", attributes={"latency": 5, "jitter": 1}, toxicity=0.5, name="slow")
    assert api.update_toxic("c", "slow", attributes={"latency": 9})["attributes"] == {
        "latency": 9,
        "jitter": 1,
    }
    assert api.toxics("c") == [{**toxic, "attributes": {"latency": 9, "jitter": 1}}]
    api.reset()
    assert api.toxics("c") == []


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "interlock", "proxy", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and "serve" in result.stdout
    assert httpx  # used by fixtures through the client
