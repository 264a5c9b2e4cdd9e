"""Per-operation response-time budgets, written in interlock's threshold language.

``max < 500ms`` is checked on every response (a slow one fails at once, with its curl);
``p(95)``, ``avg`` and ``med`` need every sample, so they are judged once the run is over by
:meth:`BudgetBook.evaluate`, with the slowest request of the operation as its reproduction.
They are :mod:`interlock.core.metrics`'s, so ``p(95)`` here is ``p(95)`` in chaos and load.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from interlock.core.metrics import Distribution, summarize
from interlock.core.thresholds import Threshold, parse_threshold
from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange

BUDGET_METRICS = ("p", "max", "avg", "med", "min")
#: Samples kept per operation: enough for p(99) without growing without bound.
MAX_SAMPLES = 5000


def parse_budget(text: str) -> Threshold:
    return parse_threshold(text, known_metrics=BUDGET_METRICS)


@dataclass
class BudgetBook:
    """Budgets per operation pattern ("POST /payments", "GET /stock/*", "*") and the samples seen."""

    budgets: Mapping[str, Sequence[Threshold]] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    slowest: dict[str, tuple[float, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def for_operation(self, operation: str) -> list[Threshold]:
        return [
            t
            for pattern, thresholds in self.budgets.items()
            if fnmatch.fnmatchcase(operation, pattern)
            for t in thresholds
        ]

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            samples = self.samples.setdefault(exchange.operation, [])
            if len(samples) < MAX_SAMPLES:
                samples.append(exchange.elapsed_ms)
            if exchange.elapsed_ms > self.slowest.get(exchange.operation, (-1.0, ""))[0]:
                self.slowest[exchange.operation] = (exchange.elapsed_ms, exchange.curl({}))

    def evaluate(self) -> list[tuple[str, str, str, str]]:
        """(operation, threshold, message, slowest curl) for each aggregate budget that failed."""
        failed = []
        for operation, samples in sorted(self.samples.items()):
            if not samples:
                continue
            thresholds = self.for_operation(operation)
            values = metrics(samples, [q for t in thresholds if (q := t.quantile) is not None])
            for threshold in thresholds:
                if threshold.metric == "max":
                    continue  # judged per response
                result = threshold.evaluate(values)
                if not result.passed:
                    failed.append(
                        (
                            operation,
                            str(threshold),
                            f"{result.message} over {len(samples)} responses",
                            self.slowest[operation][1],
                        )
                    )
        return failed


def metrics(samples: Sequence[float], quantiles: Iterable[float] = ()) -> dict[str, float]:
    """The values a budget can name (``p(N)`` for each of ``quantiles``), from response times in ms."""
    return summarize(Distribution.of(samples), quantiles)


def response_time_budget(exchange: Exchange, book: BudgetBook) -> None:
    book.record(exchange)
    for threshold in book.for_operation(exchange.operation):
        if threshold.metric != "max":
            continue
        result = threshold.evaluate({"max": exchange.elapsed_ms})
        if not result.passed:
            raise CheckFailed(
                f"response time over budget: {result.message}",
                f"budget {threshold} for {exchange.operation}",
                cause=f"budget {threshold}",
            )
