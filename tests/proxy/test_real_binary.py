"""Where the tests find the real Toxiproxy: beside the repository, else on PATH, else they skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import real_toxiproxy


def test_the_binary_is_found_beside_the_repo_then_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared, on_path = tmp_path / "shared", tmp_path / "bin"
    for folder in (shared, on_path):
        folder.mkdir()
        (folder / "toxiproxy-server").write_text("#!/bin/sh\n")
        (folder / "toxiproxy-server").chmod(0o755)
    monkeypatch.setattr(real_toxiproxy, "SHARED", shared)
    monkeypatch.setenv("PATH", str(on_path))
    assert real_toxiproxy.toxiproxy_binary() == shared / "toxiproxy-server"
    monkeypatch.setattr(real_toxiproxy, "SHARED", tmp_path / "absent")
    assert real_toxiproxy.toxiproxy_binary() == on_path / "toxiproxy-server"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert real_toxiproxy.toxiproxy_binary() is None
    with pytest.raises(pytest.skip.Exception, match=r"neither in .* nor on PATH"):
        real_toxiproxy.require_toxiproxy()
