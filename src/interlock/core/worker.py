"""Run an engine in a child process: a typed job in, a typed outcome out, the log kept.

Engines that misbehave in interlock's own process (the Pact core writes to fd 1 and blocks
signals, schemathesis keeps process-global registries, Locust monkey-patches the standard
library) run as children through this one protocol:

* The parent writes the job, a pydantic model, as JSON to the artefact directory and starts
  the child (:func:`start`) as a :mod:`interlock.core.processes` child: own process group, dies
  with interlock, stdout and stderr in a log file next to the job.
* A child module's whole entry point is :func:`serve`: ``python -m MODULE JOB.json`` reads the
  job, calls the engine and writes the outcome, another pydantic model, to ``job.result``.
  A child that is loaded by some other program (Locust's ``-f``) reads its job with
  :func:`read_job`, which finds it through :data:`JOB_FILE_ENV`.
* :func:`run` waits for the outcome: bounded by a timeout, interruptible (Ctrl-C raises in the
  waiting parent and leaving :class:`Child` stops the child's whole process group), and
  :class:`WorkerFailed`, with the tail of the child's log, when the child dies, overruns or
  writes an outcome that does not validate.
* A child that is slow to start (the fuzz worker imports schemathesis) can be started before its
  job is known (:func:`prestart`) and given the job later through ``run(..., warm=child)``: it
  imports its engine while the parent starts the services, then reads the job from its stdin.
* A child that reports while it runs appends JSON lines to a file its job names
  (:func:`append_json_lines`); the parent reads what was appended since the last look with
  :class:`JsonLinesTail`, from the ``every`` hook it gives :meth:`Child.wait`.

The job and result files are records in the report directory, so secrets never rest in them:
the job file is written with every secret masked, and when that changed anything the real job
travels to the child in :data:`JOB_ENV` instead (the environment, never the disk). The result
file is masked the same way once the parent has read it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from interlock.core import processes
from interlock.core.errors import RunIncomplete
from interlock.core.redact import redact_fields

#: Where a child finds its job file when no command-line argument names it.
JOB_FILE_ENV = "INTERLOCK_WORKER_JOB_FILE"
#: The job itself, set only when the job file had secrets masked: the child prefers it.
JOB_ENV = "INTERLOCK_WORKER_JOB"
#: The argument a prestarted child gets instead of a job file: its job arrives on stdin.
STDIN_JOB = "--job-on-stdin"
#: How often :meth:`Child.wait` calls its ``every`` hook.
EVERY_S = 0.5


class WorkerJob(BaseModel):
    """The base of a job for :func:`run`: where the child writes its outcome."""

    #: Path of the outcome file; :func:`run` fills it in.
    result: str = ""


JobT = TypeVar("JobT", bound=BaseModel)
WorkerJobT = TypeVar("WorkerJobT", bound=WorkerJob)
OutcomeT = TypeVar("OutcomeT", bound=BaseModel)


class WorkerFailed(RunIncomplete):
    """The child gave no usable outcome; the message ends with the tail of its log."""


class WorkerFiles(NamedTuple):
    """What one child leaves in the report directory (iterate for the artefact list)."""

    job: Path
    result: Path
    log: Path


class Child:
    """A running child and its log. Leaving the ``with`` block stops its process group."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
        self.process = process
        self.log = log
        #: How messages name the child ("the fuzz worker").
        self.what = what

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def wait(
        self, timeout_s: float, *, every: Callable[[], None] | None = None, every_s: float = EVERY_S
    ) -> int | None:
        """The exit code, or None after ``timeout_s``. ``every`` runs about every ``every_s``.

        The hook is where a parent reads progress and decides to stop the child early; what it
        raises propagates (the ``with`` block then stops the child).
        """
        deadline = time.monotonic() + timeout_s
        while True:
            code = processes.wait(self.process, max(0.0, min(every_s, deadline - time.monotonic())))
            if code is not None:
                return code
            if time.monotonic() >= deadline:
                return None
            if every is not None:
                every()

    def stop(self, grace_s: float = 1.0) -> None:
        """SIGTERM the child's process group, SIGKILL what is left after ``grace_s``."""
        processes.stop([self.process], grace_s=grace_s)

    def failed(self, problem: str) -> WorkerFailed:
        """A :class:`WorkerFailed` saying ``what problem``, with the tail of the log."""
        return WorkerFailed(
            f"{self.what} {problem}\n--- last lines of {self.log} ---\n" + processes.log_tail(self.log)
        )


