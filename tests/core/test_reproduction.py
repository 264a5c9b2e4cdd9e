"""Reports show paths relative to the manifest and re-run commands that work from here."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from interlock.core.manifest import Manifest
from interlock.core.reproduction import display_path, rerun_command


class _Manifest:
    """The one thing rerun_command reads of a manifest: where it is."""

    def __init__(self, path: Path) -> None:
        self.path = path


def test_display_path_is_relative_inside_the_base_and_unchanged_outside(tmp_path: Path) -> None:
    base = tmp_path / "repo"
    (base / "contracts").mkdir(parents=True)
    assert display_path(base / "contracts" / "p.json", base) == "contracts/p.json"
    outside = tmp_path / "elsewhere" / "p.json"
    assert display_path(outside, base) == str(outside)


def test_the_default_manifest_is_not_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = cast(Manifest, _Manifest((tmp_path / "interlock.yaml").resolve()))
    assert rerun_command(manifest, "fuzz", "a-b", "--seed 7") == "interlock fuzz --only a-b --seed 7"


def test_another_manifest_is_named_relative_to_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path)
    manifest = cast(Manifest, _Manifest((tmp_path / "ci" / "staging.yaml").resolve()))
    assert rerun_command(manifest, "chaos", "a-b") == "interlock chaos --only a-b --manifest ci/staging.yaml"


def test_options_become_the_flags_that_give_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import dataclass, field

    from interlock.core.reproduction import options_as_flags

    @dataclass(frozen=True)
    class Options:
        suites_dir: Path | None = field(default=None, metadata={"flag": "--suites"})
        update_baseline: bool = field(default=False, metadata={"rerun": False})
        seed: int | None = None
        time_budget_s: float | None = None
        max_redirects: int | None = None  # added by someone else: carried without a change here
        tls_verify: bool = False
        include: tuple[str, ...] = ()

    monkeypatch.chdir(tmp_path)
    options = Options(tmp_path / "suites", True, 7, 90.0, 0, True, ("POST /a", "GET /b"))
    assert options_as_flags(options) == [
        "--suites suites",
        "--seed 7",
        "--time-budget 90s",
        "--max-redirects 0",
        "--tls-verify",
        "--include 'POST /a'",
        "--include 'GET /b'",
    ]
    assert options_as_flags(Options()) == []


def test_a_curl_refers_to_the_service_and_its_secrets_as_variables() -> None:
    from interlock.core.redact import RedactionPolicy, Secret
    from interlock.core.reproduction import Portable, service_variable

    policy = RedactionPolicy().with_secrets(
        [Secret("Bearer s3cr3t-t0k", "INTERLOCK_AUTHORIZATION", "the auth")]
    )
    portable = Portable("shop-payments", "http://127.0.0.1:43917", policy)
    assert service_variable("shop-payments") == "SHOP_PAYMENTS_URL"
    plain = (
        "curl -X POST -H 'Authorization: Bearer s3cr3t-t0k' -H 'Cookie: sid=abc123' "
        """-d '{"password": "generated"}' http://127.0.0.1:43917/payments?x=1"""
    )
    quoted = "curl -X GET 'http://127.0.0.1:43917/a b'"
    assert portable.commands([plain, quoted]) == [
        "# export SHOP_PAYMENTS_URL=<where shop-payments runs> INTERLOCK_AUTHORIZATION=<the auth>"
        " INTERLOCK_COOKIE=<the Cookie header value>",
        'curl -X POST -H "Authorization: $INTERLOCK_AUTHORIZATION" -H "Cookie: $INTERLOCK_COOKIE" '
        """-d '{"password": "generated"}' "$SHOP_PAYMENTS_URL/payments?x=1\"""",
        """curl -X GET "$SHOP_PAYMENTS_URL"'/a b'""",
    ]


def test_a_service_interlock_did_not_start_is_named_by_its_url() -> None:
    from interlock.core.reproduction import Portable

    portable = Portable("payments", "http://staging:8080", where="http://staging:8080")
    assert portable.commands(["curl -X GET http://staging:8080/health"]) == [
        "# export PAYMENTS_URL=http://staging:8080",
        'curl -X GET "$PAYMENTS_URL/health"',
    ]
