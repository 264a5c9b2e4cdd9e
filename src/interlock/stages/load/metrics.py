"""What the Locust process measured, read back from its files, and metrics over any time window.

The child writes partial per-second rows (see :mod:`interlock.stages.load.runner_child`); a
:class:`Timeline` adds them up per (second, endpoint) so interlock can compute the same metrics
for the whole run, one endpoint, one phase of the shape or the seconds around a fault.

The metrics themselves are :mod:`interlock.core.metrics`'s, as in chaos and fuzz: a histogram of
response times (ms, as Locust recorded them) is a :class:`~interlock.core.metrics.Distribution`,
and its percentiles are exactly those of the list of samples it counts, interpolated between the
closest ranks (not Locust's nearest rank).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.core.metrics import Distribution, outcome_rates, summarize
from interlock.core.worker import JsonLinesTail

#: Percentiles every summary shows, besides those the SLOs ask for.
STANDARD_QUANTILES = (50.0, 90.0, 95.0, 99.0)


@dataclass
class Bucket:
    """Requests of one endpoint (or all) in one second."""

    count: int = 0
    failures: int = 0
    histogram: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, count: int, failures: int, histogram: dict[Any, int]) -> None:
        self.count += count
        self.failures += failures
        for rt, n in histogram.items():
            self.histogram[int(rt)] += n


def histogram_percentile(histogram: dict[int, int], q: float) -> float | None:
    """The ``q``-th percentile of a response-time histogram (see the module doc); None when empty."""
    distribution = Distribution.from_histogram(histogram)
    return distribution.percentile(q) if distribution else None


def metrics_of(
    buckets: Iterable[Bucket],
    seconds: float,
    quantiles: Iterable[float] = STANDARD_QUANTILES,
) -> dict[str, float]:
    """Threshold-language metrics (``p(95)``, ``error_rate``, ``rps``, ...) over ``buckets``.

    Durations are over the response times the buckets hold; a window without any has none.
    """
    histogram: dict[int, int] = defaultdict(int)
    count = failures = 0
    for bucket in buckets:
        count += bucket.count
        failures += bucket.failures
        for rt, n in bucket.histogram.items():
            histogram[rt] += n
    values: dict[str, float] = {
        "requests": float(count),
        "failures": float(failures),
        "rps": count / seconds if seconds > 0 else float("nan"),
    }
    values |= outcome_rates(count, failures)
    values |= summarize(Distribution.from_histogram(histogram), {*STANDARD_QUANTILES, *quantiles})
    return values


@dataclass
class Timeline:
    """Everything one run measured, keyed by wall-clock second."""

    #: (second, endpoint) -> bucket; endpoint is ``"METHOD name"``.
    rows: dict[tuple[int, str], Bucket] = field(default_factory=dict)
    #: (time, users, workers) samples, one a second.
    users: list[tuple[float, int, int]] = field(default_factory=list)
    started: float | None = None
    ended: float | None = None
    stop_reason: str | None = None

    @property
    def endpoints(self) -> list[str]:
        return sorted({endpoint for _, endpoint in self.rows})

    @property
    def duration(self) -> float:
        if self.started is None:
            return 0.0
        end = (
            self.ended if self.ended is not None else max((s + 1 for s, _ in self.rows), default=self.started)
        )
        return max(0.0, end - self.started)

    def buckets(self, start: float, end: float, endpoint: str | None = None) -> list[Bucket]:
        """Buckets of the seconds that start in ``[start, end)`` (run-relative seconds)."""
        origin = self.started or 0.0
        return [
            b
            for (second, ep), b in self.rows.items()
            if (endpoint is None or ep == endpoint) and start <= second - origin + 0.5 < end
        ]

    def metrics(
        self,
        start: float = 0.0,
        end: float | None = None,
        endpoint: str | None = None,
        quantiles: Iterable[float] = STANDARD_QUANTILES,
    ) -> dict[str, float]:
        end = self.duration if end is None else min(end, self.duration)
        return metrics_of(self.buckets(start, end, endpoint), max(0.0, end - start), quantiles)

    def per_second(self, endpoint: str | None = None) -> list[tuple[float, Bucket]]:
        """(run-relative second, bucket summed over endpoints) in time order, for plots and windows."""
        origin = self.started or 0.0
        merged: dict[int, Bucket] = {}
        for (second, ep), bucket in self.rows.items():
            if endpoint is None or ep == endpoint:
                merged.setdefault(second, Bucket()).add(bucket.count, bucket.failures, bucket.histogram)
        return [(second - origin, merged[second]) for second in sorted(merged)]


class TimelineReader:
    """Reads the child's files incrementally (only what was appended since the last read).

    Partial rows with the same key are added up; a line still being written is left for the next
    read. Missing files give an empty timeline.
    """

    def __init__(self, samples: Path, users: Path) -> None:
        self.samples, self.users = JsonLinesTail(samples), JsonLinesTail(users)
        self.timeline = Timeline()

    def read(self) -> Timeline:
        timeline = self.timeline
        for row in self.samples.read():
            key = (int(row["s"]), f"{row['m']} {row['n']}")
            timeline.rows.setdefault(key, Bucket()).add(row["c"], row["f"], row["h"])
        for row in self.users.read():
            event = row.get("event")
            if event == "start" and timeline.started is None:
                timeline.started = float(row["s"])
            elif event == "end":
                timeline.ended = float(row["s"])
            elif event == "stop":
                timeline.stop_reason = str(row.get("reason", "stopped"))
            elif "users" in row:
                timeline.users.append((float(row["s"]), int(row["users"]), int(row.get("workers", 0))))
        return timeline