def start(
    argv: Sequence[str],
    *,
    log: Path,
    what: str,
    job: BaseModel | None = None,
    job_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Child:
    """Write ``job`` to ``job_file`` (secrets masked) and start ``argv`` with its log in ``log``.

    The child inherits interlock's environment plus ``env``; it finds the job through
    :func:`read_job`.
    """
    child_env = _child_env(env)
    if job is not None:
        if job_file is None:
            raise ValueError("a job needs a job_file to be written to")
        clear = _write_job(job, job_file)
        child_env[JOB_FILE_ENV] = str(job_file)
        if clear is not None:
            child_env[JOB_ENV] = clear
    return Child(processes.spawn(argv, log_path=log, env=child_env, cwd=cwd), log, what)


def prestart(
    module: str, *, log: Path, what: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Child:
    """Start ``python -m module`` before its job is known; :func:`run` hands it the job later.

    The child (see :func:`serve`'s ``warm``) imports what it needs meanwhile, then waits for the
    job on its stdin; a parent that ends up not needing it stops it (or closes the pipe).
    """
    argv = [sys.executable, "-m", module, STDIN_JOB]
    process = processes.spawn(argv, log_path=log, env=_child_env(env), cwd=cwd, stdin=subprocess.PIPE)
    return Child(process, log, what)


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    child_env.pop(JOB_ENV, None)
    child_env.pop(JOB_FILE_ENV, None)
    return child_env


def _write_job(job: BaseModel, job_file: Path) -> str | None:
    """Write ``job`` to ``job_file`` with its secrets masked; the clear JSON when that masked any."""
    clear = job.model_dump(mode="json")
    record = redact_fields(clear)
    job_file.parent.mkdir(parents=True, exist_ok=True)
    job_file.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return json.dumps(clear) if record != clear else None


def _hand_over(warm: Child, job: BaseModel, job_file: Path) -> Child | None:
    """Give a prestarted child its job (the clear job through the pipe, never the disk); None
    when the child is gone, so the caller starts a fresh one."""
    _write_job(job, job_file)
    pipe = warm.process.stdin
    if warm.process.poll() is not None or pipe is None:
        warm.stop()
        return None
    try:
        pipe.write(job.model_dump_json().encode() + b"\n")
        pipe.close()
    except OSError:  # it died meanwhile (BrokenPipeError)
        warm.stop()
        return None
    return warm


def run(
    module: str,
    job: WorkerJobT,
    outcome_type: type[OutcomeT],
    files: WorkerFiles,
    *,
    what: str,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    warm: Child | None = None,
) -> OutcomeT:
    """Run ``python -m module JOB`` to its end and return its outcome, validated.

    ``warm`` is a child :func:`prestart` started for this job (with the same ``env``, ``cwd``
    and log); it is used when it is still alive, else a fresh child is started.

    Raises :class:`WorkerFailed` when the child overruns ``timeout_s``, exits non-zero, exits
    without an outcome or writes one that is not an ``outcome_type``.
    """
    files.result.unlink(missing_ok=True)
    job = job.model_copy(update={"result": str(files.result)})
    argv = [sys.executable, "-m", module, str(files.job)]
    child = _hand_over(warm, job, files.job) if warm is not None else None
    if child is None:
        child = start(argv, log=files.log, what=what, job=job, job_file=files.job, env=env, cwd=cwd)
    with child:
        code = child.wait(timeout_s)
    if code is None:
        raise child.failed(f"did not finish within {timeout_s:g}s")
    if code != 0 or not files.result.is_file():
        ended = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        raise child.failed(ended if files.result.is_file() else f"{ended} without an outcome")
    text = files.result.read_text(encoding="utf-8")
    try:
        outcome = outcome_type.model_validate_json(text)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the top level"
        raise child.failed(
            f"wrote an outcome that is not a {outcome_type.__name__} ({where}: {problem['msg']})"
        ) from None
    _mask_secrets(files.result, json.loads(text))
    return outcome


# --- the child's side ---------------------------------------------------------------------------


def read_job(job_type: type[JobT], job_file: Path | None = None) -> JobT:
    """The job the parent gave this child: from :data:`JOB_ENV`, else ``job_file``, else the
    file :data:`JOB_FILE_ENV` names."""
    text = os.environ.get(JOB_ENV)
    if text is None:
        path = job_file or Path(os.environ[JOB_FILE_ENV])
        text = path.read_text(encoding="utf-8")
    return job_type.model_validate_json(text)


def serve(
    job_type: type[WorkerJobT],
    handler: Callable[[WorkerJobT], BaseModel],
    argv: Sequence[str] | None = None,
    warm: Callable[[], None] | None = None,
) -> int:
    """A child module's ``main``: read the job (``argv[1]``), run ``handler``, write the outcome.

    A prestarted child (``argv[1]`` is :data:`STDIN_JOB`) first calls ``warm`` (its slow
    imports), then reads the job from stdin; end of input means the parent did not need it.
    What ``handler`` raises is not caught: the traceback lands in the log, the child exits
    non-zero and the parent reports it with the log's tail.
    """
    argv = sys.argv if argv is None else argv
    if len(argv) > 1 and argv[1] == STDIN_JOB:
        if warm is not None:
            try:
                warm()
            except Exception:  # only a head start: the job itself meets (and reports) the problem
                traceback.print_exc()
        line = sys.stdin.readline()
        if not line.strip():
            return 0
        job = job_type.model_validate_json(line)
    else:
        job = read_job(job_type, Path(argv[1]) if len(argv) > 1 else None)
    outcome = handler(job)
    Path(job.result).write_text(outcome.model_dump_json(indent=1), encoding="utf-8")
    return 0


def append_json_lines(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """Append ``rows`` to ``path``, one compact JSON object a line (a child's progress)."""
    text = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
    if text:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)


class JsonLinesTail:
    """Reads the JSON lines appended to a file since the last :meth:`read` (the parent's side).

    A line still being written is left for the next read; a missing file reads as no lines.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]


def _mask_secrets(path: Path, data: Any) -> None:
    """Rewrite the JSON record at ``path`` (holding ``data``) with its secrets masked, when it has any."""
    masked = redact_fields(data)
    if masked != data:
        path.write_text(json.dumps(masked, indent=1), encoding="utf-8")
