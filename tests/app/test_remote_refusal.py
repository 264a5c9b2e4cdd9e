"""The real CLI refuses a non-loopback chaos or load target at once: exit 2, one line, nothing run.

Nothing started is checked by the services' own ``run:`` commands (each would leave a marker
file), and no look-up by a ``sitecustomize`` in the child that records every name resolution.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import interlock

pytestmark = pytest.mark.slow

REMOTE = "http://staging.example.invalid:8080"

SPY = textwrap.dedent("""\
    import os, socket

    def _spy(name):
        real = getattr(socket, name)

        def looked_up(*args, **kwargs):
            with open(os.environ["LOOKUPS_FILE"], "a") as out:
                out.write(f"{name}{args!r}\\n")
            return real(*args, **kwargs)

        setattr(socket, name, looked_up)

    for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        _spy(_name)
""")


def remote_shop(tmp_path: Path, *, remote: str) -> Path:
    """checkout -> payments with chaos and load, where ``remote`` (a service) is at REMOTE."""
    started = tmp_path / "started"
    services = {
        "payments": f"run: python -c \"open('{started}-payments', 'w')\" {{port}}",
        "checkout": f"run: python -c \"open('{started}-checkout', 'w')\" {{port}}",
    }
    services[remote] = f"base_url: {REMOTE}"
    (tmp_path / "chaos.yaml").write_text(
        "integration: shop\nprobe: {path: /orders}\nfaults:\n"
        '  - {name: down, down: true, expect: ["p(99) < 1s"]}\n'
    )
    (tmp_path / "load.py").write_text("")
    (tmp_path / "load.yaml").write_text(
        f"target: {remote}\nlocustfile: load.py\nshape: {{type: ramp, users: 1, duration: 2s}}\n"
    )
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
services:
  payments:
    {services["payments"]}
  checkout:
    {services["checkout"]}
    env: {{PAYMENTS_URL: "{{proxy:shop}}"}}
integrations:
  - {{name: shop, consumer: checkout, provider: payments, chaos: chaos.yaml, load: load.yaml}}
""")
    return path


@pytest.mark.parametrize(
    ("remote", "stages", "line", "expected"),
    [
        ("payments", "chaos,load", 4, "chaos would send faults to service 'payments'"),
        ("checkout", "chaos", 6, "chaos would send probes to service 'checkout'"),
        ("payments", "load", 4, "load would send load to service 'payments'"),
        ("checkout", "load", 6, "load would send load to service 'checkout'"),
    ],
)
def test_a_remote_target_is_refused_before_anything_starts(
    tmp_path: Path, remote: str, stages: str, line: int, expected: str
) -> None:
    manifest = remote_shop(tmp_path, remote=remote)
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(SPY)
    lookups = tmp_path / "lookups.txt"
    proc = interlock(
        "verify",
        "--manifest",
        str(manifest),
        "--stages",
        stages,
        "--report-dir",
        str(tmp_path / "reports"),
        env={"PYTHONPATH": str(spy), "LOOKUPS_FILE": str(lookups)},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [proc.stderr.strip()]  # one line
    assert proc.stderr.startswith(f"interlock: {manifest}:{line}: {expected} (the ")
    assert REMOTE in proc.stderr and "allow_remote: true" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("started")) == []
    assert not (tmp_path / "reports").exists()
    assert not lookups.exists(), lookups.read_text()


def test_the_refusal_of_the_issues_case_starts_nothing(tmp_path: Path) -> None:
    """The issue's case (a remote provider, --stages chaos,load): exit 2 and nothing started.

    How long it takes is measured by benchmarks/refusal_time.py, not asserted here: timed tests
    flake on busy machines.
    """
    manifest = remote_shop(tmp_path, remote="payments")
    proc = interlock("verify", "--manifest", str(manifest), "--stages", "chaos,load")
    assert proc.returncode == 2, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("started")) == []


def test_the_spy_sees_a_look_up(tmp_path: Path) -> None:
    """The look-up spy is live in the child: without it the test above could not fail."""
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(SPY)
    lookups = tmp_path / "lookups.txt"
    subprocess.run(
        [sys.executable, "-c", "import socket; socket.getaddrinfo('localhost', 80)"],
        env={"PYTHONPATH": str(spy), "LOOKUPS_FILE": str(lookups)},
        check=True,
    )
    assert "getaddrinfo('localhost', 80)" in lookups.read_text()
