"""The faults of an experiment file, validated with file:line errors, the rest of the file ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.faults.file import load_faults
from tests.helpers import REPO


def test_the_example_experiment_file() -> None:
    faults = load_faults(REPO / "chaos" / "checkout-payments.yaml")
    assert [f.name for f in faults] == [
        "slow-provider",
        "provider-503",
        "connection-reset",
        "provider-down",
        "rate-limited",
        "token-expired",
    ]
    slow, http, reset, down, limited, expired = faults
    assert slow.toxics[0].type == "latency" and slow.toxics[0].attributes == {"latency": 1500}
    assert slow.calls == 5
    assert http.http_error is not None and http.http_error.status == 503
    assert reset.toxics[0].type == "reset_peer" and reset.calls is None
    assert down.down and "p(99) < 1300ms" in down.expect
    assert limited.http_error is not None and (limited.http_error.status, limited.http_error.retry_after) == (
        429,
        1,
    )
    assert expired.auth_expiry is not None and "stale_credential_retries == 0" in expired.expect


def test_keys_other_than_faults_are_not_checked_here(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(
        "integration: a-b\nprobe: {whatever: 1}\nunknown_key: 3\nfaults:\n  - {name: d, down: true}\n"
    )
    assert [f.name for f in load_faults(path)] == ["d"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("- just a list\n", 1, "an experiment must be a mapping"),
        ("integration: a-b\nfaults: []\n", 2, "faults"),
        ("integration: a-b\n", 1, "faults"),
        ("faults:\n  - name: slow\n    toxics:\n      - {type: latency, strem: upstream}\n", 4, "strem"),
        ("faults:\n  - name: ok\n    down: true\n  - name: nothing\n", 4, "a fault needs"),
    ],
)
def test_bad_files_point_at_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_faults(path)
    assert (raised.value.path, raised.value.line) == (path, line)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_faults(tmp_path / "gone.yaml")
