"""Run Locust in its own processes (a local runner, or a master and N workers) and watch it.

Locust never runs inside interlock's process: gevent's monkey-patching breaks requests, asyncio
and schemathesis there. interlock starts ``python -m locust`` with the user's locustfile plus
:mod:`interlock.stages.load.runner_child` (by path, never imported here), reads what the child writes
every second, and stops it through a control file (a graceful stop: Locust still writes its CSV
and HTML) or, if it does not listen, by signal.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from interlock.core import processes
from interlock.core.errors import RunIncomplete
from interlock.core.services import RUN_ID_ENV, free_port, log_tail
from interlock.stages.load.metrics import Timeline, TimelineReader
from interlock.stages.load.profile import LoadShape

#: The module Locust loads next to the locustfile; a path, so interlock never imports it.
CHILD_MODULE = Path(__file__).with_name("runner_child.py")
CHILD_CONFIG_ENV = "INTERLOCK_LOAD_CHILD"
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
    def config(self) -> Path:
        return self.out_dir / "child.json"

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
    files.config.write_text(
        json.dumps(
            {
                "shape": job.shape.model_dump(mode="json"),
                "samples": str(files.samples),
                "users": str(files.users),
                "control": str(files.control),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    env = {**os.environ, CHILD_CONFIG_ENV: str(files.config), RUN_ID_ENV: job.run_id, "PYTHONUNBUFFERED": "1"}
    port = (job.master_port or free_port()) if job.distributed else None
    master = processes.spawn(locust_command(job, port), log_path=files.log, env=env, cwd=job.cwd)
    children = [master]
    worker_env = {k: v for k, v in env.items() if k != CHILD_CONFIG_ENV}
    try:
        for index in range(job.workers):
            children.append(
                processes.spawn(
                    worker_command(job, port or 0),
                    log_path=files.worker_log(index),
                    env=worker_env,
                    cwd=job.cwd,
                )
            )
        stopped_because = _watch(job, master, watch)
        code = processes.wait(master, FINISH_TIMEOUT_S)
    except BaseException:
        # Ctrl-C, SIGTERM or a crash here: ask Locust to stop gracefully, then make sure it did.
        _request_stop(files, "interlock was interrupted")
        processes.wait(master, 5.0)
        raise
    finally:
        processes.stop(children, grace_s=5.0)
    timeline = TimelineReader(files.samples, files.users).read()
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


def _watch(job: LocustJob, master: processes.subprocess.Popen[bytes], watch: Watcher) -> str | None:
    """Poll until the master exits; ask ``watch`` what to do about twice a second."""
    files = job.files()
    reader = TimelineReader(files.samples, files.users)
    launched = time.monotonic()
    stop_reason: str | None = None
    stop_sent_at: float | None = None
    while master.poll() is None:
        time.sleep(POLL_S)
        timeline = reader.read()
        if timeline.started is None:
            if time.monotonic() - launched > START_TIMEOUT_S + 5:
                raise RunIncomplete(
                    f"Locust did not start the run within {START_TIMEOUT_S:g}s; log {files.log}:\n"
                    + log_tail(files.log)
                )
            continue
        run_time = time.time() - timeline.started
        if stop_reason is None:
            stop_reason = watch(timeline, run_time)
            if stop_reason is not None:
                _request_stop(files, stop_reason)
                stop_sent_at = time.monotonic()
        if run_time > job.shape.duration + FINISH_TIMEOUT_S or (
            stop_sent_at is not None and time.monotonic() - stop_sent_at > FINISH_TIMEOUT_S
        ):
            _request_stop(files, "the run overran its shape")
            break
    return stop_reason


def _request_stop(files: LocustFiles, reason: str) -> None:
    if not files.control.exists():
        files.control.write_text(reason + "\n", encoding="utf-8")
