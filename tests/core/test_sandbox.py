"""The sandbox for real: a child process enters a network namespace with only loopback.

Every test runs the sandbox in a child: entering one is for the rest of a process's life.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import REPO, require_sandbox

CHILD = textwrap.dedent("""\
    import errno, json, socket, sys, time
    from interlock.core.sandbox import enter_sandbox
    enter_sandbox()
    report = {"interfaces": [name for _i, name in socket.if_nameindex()]}
    if report["interfaces"] == ["lo"]:  # never try the outside unless the sandbox holds
        started = time.monotonic()
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=5).close()
            report["outside"] = "connected"
        except OSError as exc:
            report["outside"] = errno.errorcode.get(exc.errno, str(exc))
        report["outside_s"] = time.monotonic() - started
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.create_server((host, 0), family=family) as server:
                socket.create_connection(server.getsockname()[:2], timeout=2).close()
        report["loopback"] = "ok"
    import subprocess
    dev = subprocess.run(["cat", "/proc/self/net/dev"], capture_output=True, text=True).stdout
    report["child"] = [line.split(":")[0].strip() for line in dev.splitlines()[2:]]
    print(json.dumps(report))
""")


def run_child(*prefix: str) -> dict[str, object]:
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout)
    return report


def test_only_loopback_is_there_and_the_outside_is_unreachable_at_once() -> None:
    require_sandbox()
    report = run_child()
    assert report["interfaces"] == ["lo"]
    assert report["outside"] == "ENETUNREACH"
    assert isinstance(report["outside_s"], float) and report["outside_s"] < 0.1
    assert report["loopback"] == "ok"
    assert report["child"] == ["lo"]  # what the process starts inherits it


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to become another user"
)
def test_a_user_without_privileges_gets_one_through_a_user_namespace(tmp_path: Path) -> None:
    require_sandbox()
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*nobody, sys.executable, "-c", "import interlock"], capture_output=True, text=True, cwd=REPO
    )
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot read this checkout: {probe.stderr.strip()}")
    report = run_child(*nobody)
    if "outside" not in report:
        pytest.fail(f"not sandboxed as nobody: {report}")
    assert report["interfaces"] == report["child"] == ["lo"] and report["outside"] == "ENETUNREACH"


def test_a_process_with_threads_is_refused_not_half_sandboxed() -> None:
    child = textwrap.dedent("""\
        import threading, time
        from interlock.core.sandbox import SandboxUnavailable, enter_sandbox
        threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
        try:
            enter_sandbox()
        except SandboxUnavailable as exc:
            print(exc)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=30)
    assert proc.stdout.strip() == "the process already runs 2 threads, which would stay outside"
