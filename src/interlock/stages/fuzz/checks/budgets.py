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
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, RootModel

from interlock.core.metrics import Distribution, summarize
from interlock.core.thresholds import Threshold, parse_threshold
from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange
from interlock.stages.fuzz.checks.registry import LateFailure, RunInfo, fuzz_check

BUDGET_METRICS = ("p", "max", "avg", "med", "min")
#: Samples kept per operation: enough for p(99) without growing without bound.
MAX_SAMPLES = 5000


def parse_budget(text: str) -> Threshold:
    return parse_threshold(text, known_metrics=BUDGET_METRICS)


def _valid_budget(text: str) -> str:
    parse_budget(text)  # ThresholdError is a ValueError: the suite names the file and line
    return text


class BudgetSettings(RootModel[dict[str, list[Annotated[str, AfterValidator(_valid_budget)]]]]):
    """The suite's ``budgets:`` key: threshold expressions per operation pattern ("*" for all)."""

    model_config = ConfigDict(frozen=True)
    root: dict[str, list[Annotated[str, AfterValidator(_valid_budget)]]] = {}


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


def _start(settings: BudgetSettings, _run: RunInfo) -> BudgetBook:
    return BudgetBook({pattern: [parse_budget(t) for t in texts] for pattern, texts in settings.root.items()})


def _finish(book: BudgetBook) -> list[LateFailure]:
    """The aggregate budgets (p(95), avg, ...), judged over every response of the run."""
    return [
        LateFailure(
            operation=operation,
            title=f"response time over budget: {message}",
            message=f"budget {threshold}",
            cause=f"budget {threshold}",
            curls=[slowest] if slowest else [],
        )
        for operation, threshold, message, slowest in book.evaluate()
    ]


@fuzz_check(
    "response_time_budget",
    code="IL104",
    settings=BudgetSettings,
    suite_key="budgets",
    start=_start,
    finish=_finish,
)
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
