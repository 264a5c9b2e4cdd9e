"""Run Locust in its own processes (a local runner, or a master and N workers) and watch it.

Locust never runs inside interlock's process: gevent's monkey-patching breaks requests, asyncio
and schemathesis there. interlock starts ``python -m locust`` with the user's locustfile plus
:mod:`interlock.stages.load.runner_child` (by path, never imported here) through
:mod:`interlock.core.worker`: a typed job (:class:`RunnerJob`) in ``job.json``, the log in
``locust.log``, the process group stopped whatever happens. Locust's outcome is what it streams:
interlock tails the JSON lines the child appends every second, and stops it through a control
file (a graceful stop: Locust still writes its CSV and HTML) or, if it does not listen, by signal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from interlock.core import processes, worker
from interlock.core.errors import RunIncomplete
from interlock.core.processes import log_tail
from interlock.core.services import RUN_ID_ENV, free_port
from interlock.stages.load.metrics import Timeline, TimelineReader
from interlock.stages.load.profile import LoadShape
from interlock.stages.load.runner_job import RunnerJob

#: The module Locust loads next to the locustfile; a path, so interlock never imports it.
CHILD_MODULE = Path(__file__).with_name("runner_child.py")
#: Seconds Locust may take to start (and workers to connect) before the run counts as failed.
START_TIMEOUT_S = 60.0
#: Seconds allowed after the shape ends for Locust to stop users and write its reports.
FINISH_TIMEOUT_S = 30.0
POLL_S = 0.5


@dataclass(frozen=True)
class LocustJob:
    """One Locust run: what to run, against which host, and where its files go."""

    locustfile: Path
    host: str
    shape: LoadShape
    out_dir: Path
    run_id: str = ""
    workers: int = 0  #: local worker processes; 0 runs a single local runner
    remote_workers: int = 0  #: extra workers expected to join from other machines
    master_bind_host: str = "127.0.0.1"
    master_port: int | None = None
    cwd: Path | None = None

    @property
    def distributed(self) -> bool:
        return self.workers + self.remote_workers > 0

    def files(self) -> LocustFiles:
        return LocustFiles(self.out_dir)


@dataclass(frozen=True)
class LocustFiles:
    """Where one run's files go inside the stage's artefact directory."""

    out_dir: Path

    @property
    def samples(self) -> Path:
        return self.out_dir / "samples.jsonl"

    @property
    def users(self) -> Path:
        return self.out_dir / "users.jsonl"

    @property
    def control(self) -> Path:
        return self.out_dir / "stop-request"

    @property
    def job(self) -> Path:
        return self.out_dir / "job.json"

    @property
    def csv_prefix(self) -> Path:
        return self.out_dir / "locust"

    @property
    def html(self) -> Path:
        return self.out_dir / "locust-report.html"

    @property
    def log(self) -> Path:
        return self.out_dir / "locust.log"

    def worker_log(self, index: int) -> Path:
        return self.out_dir / f"locust-worker-{index}.log"


#: Called about twice a second with the timeline so far and the run-relative time; returns a
#: reason to stop the run early, or None.
Watcher = Callable[[Timeline, float], "str | None"]


@dataclass
class LocustOutcome:
    timeline: Timeline
    exit_code: int | None
    stopped_because: str | None = None
    artefacts: list[Path] = field(default_factory=list)


def locust_command(job: LocustJob, master_port: int | None) -> list[str]:
    """The command line of the master (or the single local runner)."""
    files = job.files()
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        f"{CHILD_MODULE},{job.locustfile}",
        "--headless",
        "-H",
        job.host,
        "--csv",
        str(files.csv_prefix),
        "--csv-full-history",
        "--html",
        str(files.html),
        "--exit-code-on-error",
        "0",
        "--only-summary",
        "--loglevel",
        "INFO",
    ]
    if job.distributed:
        argv += [
            "--master",
            "--expect-workers",
            str(job.workers + job.remote_workers),
            "--expect-workers-max-wait",
            str(int(START_TIMEOUT_S)),
            "--master-bind-host",
            job.master_bind_host,
            "--master-bind-port",
            str(master_port),
        ]
    return argv


def worker_command(job: LocustJob, master_port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        f"{CHILD_MODULE},{job.locustfile}",
        "--worker",
        "--master-host",
        "127.0.0.1",
        "--master-port",
        str(master_port),
        "--loglevel",
        "WARNING",
    ]


def run_locust(job: LocustJob, watch: Watcher) -> LocustOutcome:
    """Run ``job`` to the end of its shape (or until ``watch`` asks to stop) and read the results."""
    files = job.files()
    job.out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (files.samples, files.users, files.control):
        stale.unlink(missing_ok=True)
    runner_job = RunnerJob(
        shape=job.shape, samples=str(files.samples), users=str(files.users), control=str(files.control)
    )
    env = {RUN_ID_ENV: job.run_id}
    port = (job.master_port or free_port()) if job.distributed else None
    master = worker.start(
        locust_command(job, port),
        log=files.log,
        what="Locust",
        job=runner_job,
        job_file=files.job,
        env=env,
        cwd=job.cwd,
    )
    children = [master]
    watcher = _Watch(job, watch)
    try:
        for index in range(job.workers):
            children.append(
                worker.start(
                    worker_command(job, port or 0),
                    log=files.worker_log(index),
                    what=f"Locust worker {index}",
                    env=env,
                    cwd=job.cwd,
                )
            )
        try:
            code = master.wait(watcher.longest_run_s, every=watcher, every_s=POLL_S)
        except _GaveUp:
            code = None
    except BaseException:
        # Ctrl-C, SIGTERM or a crash here: ask Locust to stop gracefully, then make sure it did.
        _request_stop(files, "interlock was interrupted")
        master.wait(5.0)
        raise
    finally:
        processes.stop([child.process for child in children], grace_s=5.0)
    timeline = TimelineReader(files.samples, files.users).read()
    stopped_because = watcher.stop_reason
    if stopped_because is None and timeline.stop_reason:
        stopped_because = timeline.stop_reason
    if code not in (0, None) and timeline.started is None:
        raise RunIncomplete(
            f"Locust exited with code {code} before the run started; log {files.log}:\n" + log_tail(files.log)
        )
    artefacts = [p for p in (files.html, files.log, files.samples, files.users) if p.is_file()]
    artefacts += sorted(job.out_dir.glob("locust_*.csv"))
    artefacts += [files.worker_log(i) for i in range(job.workers) if files.worker_log(i).is_file()]
    return LocustOutcome(timeline, code, stopped_because, artefacts)


class _GaveUp(Exception):
    """Locust did not stop within FINISH_TIMEOUT_S of being asked to."""


class _Watch:
    """Called about twice a second while Locust runs: reads its samples, asks the stage's watcher
    whether to stop, and stops a run that overran its shape."""

    def __init__(self, job: LocustJob, watch: Watcher) -> None:
        self.files = job.files()
        self.shape_s = job.shape.duration
        self.watch = watch
        self.reader = TimelineReader(self.files.samples, self.files.users)
        self.launched = time.monotonic()
        #: Why the stage's watcher stopped the run early, if it did.
        self.stop_reason: str | None = None
        self._stop_sent_at: float | None = None
        self._overran_at: float | None = None

    @property
    def longest_run_s(self) -> float:
        """A backstop for the whole wait: starting, the shape, and stopping twice over."""
        return START_TIMEOUT_S + 5 + self.shape_s + 3 * FINISH_TIMEOUT_S

    def __call__(self) -> None:
        now = time.monotonic()
        if self._overran_at is not None:
            if now - self._overran_at > FINISH_TIMEOUT_S:
                raise _GaveUp
            return
        timeline = self.reader.read()
        if timeline.started is None:
            if now - self.launched > START_TIMEOUT_S + 5:
                raise RunIncomplete(
                    f"Locust did not start the run within {START_TIMEOUT_S:g}s; log {self.files.log}:\n"
                    + log_tail(self.files.log)
                )
            return
        run_time = time.time() - timeline.started
        if self.stop_reason is None:
            self.stop_reason = self.watch(timeline, run_time)
            if self.stop_reason is not None:
                _request_stop(self.files, self.stop_reason)
                self._stop_sent_at = now
        if run_time > self.shape_s + FINISH_TIMEOUT_S or (
            self._stop_sent_at is not None and now - self._stop_sent_at > FINISH_TIMEOUT_S
        ):
            _request_stop(self.files, "the run overran its shape")
            self._overran_at = now


def _request_stop(files: LocustFiles, reason: str) -> None:
    if not files.control.exists():
        files.control.write_text(reason + "\n", encoding="utf-8")
