"""The loopback rule that chaos and load share."""

from __future__ import annotations

import pytest

from interlock.core.network import is_loopback, remote_target_problem


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8080",
        "http://localhost",
        "https://127.0.0.2/api",
        "http://[::1]:9000",
        "127.0.0.1:8474",
        "localhost:8474",
    ],
)
def test_this_machine_is_loopback(address: str) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address",
    ["http://10.0.0.5:8080", "https://payments.example.com", "staging:8474", "http://0.0.0.0:80", ""],
)
def test_other_hosts_are_not(address: str) -> None:
    assert not is_loopback(address)


def test_a_remote_target_is_refused_unless_allowed() -> None:
    problem = remote_target_problem(
        "https://payments.example.com", what="target 'payments'", stage="load", allow_remote=False
    )
    assert problem == (
        "target 'payments' is at https://payments.example.com, not on this machine: load only targets"
        " loopback unless the manifest sets allow_remote: true"
    )
    assert (
        remote_target_problem("https://payments.example.com", what="x", stage="load", allow_remote=True)
        is None
    )
    assert remote_target_problem("http://127.0.0.1:1", what="x", stage="chaos", allow_remote=False) is None
