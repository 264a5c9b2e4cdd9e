"""A set of measured values and the statistics over it: one percentile definition for every stage.

Chaos and fuzz hold their durations as lists; load gets per-second response-time histograms from
Locust (value -> how many requests took it). Both become a :class:`Distribution`, a histogram of
the values, and every statistic is computed on it exactly as on the list of samples it stands
for: a histogram ``{10: 90, 200: 9, 1000: 1}`` gives the same ``p(99)`` as the list of those 100
values, without expanding it. So ``p(95)`` means one thing in chaos, fuzz and load.

Percentiles interpolate linearly between the closest ranks (numpy's default, R type 7): the
``q``-th percentile of ``n`` sorted values ``x[0..n-1]`` is at rank ``r = (n - 1) * q / 100``,
``x[floor(r)] + (x[floor(r) + 1] - x[floor(r)]) * (r - floor(r))``. It moves smoothly with ``q``,
unlike nearest rank, which matters for small samples. The median is ``p(50)``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["Distribution", "percentile"]


@dataclass(frozen=True)
class Distribution:
    """Distinct values, ascending, with how many samples had each."""

    values: tuple[float, ...] = ()
    #: ``cumulative[i]`` = samples with a value <= ``values[i]``.
    cumulative: tuple[int, ...] = ()

    @classmethod
    def of(cls, samples: Iterable[float]) -> Distribution:
        """The distribution of a list of samples."""
        return cls.from_histogram(Counter(float(x) for x in samples))

    @classmethod
    def from_histogram(cls, histogram: Mapping[float, int] | Mapping[int, int]) -> Distribution:
        """The distribution of ``value -> count`` (counts <= 0 are ignored)."""
        merged: Counter[float] = Counter()
        for value, n in histogram.items():
            if n > 0:
                merged[float(value)] += int(n)
        values = tuple(sorted(merged))
        return cls(values, tuple(accumulate(merged[v] for v in values)))

    @property
    def count(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0

    def __bool__(self) -> bool:
        return bool(self.values)

    @property
    def min(self) -> float:
        self._require_samples()
        return self.values[0]

    @property
    def max(self) -> float:
        self._require_samples()
        return self.values[-1]

    @property
    def mean(self) -> float:
        self._require_samples()
        counts = [c - b for c, b in zip(self.cumulative, (0, *self.cumulative), strict=False)]
        return math.fsum(v * n for v, n in zip(self.values, counts, strict=True)) / self.count

    @property
    def median(self) -> float:
        return self.percentile(50)

    def at(self, rank: int) -> float:
        """The ``rank``-th smallest sample (0-based), as if the samples were listed sorted."""
        if not 0 <= rank < self.count:
            raise IndexError(f"rank {rank} outside 0..{self.count - 1}")
        return self.values[bisect_right(self.cumulative, rank)]

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0 <= q <= 100), interpolated between the closest ranks."""
        if not 0 <= q <= 100:  # also rejects NaN
            raise ValueError(f"percentile must be between 0 and 100, got {q}")
        self._require_samples()
        rank = (self.count - 1) * q / 100
        low = math.floor(rank)
        fraction = rank - low
        below = self.at(low)
        if fraction == 0:
            return below
        above = self.at(low + 1)
        return below + (above - below) * fraction

    def _require_samples(self) -> None:
        if not self.values:
            raise ValueError("a statistic of no samples is undefined")


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 <= q <= 100) of ``samples``; see :class:`Distribution`."""
    if not 0 <= q <= 100:  # also rejects NaN
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    if not samples:
        raise ValueError("percentile of no samples is undefined")
    return Distribution.of(samples).percentile(q)
