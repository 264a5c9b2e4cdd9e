"""Loaded by Locust next to the user's locustfile (``locust -f runner_child.py,locustfile.py``).

NEVER import this module from interlock's own process: it imports locust, whose gevent
monkey-patching breaks requests, asyncio and schemathesis in the same process. interlock passes
its path to Locust's ``-f`` and talks to it through files only, by the protocol of
:mod:`interlock.core.worker`:

* the job, a :class:`RunnerJob` read with :func:`interlock.core.worker.read_job`: the shape and
  where to write (master/local only; a worker, here or on another machine, gets no job).
* samples (appended with :func:`interlock.core.worker.append_json_lines`, like every stream):
  one JSON line per (second, endpoint) with the count, failures and a response-time histogram.
  Workers attach their buckets to the reports they send the master every few seconds, so a
  master with workers on other machines still sees every request. Rows are partial sums:
  interlock adds up rows with the same key.
* users: one JSON line a second with the user count and the number of workers.
* control: when this file appears, the run is stopped (interlock's abort_on_fail and Ctrl-C).
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from interlock.core import worker
from interlock.stages.load.locust_shape import shape_for
from interlock.stages.load.runner_job import RunnerJob

REPORT_KEY = "interlock_samples"
FLUSH_INTERVAL_S = 1.0

log = logging.getLogger("interlock.stages.load")

_job = worker.read_job(RunnerJob) if worker.JOB_FILE_ENV in os.environ else None

if _job is not None:
    # The one shape class Locust finds in this file (master or local runner only).
    InterlockShape = shape_for(_job.shape)


class _Buckets:
    """Per-(second, method, name) counts, failures and a rounded response-time histogram."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str, str], list[Any]] = {}

    def add(self, second: int, method: str, name: str, response_ms: float, failed: bool) -> None:
        row = self.rows.get((second, method, name))
        if row is None:
            row = self.rows[(second, method, name)] = [0, 0, defaultdict(int)]
        row[0] += 1
        row[1] += failed
        row[2][_bucket(response_ms)] += 1

    def merge(self, rows: list[dict[str, Any]]) -> None:
        for item in rows:
            key = (int(item["s"]), str(item["m"]), str(item["n"]))
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = [0, 0, defaultdict(int)]
            row[0] += item["c"]
            row[1] += item["f"]
            for rt, n in item["h"].items():
                row[2][int(rt)] += n

    def drain(self) -> list[dict[str, Any]]:
        rows, self.rows = self.rows, {}
        return [
            {"s": s, "m": m, "n": n, "c": c, "f": f, "h": dict(h)} for (s, m, n), (c, f, h) in rows.items()
        ]


def _bucket(ms: float) -> int:
    """Locust's own rounding: exact below 100 ms, then 2 significant digits, 3 above 1 s."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


_buckets = _Buckets()


@events.request.add_listener
def _on_request(request_type: str, name: str, response_time: float, exception: Any = None, **_: Any) -> None:
    _buckets.add(int(time.time()), request_type, name, response_time or 0.0, exception is not None)


@events.report_to_master.add_listener
def _on_report_to_master(client_id: str, data: dict[str, Any]) -> None:
    data[REPORT_KEY] = _buckets.drain()


@events.worker_report.add_listener
def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
    _buckets.merge(data.get(REPORT_KEY, []))


def _append(path: str, rows: list[dict[str, Any]]) -> None:
    worker.append_json_lines(Path(path), rows)


def _writer(environment: Environment) -> None:
    """Every second: flush samples, log the user count, obey the control file."""
    assert _job is not None
    samples, users, control = _job.samples, _job.users, Path(_job.control)
    runner = environment.runner
    assert runner is not None
    while True:
        gevent.sleep(FLUSH_INTERVAL_S)
        _append(samples, _buckets.drain())
        workers = (
            len(runner.clients.ready) + len(runner.clients.running) if isinstance(runner, MasterRunner) else 0
        )
        _append(
            users,
            [
                {
                    "s": round(time.time(), 3),
                    "users": runner.user_count,
                    "state": runner.state,
                    "workers": workers,
                }
            ],
        )
        if control.exists():
            reason = control.read_text(encoding="utf-8").strip() or "stop requested"
            log.warning("interlock: stopping the run: %s", reason)
            _append(users, [{"s": round(time.time(), 3), "event": "stop", "reason": reason}])
            runner.quit()
            return


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or _job is None:
        return
    gevent.spawn(_writer, environment)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    if _job is not None and not isinstance(environment.runner, WorkerRunner):
        _append(_job.users, [{"s": round(time.time(), 3), "event": "start"}])


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    if _job is not None and not isinstance(environment.runner, WorkerRunner):
        _append(_job.samples, _buckets.drain())
        _append(_job.users, [{"s": round(time.time(), 3), "event": "end"}])
