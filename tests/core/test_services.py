"""The service runner against real processes on loopback."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError, RunIncomplete
from interlock.core.manifest import load_manifest
from interlock.core.services import ServiceGroup
from tests.helpers import REPO, processes_of_run

pytestmark = pytest.mark.slow

TINY = REPO / "tests" / "fixtures" / "tiny_service.py"

# Unique per test session: other checkouts on this machine may run these tests at the same time.
_SESSION = uuid.uuid4().hex[:8]
ORDER_RUN = f"t-order-{_SESSION}"
FAIL_RUN = f"t-fail-{_SESSION}"
UNHEALTHY_RUN = f"t-unhealthy-{_SESSION}"
PORT_RUN = f"t-port-{_SESSION}"


def manifest_for(tmp_path: Path, *flags: str, extra: str = "", start_timeout: float = 10) -> Path:
    (tmp_path / "p.json").write_text("{}")
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
services:
  api:
    run: python {TINY} {{port}} {" ".join(flags)}
    start_timeout: {start_timeout}
{extra}
  client:
    run: python {TINY} {{port}}
    env: {{API_URL: "{{url:api}}"}}
integrations:
  - {{name: client-api, consumer: client, provider: api, pacts: p.json}}
""")
    return path


def test_starts_in_dependency_order_and_stops_everything(tmp_path: Path) -> None:
    manifest = load_manifest(manifest_for(tmp_path, "--spawn-child"))
    with ServiceGroup(manifest, tmp_path / "logs", run_id=ORDER_RUN) as services:
        services.start(["client"])
        assert list(services.running) == ["api", "client"]
        assert services.url("api").startswith("http://127.0.0.1:")
        assert len(processes_of_run(ORDER_RUN)) == 3  # api, its grandchild, client
    deadline = time.monotonic() + 5
    while processes_of_run(ORDER_RUN) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of_run(ORDER_RUN) == []
    assert "tiny service starting" in (tmp_path / "logs" / "api.log").read_text()


def test_a_service_that_exits_fails_fast_with_its_log_tail(tmp_path: Path) -> None:
    manifest = load_manifest(manifest_for(tmp_path, "--fail-start"))
    started = time.monotonic()
    with (
        ServiceGroup(manifest, tmp_path / "logs", run_id=FAIL_RUN) as services,
        pytest.raises(RunIncomplete) as info,
    ):
        services.start(["api"])
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "service 'api' exited with code 4 before it became healthy" in message
    assert "fatal: cannot open database" in message


def test_a_service_that_never_gets_healthy_times_out(tmp_path: Path) -> None:
    manifest = load_manifest(manifest_for(tmp_path, "--never-healthy", start_timeout=1))
    with (
        ServiceGroup(manifest, tmp_path / "logs", run_id=UNHEALTHY_RUN) as services,
        pytest.raises(RunIncomplete, match=r"did not become healthy within 1s \(GET /health answered 503\)"),
    ):
        services.start(["api"])
    assert processes_of_run(UNHEALTHY_RUN) == []


def test_a_fixed_port_in_use_is_a_config_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        manifest = load_manifest(manifest_for(tmp_path, extra=f"    port: {port}"))
        with (
            ServiceGroup(manifest, tmp_path / "logs", run_id=PORT_RUN) as services,
            pytest.raises(ConfigError, match=f"port {port} is already in use"),
        ):
            services.start(["api"])
