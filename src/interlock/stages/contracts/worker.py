"""Verify one pact file, or a broker's selection, in a child process.

``python -m interlock.stages.contracts.worker JOB.json``: the job and the outcome are the models of
:mod:`interlock.stages.contracts.job`, carried by :mod:`interlock.core.worker`.

Why a child process: the Pact core writes its report straight to file descriptor 1, blocks
signals while it runs, and can take down the interpreter if it crashes. In a child, its output
goes to a log file, Ctrl-C kills it at once, and a crash is just a failed stage.

Provider states go through :class:`StateForwarder`, which never fails: a state call that errors
(a raising Python handler, or a 5xx from a URL handler) makes the Pact core retry it with backoff,
minutes per interaction. Failures are recorded instead and reported by the parent as findings on
the interactions that needed the state. The forwarder is served on loopback by
:class:`StateServer` and given to the core as a URL handler: pact-python's own Python-handler
server takes ~0.5 s to shut down per verification, a third of the whole stage. The same server
answers the core's message requests for message pacts (:mod:`interlock.stages.contracts.messages`).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

from interlock.core import worker
from interlock.core.provider_states import StateChangeFailed, change_state, read_state_change
from interlock.stages.contracts.job import BrokerSelection, VerificationJob, VerificationOutcome
from interlock.stages.contracts.messages import MESSAGE_PATH, MessageProducers


class StateForwarder:
    """A Pact state handler that forwards to the provider's state endpoint and never raises."""

    def __init__(self, states_url: str | None, timeout_s: float) -> None:
        self.states_url = states_url
        self.failures: list[dict[str, Any]] = []
        self._client = httpx.Client(timeout=timeout_s)

    def __call__(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        record = {"state": state, "action": action, "params": parameters or {}}
        if self.states_url is None:
            if state:  # "" is the core's generic setup call: nothing to do without an endpoint
                self.failures.append(
                    {
                        **record,
                        "error": "the provider has no provider-state endpoint"
                        " ('states:' is not set for it in the manifest)",
                    }
                )
            return
        try:
            change_state(self._client, self.states_url, state, parameters, action)
        except StateChangeFailed as exc:
            self.failures.append({**record, "error": str(exc)})


class StateServer(ThreadingHTTPServer):
    """Serves a StateForwarder at ``url``; every request is answered 200, whatever happened."""

    daemon_threads = True

    def __init__(self, forwarder: StateForwarder, messages: MessageProducers | None = None) -> None:
        self.forwarder = forwarder
        self.messages = messages
        super().__init__(("127.0.0.1", 0), _StateRequest)
        self.port = self.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/_interlock/state"
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> StateServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _StateRequest(BaseHTTPRequestHandler):
    server: StateServer

    def do_POST(self) -> None:
        if self.server.messages is not None and urlsplit(self.path).path == MESSAGE_PATH:
            self._message()
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            self.server.forwarder(*read_state_change(body))
        except ValueError as exc:
            self.server.forwarder.failures.append(
                {
                    "state": "",
                    "action": "setup",
                    "params": {},
                    "error": f"unreadable state request from the Pact core: {exc}",
                }
            )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def _message(self) -> None:
        """The Pact core asks for a message: produce it with the provider's declared function."""
        assert self.server.messages is not None
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        except ValueError:
            request = {}
        produced = self.server.messages.produce(request if isinstance(request, dict) else {})
        self.send_response(produced.status)
        for key, value in produced.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(produced.body)))
        self.end_headers()
        self.wfile.write(produced.body)

    def log_message(self, *args: object) -> None:
        pass


def verify(job: VerificationJob) -> VerificationOutcome:
    from pact import Verifier

    forwarder = StateForwarder(job.states_url, job.state_timeout_s)
    messages = MessageProducers(job.messages, job.search_path) if job.messages else None
    host = urlsplit(job.provider_url).hostname or "127.0.0.1"
    crashed = None
    with StateServer(forwarder, messages) as states:
        verifier = (
            Verifier(job.provider, host=host)
            .add_transport(url=job.provider_url)
            .state_handler(states.url, teardown=True, body=True)
        )
        if messages is not None:
            verifier.add_transport(protocol="message", port=states.port, path=MESSAGE_PATH)
        if job.broker is not None:
            broker_source(verifier, job.broker)
        elif job.pact is not None:
            verifier.add_source(job.pact)
        try:
            verifier.verify()
        except RuntimeError:
            pass  # failures are in verifier.results
        except Exception as exc:
            crashed = f"{type(exc).__name__}: {exc}"
    return VerificationOutcome(
        results=verifier.results if crashed is None else {},
        state_failures=forwarder.failures,
        message_failures=messages.failures if messages is not None else [],
        error=crashed,
    )


def broker_source(verifier: Any, broker: BrokerSelection) -> None:
    """Pacts from the broker by consumer version selectors; results are published back to it."""
    builder = verifier.broker_source(
        broker.url,
        username=broker.username,
        password=broker.password,
        token=broker.token,
        selector=True,
    )
    builder.include_pending()
    if broker.provider_branch:
        builder.provider_branch(broker.provider_branch)
    for selector in broker.selectors:
        builder.consumer_version(**selector)
    builder.build()
    verifier.set_publish_options(broker.provider_version, branch=broker.provider_branch)


if __name__ == "__main__":
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    sys.exit(worker.serve(VerificationJob, verify))
