"""The engine child-process protocol against a real tiny child (tests/fixtures/tiny_worker.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interlock.core import worker
from interlock.core.worker import JsonLinesTail, WorkerFailed, WorkerFiles
from tests.fixtures.tiny_worker import TinyJob, TinyOutcome
from tests.helpers import REPO

pytestmark = pytest.mark.slow

MODULE = "tests.fixtures.tiny_worker"
ENV = {"PYTHONPATH": str(REPO)}


def files_in(directory: Path) -> WorkerFiles:
    return WorkerFiles(directory / "job.json", directory / "result.json", directory / "worker.log")


def run_tiny(directory: Path, job: TinyJob, timeout_s: float = 60) -> TinyOutcome:
    return worker.run(
        MODULE,
        job,
        TinyOutcome,
        files_in(directory),
        what="the tiny worker",
        timeout_s=timeout_s,
        env=ENV,
        cwd=REPO,
    )


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until_gone(pids: list[int], timeout_s: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def test_the_outcome_comes_back_typed_and_the_files_stay(tmp_path: Path) -> None:
    outcome = run_tiny(tmp_path, TinyJob(behaviour="ok", number=21))
    assert outcome == TinyOutcome(doubled=42)
    job = json.loads((tmp_path / "job.json").read_text())
    assert job["behaviour"] == "ok" and job["number"] == 21
    assert job["result"] == str(tmp_path / "result.json")
    assert json.loads((tmp_path / "result.json").read_text())["doubled"] == 42
    assert "tiny worker: ok" in (tmp_path / "worker.log").read_text()


def test_secrets_reach_the_child_but_rest_in_no_file(tmp_path: Path) -> None:
    outcome = run_tiny(tmp_path, TinyJob(behaviour="ok", number=1, api_key="s3cr3t-value"))
    assert outcome.api_key == "s3cr3t-value"  # the child got the real job
    assert json.loads((tmp_path / "job.json").read_text())["api_key"] == "[REDACTED]"
    for name in ("job.json", "result.json"):
        assert "s3cr3t-value" not in (tmp_path / name).read_text(), name


def test_a_prestarted_child_warms_up_then_gets_its_job_through_the_pipe(tmp_path: Path) -> None:
    files = files_in(tmp_path)
    warm = worker.prestart(MODULE, log=files.log, what="the tiny worker", env=ENV, cwd=REPO)
    deadline = time.monotonic() + 60  # the services would be starting now
    while "warmed up" not in files.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    handed = time.time()
    outcome = worker.run(
        MODULE,
        TinyJob(behaviour="ok", number=4, api_key="s3cr3t-value"),
        TinyOutcome,
        files,
        what="the tiny worker",
        timeout_s=60,
        env=ENV,
        cwd=REPO,
        warm=warm,
    )
    assert outcome.doubled == 8 and outcome.api_key == "s3cr3t-value"
    assert 0 < outcome.warmed_at < handed  # it had warmed up before the job existed
    assert json.loads(files.job.read_text())["api_key"] == "[REDACTED]"  # the record, masked
    assert "s3cr3t-value" not in files.job.read_text() + files.result.read_text()
    assert warm.process.poll() == 0


def test_a_warm_up_that_fails_only_costs_the_head_start(tmp_path: Path) -> None:
    files = files_in(tmp_path)
    env = {**ENV, "TINY_WARM_FAILS": "1"}
    warm = worker.prestart(MODULE, log=files.log, what="the tiny worker", env=env, cwd=REPO)
    outcome = worker.run(
        MODULE, TinyJob(behaviour="ok", number=6), TinyOutcome, files,
        what="the tiny worker", timeout_s=60, env=env, cwd=REPO, warm=warm,
    )  # fmt: skip
    assert outcome.doubled == 12
    assert "engine_internals" in files.log.read_text()  # the traceback is in the log


def test_a_prestarted_child_that_died_is_replaced_by_a_fresh_one(tmp_path: Path) -> None:
    files = files_in(tmp_path)
    warm = worker.prestart(MODULE, log=files.log, what="the tiny worker", env=ENV, cwd=REPO)
    warm.stop()
    outcome = worker.run(
        MODULE, TinyJob(behaviour="ok", number=5), TinyOutcome, files,
        what="the tiny worker", timeout_s=60, env=ENV, cwd=REPO, warm=warm,
    )  # fmt: skip
    assert outcome == TinyOutcome(doubled=10)  # started cold: no warm-up


def test_a_prestarted_child_nobody_needs_ends_when_its_pipe_closes(tmp_path: Path) -> None:
    warm = worker.prestart(MODULE, log=tmp_path / "worker.log", what="the tiny worker", env=ENV, cwd=REPO)
    assert warm.process.stdin is not None
    warm.process.stdin.close()
    assert warm.wait(30) == 0


def test_a_crash_before_the_outcome_is_reported_with_the_log_tail(tmp_path: Path) -> None:
    with pytest.raises(WorkerFailed) as failed:
        run_tiny(tmp_path, TinyJob(behaviour="crash"))
    message = str(failed.value)
    assert message.startswith("the tiny worker exited with code 1 without an outcome")
    assert f"last lines of {tmp_path / 'worker.log'}" in message
    assert "RuntimeError: the engine blew up" in message


def test_a_hard_exit_without_an_outcome_names_the_exit_code(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text('{"doubled": 1}')  # a stale outcome must not count
    with pytest.raises(WorkerFailed, match="exited with code 7 without an outcome"):
        run_tiny(tmp_path, TinyJob(behaviour="exit"))


@pytest.mark.parametrize(
    ("behaviour", "problem"),
    [
        ("wrong-outcome", "wrote an outcome that is not a TinyOutcome (doubled: "),
        ("garbage-outcome", "wrote an outcome that is not a TinyOutcome (the top level: Invalid JSON"),
    ],
)
def test_an_outcome_that_does_not_validate_is_a_failure(tmp_path: Path, behaviour: str, problem: str) -> None:
    with pytest.raises(WorkerFailed) as failed:
        run_tiny(tmp_path, TinyJob(behaviour=behaviour))
    assert f"the tiny worker {problem}" in str(failed.value)


def test_a_child_past_its_timeout_is_stopped_with_its_process_group(tmp_path: Path) -> None:
    progress = tmp_path / "progress.jsonl"
    started = time.monotonic()
    with pytest.raises(WorkerFailed, match=r"the tiny worker did not finish within 3s"):
        run_tiny(tmp_path, TinyJob(behaviour="hang", progress=str(progress)), timeout_s=3)
    assert time.monotonic() - started < 15
    (pids,) = JsonLinesTail(progress).read()
    assert wait_until_gone([pids["pid"], pids["grandchild"]]) == []


def test_progress_lines_are_read_while_the_child_runs(tmp_path: Path) -> None:
    progress = tmp_path / "progress.jsonl"
    job = TinyJob(behaviour="stream", progress=str(progress), result=str(tmp_path / "result.json"))
    tail = JsonLinesTail(progress)
    during: list[int] = []
    argv = [sys.executable, "-m", MODULE, str(tmp_path / "job.json")]
    with worker.start(
        argv,
        log=tmp_path / "worker.log",
        what="the tiny worker",
        job=job,
        job_file=tmp_path / "job.json",
        env=ENV,
        cwd=REPO,
    ) as child:
        code = child.wait(60, every=lambda: during.extend(row["n"] for row in tail.read()), every_s=0.05)
    assert code == 0
    assert during, "no progress was seen while the child ran"
    assert during + [row["n"] for row in tail.read()] == [0, 1, 2]
    assert TinyOutcome.model_validate_json((tmp_path / "result.json").read_text()).doubled == 0


_INTERRUPTED_PARENT = """
import sys
from pathlib import Path
from interlock.core import worker
from interlock.core.errors import Interrupted
from interlock.core.interrupts import InterruptGuard
from tests.fixtures.tiny_worker import TinyJob, TinyOutcome

out = Path(sys.argv[1])
files = worker.WorkerFiles(out / "job.json", out / "result.json", out / "worker.log")
job = TinyJob(behaviour="hang", progress=str(out / "progress.jsonl"))
try:
    with InterruptGuard():
        worker.run("tests.fixtures.tiny_worker", job, TinyOutcome, files, what="w", timeout_s=120)
except Interrupted as exc:
    print("interrupted by", exc.signum, flush=True)
    sys.exit(128 + exc.signum)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_parent_stops_the_child_and_its_group(tmp_path: Path, sig: int) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_PARENT, str(tmp_path)],
        cwd=REPO,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        tail = JsonLinesTail(tmp_path / "progress.jsonl")
        deadline = time.monotonic() + 60
        rows = tail.read()
        while not rows and parent.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            rows = tail.read()
        assert rows, "the child never started"
        parent.send_signal(sig)
        output, _ = parent.communicate(timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert parent.returncode == 128 + sig, output
    assert f"interrupted by {sig}" in output
    assert wait_until_gone([rows[0]["pid"], rows[0]["grandchild"]]) == []
