"""Background traffic: concurrent callers that keep the consumer busy while a fault is applied.

A blast-radius experiment faults one dependency of the consumer (``on:``) and measures another
endpoint of it: whether a slow dependency drags down calls that never touch it depends on what the
consumer does *while* requests to the slow one pile up. So ``background.concurrency`` callers repeat
``background.probe`` for the whole measured window, and their calls are recorded apart from the
measured probe's.

Every loop is bounded: each caller stops when told to, or after :data:`MAX_CALLS` calls, and each
call is bounded by its probe's timeout, so leaving the ``with`` block waits at most one timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

import httpx

from interlock.faults.model import MAX_CALLS, Background
from interlock.stages.chaos.experiment import Probe
from interlock.stages.chaos.journal import CallRecord

#: One probe call: ``(client, probe, index) -> record``, the runner's own.
CallProbe = Callable[[httpx.Client, Probe, int], CallRecord]
#: Slack on top of the probe timeout when waiting for the callers to stop.
JOIN_SLACK_S = 5.0


class BackgroundTraffic:
    """``with BackgroundTraffic(...) as traffic:`` runs the callers; ``traffic.calls`` after the block."""

    def __init__(self, consumer_url: str, probe: Probe, spec: Background, call: CallProbe) -> None:
        self.consumer_url = consumer_url
        self.probe = probe
        self.spec = spec
        self._call = call
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._client: httpx.Client | None = None
        self.calls: list[CallRecord] = []

    def __enter__(self) -> BackgroundTraffic:
        # A client of its own, with room for every caller: the measured probe never waits on it.
        limits = httpx.Limits(
            max_connections=self.spec.concurrency, max_keepalive_connections=self.spec.concurrency
        )
        self._client = httpx.Client(base_url=self.consumer_url, limits=limits)
        for worker in range(self.spec.concurrency):
            thread = threading.Thread(target=self._loop, name=f"chaos-background-{worker}", daemon=True)
            self._threads.append(thread)
            thread.start()
        if self.spec.warmup:
            self._stop.wait(self.spec.warmup)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        deadline = time.monotonic() + self.probe.timeout + JOIN_SLACK_S
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        if self._client is not None:
            self._client.close()
        with self._lock:
            self.calls.sort(key=lambda c: c.started)
            for index, call in enumerate(self.calls, start=1):
                call.index = index

    def _loop(self) -> None:
        assert self._client is not None
        for _ in range(MAX_CALLS):
            if self._stop.is_set():
                return
            record = self._call(self._client, self.probe, 0)
            with self._lock:
                self.calls.append(record)
