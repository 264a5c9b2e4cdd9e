"""What a sandboxed run refuses before it starts anything, each in one line (exit 2).

These run the pipeline in the test process with a thread of its own running, so that even a
broken check could never move the test process into a namespace (a threaded process is refused).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.app import pipeline
from interlock.app.run_options import RunOptions
from interlock.core.console import Output
from interlock.core.errors import ConfigError, UsageError
from interlock.stages.load.stage import LoadOptions, LoadStage
from tests.app.test_gate import payments_manifest
from tests.helpers import REPO
from tests.stages.chaos.manifests import example_manifest


@pytest.fixture(autouse=True)
def a_thread_running() -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


def run(options: RunOptions) -> None:
    pipeline.run(options, Output(plain=True))


def test_no_namespace_is_exit_2_never_an_unsandboxed_run(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path)
    with pytest.raises(UsageError) as raised:
        run(RunOptions(manifest, ["contracts"], report_dir=tmp_path / "r", sandbox=True))
    assert str(raised.value).startswith(
        "--sandbox: cannot create a private network namespace here: the process already runs"
    )
    assert not (tmp_path / "r").exists()


def test_the_manifest_setting_names_its_line(tmp_path: Path) -> None:
    manifest = payments_manifest(tmp_path)
    manifest.write_text(manifest.read_text().replace("version: 1\n", "version: 1\nsandbox: true\n"))
    with pytest.raises(ConfigError) as raised:
        run(RunOptions(manifest, ["contracts"], report_dir=tmp_path / "r"))
    assert str(raised.value).startswith(
        f"{manifest}:2: sandbox: true: cannot create a private network namespace here:"
    )


def test_a_real_toxiproxy_outside_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOXIPROXY_URL", "http://127.0.0.1:8474")
    manifest = example_manifest(tmp_path)
    with pytest.raises(UsageError, match=r"^--sandbox: \$TOXIPROXY_URL names a Toxiproxy server outside"):
        run(RunOptions(manifest, ["chaos"], report_dir=tmp_path / "r", sandbox=True))


def test_remote_load_workers_are_refused(tmp_path: Path) -> None:
    manifest = REPO / "interlock.yaml"
    stage = LoadStage(LoadOptions(remote_workers=2, master_port=5557))
    options = RunOptions(
        manifest, ["load"], report_dir=tmp_path / "r", stage_overrides={"load": stage}, sandbox=True
    )
    with pytest.raises(UsageError, match=r"^--sandbox: --remote-workers connect from other machines"):
        run(options)
