"""Fixtures for checkout's consumer contracts (pact-python 4, Pact specification V4).

Layout of a run, per consumer-provider pair (one test module each):

* the module fixture deletes ``checkout-<provider>.json`` first, because
  ``Pact.write_file`` *merges* into an existing file and would keep interactions
  that no test declares any more;
* every test gets a fresh :class:`Pact`: once a Pact's mock server has run it
  refuses new interactions, so one Pact cannot serve a whole module;
* the Pacts of the tests that passed are written (merged) into the file at module
  teardown. A failing test keeps its interaction out of the contract, so the
  provider is never asked to honour something the consumer does not do.

Pact files go to ``$PACT_DIR`` if set, else ``contracts/pacts/`` in the repository.

Message pacts (events checkout consumes from payments) go to their own file,
``checkout-payments-messages.json``: pact-python names files after the pair only, so they are
written to a staging directory and moved. ``pact broker publish`` merges the two files of a
pair into one pact when publishing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pact import Pact

CONSUMER = "checkout"
PACT_DIR = (
    Path(os.environ["PACT_DIR"]) if os.environ.get("PACT_DIR") else Path(__file__).resolve().parent / "pacts"
)


def _pair_file(provider: str) -> Iterator[list[Pact]]:
    (PACT_DIR / f"{CONSUMER}-{provider}.json").unlink(missing_ok=True)
    passed: list[Pact] = []
    yield passed
    for pact in passed:
        pact.write_file(PACT_DIR)


def _test_pact(provider: str, passed: list[Pact], request: pytest.FixtureRequest) -> Iterator[Pact]:
    pact = Pact(CONSUMER, provider).with_specification("V4")
    failed_before = request.session.testsfailed
    yield pact
    if request.session.testsfailed == failed_before:
        passed.append(pact)


@pytest.fixture(scope="module")
def payments_pact_file() -> Iterator[list[Pact]]:
    yield from _pair_file("payments")


@pytest.fixture(scope="module")
def inventory_pact_file() -> Iterator[list[Pact]]:
    yield from _pair_file("inventory")


@pytest.fixture
def payments_pact(payments_pact_file: list[Pact], request: pytest.FixtureRequest) -> Iterator[Pact]:
    yield from _test_pact("payments", payments_pact_file, request)


@pytest.fixture
def inventory_pact(inventory_pact_file: list[Pact], request: pytest.FixtureRequest) -> Iterator[Pact]:
    yield from _test_pact("inventory", inventory_pact_file, request)


@pytest.fixture(scope="module")
def payment_events_pact_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Pact]]:
    target = PACT_DIR / f"{CONSUMER}-payments-messages.json"
    target.unlink(missing_ok=True)
    passed: list[Pact] = []
    yield passed
    staging = tmp_path_factory.mktemp("message-pacts")
    for pact in passed:
        pact.write_file(staging)
    if passed:
        shutil.move(staging / f"{CONSUMER}-payments.json", target)


@pytest.fixture
def payment_events_pact(
    payment_events_pact_file: list[Pact], request: pytest.FixtureRequest
) -> Iterator[Pact]:
    yield from _test_pact("payments", payment_events_pact_file, request)
