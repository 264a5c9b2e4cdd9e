"""Start the manifest's services, wait until they are healthy, and always stop them.

Services run as :mod:`interlock.core.processes` children (own process group, die with interlock).
Output goes straight to a log file in the report directory, which survives whatever happens to
interlock, and its tail is shown when a service fails to start. Readiness is
:func:`interlock.core.health.wait_ready`, the same wait the embedded fault proxy uses.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from interlock.core import processes, templating
from interlock.core.base_path import join_base_path
from interlock.core.errors import ConfigError, RunIncomplete
from interlock.core.health import NotReady, wait_ready
from interlock.core.manifest import Manifest, dependencies, start_order
from interlock.core.processes import log_tail

RUN_ID_ENV = "INTERLOCK_RUN_ID"


@dataclass
class RunningService:
    """A service that is up: its base URL and, when interlock started it, its process."""

    name: str
    url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None


class ServiceGroup:
    """The services of one run. Use as a context manager: leaving it stops every service."""

    def __init__(
        self,
        manifest: Manifest,
        log_dir: Path,
        *,
        run_id: str,
        proxy_url: Callable[[str], str] | None = None,
        on_event: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.manifest = manifest
        self.log_dir = log_dir
        self.run_id = run_id
        # Until a fault proxy is running for an integration, {proxy:I} means the provider itself.
        self._proxy_url = proxy_url or (
            lambda integration: self.url(manifest.integration(integration).provider)
        )
        self._on_event = on_event
        self.running: dict[str, RunningService] = {}

    def __enter__(self) -> ServiceGroup:
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self.stop_all()

    def url(self, name: str) -> str:
        """The service's URL: the root that ``health``, ``states`` and a URL-path ``openapi:`` are on."""
        return self.running[name].url

    def api_url(self, name: str) -> str:
        """Where the service's API operations live: its URL plus the manifest's ``base_path:``."""
        return join_base_path(self.url(name), self.manifest.services[name].base_path)

    def start(self, names: Iterable[str]) -> None:
        """Start ``names`` and what they depend on; skip running ones.

        Services start in waves: every service whose dependencies are healthy is launched at
        once, then the wave is awaited, so independent services boot in parallel.
        """
        pending = [n for n in start_order(self.manifest, list(names)) if n not in self.running]
        while pending:
            wave = [n for n in pending if dependencies(self.manifest, n) <= self.running.keys()]
            launched = []
            try:
                for name in wave:
                    launched.append(self._launch(name))
            finally:
                # Registered even when a later launch fails, so stop_all() reaches them.
                self.running.update((s.name, s) for s in launched)
            for service in launched:
                spec = self.manifest.services[service.name]
                self._wait_healthy(service, spec.health, spec.start_timeout)
            pending = [n for n in pending if n not in wave]

    def _launch(self, name: str) -> RunningService:
        """Spawn ``name`` (or take its base_url) without waiting for it to become healthy."""
        spec = self.manifest.services[name]
        if spec.run is None:
            assert spec.base_url is not None
            return RunningService(name, templating.render(spec.base_url, self._resolver(None)))
        check_fixed_port(self.manifest, name)
        port = spec.port if spec.port is not None else free_port()
        resolver = self._resolver(port)
        argv = _python_as_this_interpreter(shlex.split(templating.render(spec.run, resolver)))
        env = {
            **os.environ,
            **{k: templating.render(v, resolver) for k, v in spec.env.items()},
            RUN_ID_ENV: self.run_id,
            "PYTHONUNBUFFERED": "1",
        }
        log_path = self.log_dir / f"{name}.log"
        self._on_event(f"starting {name} on 127.0.0.1:{port}")
        try:
            process = processes.spawn(argv, log_path=log_path, env=env, cwd=self.manifest.base_dir)
        except OSError as exc:
            raise RunIncomplete(f"service '{name}' could not start: {argv[0]}: {exc.strerror}") from None
        return RunningService(name, f"http://127.0.0.1:{port}", process, log_path)

    def _resolver(self, port: int | None) -> Callable[[templating.Placeholder], str]:
        def resolve(p: templating.Placeholder) -> str:
            if p.kind == "port":
                return str(port)
            if p.kind == "url":
                return self.url(p.arg or "")
            return self._proxy_url(p.arg or "")

        return resolve

    def _wait_healthy(self, service: RunningService, health: str, timeout_s: float) -> None:
        """Poll ``GET health`` until 2xx; fail fast when the process exits first."""
        try:
            wait_ready(service.url, health, timeout_s=timeout_s, process=service.process)
        except NotReady as exc:
            raise RunIncomplete(self._failure(service, str(exc))) from None
        self._on_event(f"{service.name} is healthy at {service.url}")

    def _failure(self, service: RunningService, what: str) -> str:
        message = f"service '{service.name}' {what}"
        if service.log_path is not None:
            message += f"\n--- last lines of {service.log_path} ---\n" + log_tail(service.log_path)
        return message

    def stop_all(self) -> None:
        """Stop every service interlock started (SIGTERM, grace period, SIGKILL)."""
        processes.stop([s.process for s in reversed(self.running.values()) if s.process is not None])
        self.running.clear()


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_fixed_port(manifest: Manifest, name: str) -> None:
    """ConfigError when ``name`` asks for a fixed port that something else holds."""
    port = manifest.services[name].port
    if port is not None and not port_is_free(port):
        raise ConfigError(f"services.{name}.port: port {port} is already in use on 127.0.0.1", manifest.path)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _python_as_this_interpreter(argv: list[str]) -> list[str]:
    """``python ...`` in a manifest means the interpreter interlock runs in (its venv)."""
    if argv and argv[0] in ("python", "python3"):
        return [sys.executable, *argv[1:]]
    return argv
