"""Turn SIGINT and SIGTERM into an :class:`Interrupted` exception, but only while it is safe.

While a run is working, a signal raises Interrupted in the main thread so that every
``finally`` runs. Once cleanup starts (stopping services, writing reports) further signals are
only remembered: a second Ctrl-C must not leave a provider or proxy running.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

from interlock.core.errors import Interrupted

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class InterruptGuard:
    def __init__(self) -> None:
        self.received: int | None = None
        self._raising = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        self._raising = True
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._raising = False
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]  # what signal.signal returned before: a valid handler

    def cleaning_up(self) -> None:
        """From now on, signals are recorded but do not raise."""
        self._raising = False

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
        if self._raising:
            self._raising = False
            raise Interrupted(signum)
