"""Where a spec comes from: a file, a URL, a path on the running service, or a file at a git ref."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.core.manifest import Manifest, load_manifest
from interlock.openapi.source import (
    SpecSource,
    base_path_mismatch,
    load_from_source,
    read_at_git_ref,
    spec_source,
)
from tests.openapi.helpers import PAYMENTS_SPEC


def manifest(tmp_path: Path, openapi: str | None, *, base_url: str | None = None) -> Manifest:
    payments = f"base_url: {base_url}" if base_url else "run: python -m payments --port {port}"
    spec = f"\n    openapi: {openapi}" if openapi is not None else ""
    path = tmp_path / "interlock.yaml"
    path.write_text(f"""\
version: 1
services:
  payments:
    {payments}{spec}
  checkout:
    base_url: http://127.0.0.1:9
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
""")
    return load_manifest(path)


@pytest.fixture
def spec_server(tmp_path: Path) -> Iterator[str]:
    """An HTTP server on loopback serving the example payments spec as /openapi.json."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "openapi.json").write_bytes(PAYMENTS_SPEC.read_bytes())
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *_: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_what_the_manifest_declares(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "payments.json").write_bytes(PAYMENTS_SPEC.read_bytes())
    assert spec_source(manifest(tmp_path, None), "payments") is None
    file = spec_source(manifest(tmp_path, "specs/payments.json"), "payments")
    assert file == SpecSource("payments", (tmp_path / "specs" / "payments.json").resolve(), None)
    assert spec_source(manifest(tmp_path, "/openapi.json"), "payments") == SpecSource(
        "payments", None, "/openapi.json"
    )
    assert spec_source(manifest(tmp_path, str(PAYMENTS_SPEC)), "payments") == SpecSource(
        "payments", PAYMENTS_SPEC, None
    )  # an absolute path to an existing file is a file
    url = "https://specs.example.com/payments.json"
    assert spec_source(manifest(tmp_path, url), "payments") == SpecSource("payments", None, url)


def test_a_file_is_loaded(tmp_path: Path) -> None:
    m = manifest(tmp_path, str(PAYMENTS_SPEC))
    source = spec_source(m, "payments")
    assert source is not None
    assert load_from_source(source, m, None).operation("post", "/payments") is not None


def test_a_url_path_is_read_from_the_running_service(tmp_path: Path, spec_server: str) -> None:
    m = manifest(tmp_path, "/openapi.json")
    source = spec_source(m, "payments")
    assert source is not None
    doc = load_from_source(source, m, spec_server + "/")
    assert doc.origin == spec_server + "/openapi.json" and doc.version == "3.1.0"


def test_a_url_path_of_a_base_url_service_needs_nothing_running(tmp_path: Path, spec_server: str) -> None:
    m = manifest(tmp_path, "/openapi.json", base_url=spec_server)
    source = spec_source(m, "payments")
    assert source is not None
    assert load_from_source(source, m, None).origin == spec_server + "/openapi.json"


def test_a_url_path_of_a_service_not_running_points_at_the_manifest_line(tmp_path: Path) -> None:
    m = manifest(tmp_path, "/openapi.json")
    source = spec_source(m, "payments")
    assert source is not None
    with pytest.raises(
        ConfigError, match=re.escape("is a URL path (/openapi.json) and payments is not running")
    ) as raised:
        load_from_source(source, m, None)
    assert (raised.value.path, raised.value.line) == (m.path, 5)


def test_an_unreachable_or_failing_url_is_a_config_error(tmp_path: Path, spec_server: str) -> None:
    m = manifest(tmp_path, "/missing.json")
    source = spec_source(m, "payments")
    assert source is not None
    with pytest.raises(
        ConfigError,
        match=f"cannot fetch the OpenAPI document of payments from {spec_server}/missing.json: .*404",
    ):
        load_from_source(source, m, spec_server)


def test_a_base_path_mismatch_is_told_only_when_both_are_known_and_differ(tmp_path: Path) -> None:
    m = manifest(tmp_path, "/openapi.json")
    assert base_path_mismatch(m, "payments", "/v1") is None  # the manifest gives none
    path = tmp_path / "interlock.yaml"
    path.write_text(path.read_text().replace("    openapi:", "    base_path: /v1\n    openapi:"))
    m = load_manifest(path)
    assert base_path_mismatch(m, "payments", "/v1") is None
    assert base_path_mismatch(m, "payments", "") is None  # the spec declares none
    assert base_path_mismatch(m, "payments", "/api") == (
        "the spec's base path /api differs from base_path: /v1 of payments in interlock.yaml;"
        " using /v1 as the manifest says"
    )


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_a_file_at_a_git_ref(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    spec = tmp_path / "specs" / "payments.json"
    spec.parent.mkdir()
    spec.write_text("first\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    spec.write_text("second\n")
    assert read_at_git_ref("main", spec) == "first\n"
    with pytest.raises(
        ConfigError, match=re.escape("--base nope: cannot read specs/payments.json at that ref: ")
    ):
        read_at_git_ref("nope", spec)


def test_a_file_outside_git(tmp_path: Path) -> None:
    outside = tmp_path / "spec.json"
    outside.write_text("{}")
    with pytest.raises(ConfigError, match="is not in a git repository"):
        read_at_git_ref("main", outside)
