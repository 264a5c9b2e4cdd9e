"""Per-operation response-time budgets, written in interlock's threshold language.

``max < 500ms`` is checked on every response (a slow one fails at once, with its curl);
``p(95)``, ``avg`` and ``med`` need every sample, so they are judged once the run is over by
:meth:`BudgetBook.evaluate`, with the slowest request of the operation as its reproduction.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from interlock.core.thresholds import Threshold, parse_threshold, percentile
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
            values = metrics(samples)
            for threshold in self.for_operation(operation):
                if threshold.metric == "max":
                    continue  # judged per response
                if threshold.quantile is not None:
                    values[threshold.metric] = percentile(samples, threshold.quantile)
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


def metrics(samples: Sequence[float]) -> dict[str, float]:
    """The measured values a budget can name, from response times in ms."""
    values = {
        "max": max(samples),
        "min": min(samples),
        "avg": sum(samples) / len(samples),
        "med": percentile(samples, 50),
    }
    return values


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
