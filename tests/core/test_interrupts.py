"""Signals raise Interrupted while a run works, and are only remembered once cleanup starts."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from interlock.core.errors import Interrupted
from interlock.core.interrupts import InterruptGuard


def test_a_signal_raises_interrupted_once_and_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as raised, InterruptGuard() as guard:
        os.kill(os.getpid(), signal.SIGTERM)
    assert raised.value.signum == signal.SIGTERM
    assert guard.received == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_signals_during_cleanup_are_recorded_not_raised() -> None:
    with InterruptGuard() as guard:
        guard.cleaning_up()
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
    assert guard.received == signal.SIGINT  # the first signal is the one the run reports


def test_after_the_first_signal_further_ones_do_not_raise() -> None:
    with InterruptGuard() as guard:
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)  # a second Ctrl-C must not break the cleanup
    assert guard.received == signal.SIGINT


def test_off_the_main_thread_no_handlers_are_installed() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def work() -> None:
        with InterruptGuard():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [before]
