"""toxiproxy-cli, the official Go client, driving both servers (skipped where the binary is absent).

The Go client decodes every error body (``HTTP <status>: <error>``), so it fails loudly on any
error that is not Toxiproxy's JSON.
"""

from __future__ import annotations

import re
import subprocess

from interlock.core.services import free_port
from interlock.proxy.client import ProxyClient
from tests.proxy.conftest import ApiServer
from tests.real_toxiproxy import require_toxiproxy


def cli(server: ApiServer, *args: str) -> str:
    done = subprocess.run(
        [str(require_toxiproxy("toxiproxy-cli")), "-h", server.url, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={"NO_COLOR": "1", "TERM": "dumb"},
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def test_the_official_cli_drives_proxies_and_toxics(
    server: ApiServer, api: ProxyClient, echo_upstream: str
) -> None:
    listen = f"127.0.0.1:{free_port()}"
    assert "Created new proxy cli" in cli(server, "create", "-l", listen, "-u", echo_upstream, "cli")
    added = cli(server, "toxic", "add", "-t", "latency", "-a", "latency=100", "-a", "jitter=5", "cli")
    assert "Added downstream latency toxic 'latency_downstream' on proxy 'cli'" in added
    assert "AddToxic: HTTP 400: invalid toxic type" in cli(server, "toxic", "add", "-t", "bogus", "cli")
    assert "Updated toxic" in cli(
        server, "toxic", "update", "-n", "latency_downstream", "-a", "latency=7", "cli"
    )
    inspected = cli(server, "inspect", "cli")
    assert re.search(
        r"latency_downstream\s+type=latency\s+stream=downstream.*jitter=5\s+latency=7", inspected
    )
    assert "Proxy cli is now disabled" in cli(server, "toggle", "cli")
    assert re.search(rf"cli\s+{listen}\s+{echo_upstream}\s+disabled\s+1", cli(server, "list"))
    missing = cli(server, "toxic", "remove", "-n", "nope", "cli")
    assert "HTTP 404: toxic not found" in missing
    assert "Create: HTTP 409: proxy already exists" in cli(
        server, "create", "-l", listen, "-u", echo_upstream, "cli"
    )
    assert "Deleted proxy cli" in cli(server, "delete", "cli")
    assert "HTTP 404: proxy not found" in cli(server, "delete", "cli")
