"""Wait until an HTTP server that interlock started answers: one readiness poll for every child.

Services (``health:`` in the manifest) and the embedded fault proxy (``GET /version``) are both
"ready" when a URL answers 2xx. Polling starts fast (a loopback server is often up within
50 ms) and backs off, and the process is checked before every poll so that a child that died
at once (bad command, port taken) is reported at once instead of after the whole timeout.
"""

from __future__ import annotations

import subprocess
import time

import httpx

#: The first pause between polls; each pause is 1.5 times the last, up to ``max_interval_s``.
FIRST_INTERVAL_S = 0.02


class NotReady(Exception):
    """The server did not answer 2xx in time, or its process exited first.

    ``str()`` completes "service 'x' ...": "exited with code 2 before it became healthy" or
    "did not become healthy within 5s (GET /health answered 503)".
    """

    def __init__(self, what: str, exit_code: int | None = None) -> None:
        super().__init__(what)
        #: The process' exit code when it died before it became ready, else None.
        self.exit_code = exit_code


def wait_ready(
    base_url: str,
    path: str,
    *,
    timeout_s: float,
    process: subprocess.Popen[bytes] | None = None,
    max_interval_s: float = 0.25,
    request_timeout_s: float = 2.0,
) -> None:
    """Poll ``GET base_url + path`` until it answers 2xx; raise :class:`NotReady` otherwise.

    With ``process``, its exit is noticed before every poll. The pauses between polls are
    plain sleeps, so a signal handler (Ctrl-C) interrupts the wait.
    """
    deadline = time.monotonic() + timeout_s
    interval = FIRST_INTERVAL_S
    last_problem = "no answer yet"
    with httpx.Client(timeout=request_timeout_s) as client:
        while True:
            if process is not None and (code := process.poll()) is not None:
                raise NotReady(f"exited with code {code} before it became healthy", exit_code=code)
            try:
                response = client.get(base_url + path)
                if response.is_success:
                    return
                last_problem = f"GET {path} answered {response.status_code}"
            except httpx.HTTPError as exc:
                last_problem = f"GET {path}: {type(exc).__name__}"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotReady(f"did not become healthy within {timeout_s:g}s ({last_problem})")
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.5, max_interval_s)
