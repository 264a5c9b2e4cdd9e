"""The run's fault proxy: one proxy per integration in front of its provider, and an observer.

Two modes, chosen by the environment:

* **embedded** (default): interlock starts its own Toxiproxy-compatible server
  (:class:`interlock.proxy.process.EmbeddedProxy`) and creates ``INTEGRATION -> provider`` on it.
  That proxy also records every request it forwards, so faults and observations share one hop.
* **real Toxiproxy** (``TOXIPROXY_URL`` set): toxics go to that server, which cannot tell
  interlock what reached the provider. So interlock chains its own recorder behind it (an
  embedded server with no toxics): ``consumer -> Toxiproxy -> recorder -> provider``, and reads
  observations from the recorder. ``http_error`` (which Toxiproxy lacks) is applied there too.

Consumers get the proxy's address through ``{proxy:INTEGRATION}``: :meth:`FaultFabric.url_for` is
what the pipeline hands to :class:`~interlock.core.services.ServiceGroup`, so proxies exist before
the consumer starts. :meth:`FaultFabric.close` runs on every exit path of the pipeline: it removes
what interlock created on a real Toxiproxy (and only that: the server may be shared) and stops
the embedded processes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from interlock.core.errors import ConfigError, RunIncomplete
from interlock.core.network import is_loopback, remote_target_problem
from interlock.faults.apply import FaultTarget
from interlock.faults.observation import Observation
from interlock.proxy.client import ProxyApiError, ProxyClient
from interlock.proxy.process import EmbeddedProxy

TOXIPROXY_URL_ENV = "TOXIPROXY_URL"
LISTEN_ANY_PORT = "127.0.0.1:0"


def down_is_counted(env: Mapping[str, str] = os.environ) -> bool:
    """Whether this run's ``down`` faults will be seen and counted: only with the embedded proxy.

    The run's fabric is chosen by ``TOXIPROXY_URL`` (:meth:`FaultFabric.from_environment`), so
    experiment files can be checked against it before anything starts.
    """
    return not env.get(TOXIPROXY_URL_ENV)


@dataclass
class _Route:
    """The proxies of one integration."""

    integration: str
    upstream: str  #: provider host:port
    proxy: str  #: name on the control server (toxics, down)
    listen: str  #: where the consumer connects
    recorder: str  #: name on the recorder (observations, http_error)


class FaultFabric:
    """Owns the fault proxy of one run. Use :meth:`start`, then :meth:`close` in a ``finally``."""

    def __init__(
        self,
        log_dir: Path,
        *,
        run_id: str,
        toxiproxy_url: str | None = None,
        allow_remote: bool = False,
        on_event: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.log_dir = log_dir
        self.run_id = run_id
        self.toxiproxy_url = toxiproxy_url.rstrip("/") if toxiproxy_url else None
        self.allow_remote = allow_remote
        self._on_event = on_event
        self._embedded: list[EmbeddedProxy] = []
        self.control: ProxyClient | None = None
        self.recorder: ProxyClient | None = None
        self.routes: dict[str, _Route] = {}
        self._cursors: dict[str, int] = {}
        if self.toxiproxy_url is not None and not is_loopback(self.toxiproxy_url):
            raise ConfigError(
                f"{TOXIPROXY_URL_ENV}={self.toxiproxy_url}: the Toxiproxy server must run on this"
                " machine, since interlock's recorder behind it listens on loopback"
            )
        # On a shared real server our names must not clash with anyone else's.
        self._prefix = f"interlock-{secrets.token_hex(3)}-" if self.toxiproxy_url else ""
        self._starter: threading.Thread | None = None
        self._started = threading.Event()
        self._release = threading.Event()
        self._start_error: BaseException | None = None
        #: ``(header, value)`` of every credential the consumers sent through the proxy, as
        #: :meth:`close` found them: the run masks them in its artefacts.
        self.credentials_seen: list[tuple[str, str]] = []

    @classmethod
    def from_environment(
        cls,
        log_dir: Path,
        *,
        run_id: str,
        allow_remote: bool = False,
        on_event: Callable[[str], None] = lambda _msg: None,
    ) -> FaultFabric:
        return cls(
            log_dir,
            run_id=run_id,
            toxiproxy_url=os.environ.get(TOXIPROXY_URL_ENV) or None,
            allow_remote=allow_remote,
            on_event=on_event,
        )

    @property
    def mode(self) -> str:
        return "toxiproxy" if self.toxiproxy_url else "embedded"

    def start_in_background(self) -> None:
        """Begin :meth:`start` in a thread, so the proxy boots while the providers do.

        The first :meth:`url_for` waits for it (and raises what it raised); :meth:`close` too.
        The thread lives until :meth:`close`: children get ``PR_SET_PDEATHSIG``, which Linux fires
        when the *thread* that spawned them exits, so a starter thread that returned would take
        the proxy process down with it.
        """

        def start() -> None:
            try:
                self.start()
            except BaseException as exc:
                self._start_error = exc
            finally:
                self._started.set()
                self._release.wait()

        self._starter = threading.Thread(target=start, name="fault-proxy-start", daemon=True)
        self._starter.start()

    def _wait_started(self) -> None:
        if self._starter is not None:
            self._started.wait()
        if self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error

    def start(self) -> None:
        """Start the embedded server(s); check that a real Toxiproxy answers."""
        if self.control is not None:
            return
        if self.toxiproxy_url is None:
            self.control = self.recorder = self._start_embedded("fault-proxy")
            return
        control = ProxyClient(self.toxiproxy_url)
        try:
            version = control.version()
        except Exception as exc:
            raise RunIncomplete(
                f"{TOXIPROXY_URL_ENV}={self.toxiproxy_url} does not answer as a Toxiproxy"
                f" server: {type(exc).__name__}: {exc}"
            ) from None
        self.recorder = self._start_embedded("recorder")
        self.control = control
        self._on_event(
            f"fault proxy: Toxiproxy {version} at {self.toxiproxy_url}, recorder at {self._embedded[0].url}"
        )

    def _start_embedded(self, role: str) -> ProxyClient:
        embedded = EmbeddedProxy(
            log_path=self.log_dir / f"{role}.log", env={**os.environ, "INTERLOCK_RUN_ID": self.run_id}
        )
        self._embedded.append(embedded)  # registered before it starts, so close() always reaches it
        embedded.start()
        if self.toxiproxy_url is None:
            self._on_event(f"fault proxy: embedded Toxiproxy-compatible server at {embedded.url}")
        return ProxyClient(embedded.url)

    def url_for(self, integration: str, upstream_url: str) -> str:
        """The URL a consumer uses to reach ``integration``'s provider; creates the proxies once."""
        route = self.routes.get(integration)
        if route is None:
            try:
                route = self._create_route(integration, upstream_url)
            except (ProxyApiError, httpx.HTTPError) as exc:
                raise RunIncomplete(f"the fault proxy could not route {integration}: {exc}") from None
        return f"http://{route.listen}"

    def _create_route(self, integration: str, upstream_url: str) -> _Route:
        self._wait_started()
        if self.control is None or self.recorder is None:
            self.start()
        assert self.control is not None and self.recorder is not None
        upstream = _host_port(upstream_url)
        problem = remote_target_problem(
            upstream_url, what=f"the provider of {integration}", stage="chaos", allow_remote=self.allow_remote
        )
        if problem:
            raise ConfigError(problem)
        name = self._prefix + integration
        if self.toxiproxy_url is None:
            created = self.recorder.create_proxy(name, LISTEN_ANY_PORT, upstream)
            route = _Route(integration, upstream, name, _listen(created), name)
        else:
            recorder_name = f"{name}.recorder"
            recorded = self.recorder.create_proxy(recorder_name, LISTEN_ANY_PORT, upstream)
            # Registered as soon as the real server has it, so close() deletes it whatever happens next.
            route = _Route(integration, upstream, name, "", recorder_name)
            self.routes[integration] = route
            created = self.control.create_proxy(name, LISTEN_ANY_PORT, _listen(recorded))
            route.listen = _listen(created)
        self.routes[integration] = route
        self._on_event(f"fault proxy: {integration}: {route.listen} -> {upstream}")
        return route

    def target(self, integration: str) -> FaultTarget:
        route = self.routes[integration]
        assert self.control is not None and self.recorder is not None
        return FaultTarget(
            self.control, route.proxy, self.recorder, route.recorder, counts_refused=self.counts_refused
        )

    @property
    def counts_refused(self) -> bool:
        """Whether a ``down`` fault's refused connections are seen and counted (embedded proxy only:
        behind a real Toxiproxy, ``down`` disables its proxy and the kernel refuses, unseen)."""
        return self.toxiproxy_url is None

    def has_route(self, integration: str) -> bool:
        return integration in self.routes

    def describe(self, integration: str) -> dict[str, Any]:
        route = self.routes[integration]
        return {
            "mode": self.mode,
            "control": self.toxiproxy_url or (self._embedded[0].url if self._embedded else None),
            "proxy": route.proxy,
            "listen": route.listen,
            "upstream": route.upstream,
            "recorder": route.recorder,
        }

    def cursor(self, integration: str) -> int:
        """The observation sequence number from which the next phase starts.

        The proxy's cursor never passes a request still in flight, so a later fetch may return a
        request again: phases select their observations by time, not by sequence number.
        """
        return self.observations(integration, self._cursors.get(integration, 0))[1]

    def observations(self, integration: str, since: int) -> tuple[list[Observation], int]:
        """Requests seen since ``since`` (inclusive) and the cursor for the next fetch."""
        assert self.recorder is not None
        answer = self.recorder.observations(self.routes[integration].recorder, since=since)
        items = [Observation.model_validate(o) for o in answer.get("observations", [])]
        cursor = int(answer.get("next", since))
        self._cursors[integration] = max(cursor, self._cursors.get(integration, 0))
        return items, cursor

    def restore(self, integration: str) -> None:
        """Back to no faults for one integration: every toxic removed, proxy enabled."""
        route = self.routes[integration]
        assert self.control is not None and self.recorder is not None
        for client, proxy in ((self.control, route.proxy), (self.recorder, route.recorder)):
            for toxic in client.toxics(proxy):
                client.remove_toxic(proxy, toxic["name"])
        self.control.update_proxy(route.proxy, enabled=True)

    def credentials(self) -> list[tuple[str, str]]:
        """``(header, value)`` of every credential the consumers sent through the proxy so far."""
        self._collect_credentials()
        return list(self.credentials_seen)

    def _collect_credentials(self) -> None:
        """Keep what the recorder saw of credentials, before it stops (best effort: a recorder
        that is gone has nothing to tell, and the manifest's secrets are masked anyway)."""
        if self.recorder is None:
            return
        for route in self.routes.values():
            with contextlib.suppress(Exception):
                for pair in self.recorder.credentials(route.recorder):
                    if pair not in self.credentials_seen:
                        self.credentials_seen.append(pair)

    def close(self) -> None:
        """Leave nothing behind: our proxies on a real server deleted, embedded servers stopped."""
        problems = []
        with contextlib.suppress(BaseException):
            self._wait_started()
        self._collect_credentials()
        if self.toxiproxy_url is not None and self.control is not None:
            for route in self.routes.values():
                try:
                    self.control.delete_proxy(route.proxy)
                except Exception as exc:
                    if "not found" not in str(exc).lower():
                        problems.append(f"{route.proxy}: {exc}")
        for embedded in reversed(self._embedded):
            embedded.stop()
        self._embedded.clear()
        if self._starter is not None:
            self._release.set()
            self._starter.join()
            self._starter = None
        self.routes.clear()
        self.control = self.recorder = None
        if problems:
            self._on_event("fault proxy: could not remove " + "; ".join(problems))


def _host_port(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", ""):
        raise ConfigError(
            f"the fault proxy forwards plain TCP; {url} uses {parts.scheme}, which the consumer"
            " would have to speak to the proxy address (use the provider's http:// URL)"
        )
    if not parts.hostname or not parts.port:
        raise ConfigError(f"cannot proxy {url}: it needs an explicit host and port")
    return f"{parts.hostname}:{parts.port}"


def _listen(proxy: dict[str, Any]) -> str:
    listen = str(proxy["listen"])
    host, _, port = listen.rpartition(":")
    if host in ("", "[::]", "0.0.0.0"):
        host = "127.0.0.1"
    return f"{host}:{port}"
