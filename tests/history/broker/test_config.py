"""The broker comes from the standard Pact variables; its auth becomes ``pact broker`` options."""

from __future__ import annotations

import pytest

from interlock.history.broker.config import URL_ENV, BrokerConfig

_ENV = (URL_ENV, "PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


def test_no_url_means_no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    assert BrokerConfig.from_env() is None
    monkeypatch.setenv(URL_ENV, "   ")
    monkeypatch.setenv("PACT_BROKER_TOKEN", "t")
    assert BrokerConfig.from_env() is None


def test_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_ENV, " https://broker.example.com/ ")
    monkeypatch.setenv("PACT_BROKER_TOKEN", "s3cr3t")
    monkeypatch.setenv("PACT_BROKER_USERNAME", "")  # empty is unset
    config = BrokerConfig.from_env()
    assert config == BrokerConfig("https://broker.example.com", "s3cr3t")
    assert config.cli_auth() == [
        "--broker-base-url",
        "https://broker.example.com",
        "--broker-token",
        "s3cr3t",
    ]


def test_basic_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_ENV, "http://127.0.0.1:9292")
    monkeypatch.setenv("PACT_BROKER_USERNAME", "ann")
    monkeypatch.setenv("PACT_BROKER_PASSWORD", "pw")
    config = BrokerConfig.from_env()
    assert config is not None
    assert config.cli_auth() == [
        "--broker-base-url",
        "http://127.0.0.1:9292",
        "--broker-username",
        "ann",
        "--broker-password",
        "pw",
    ]
