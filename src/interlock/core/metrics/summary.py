"""The metrics every stage computes the same way, by name, ready for threshold evaluation.

* :func:`summarize`: ``avg``, ``min``, ``max``, ``med`` and ``p(N)`` of a distribution of durations.
* :func:`outcome_rates`: ``success_rate`` and ``error_rate`` of calls or requests.
* :func:`provider_traffic`: ``proxy_requests``, ``provider_requests`` and ``amplification`` from
  what the fault proxy observed.

Each returns only the metrics it has data for: a missing name makes its gate read "no data".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from interlock.core.metrics.distribution import Distribution
from interlock.core.metrics.names import percentile_name

__all__ = ["ProxyRecord", "outcome_rates", "provider_traffic", "summarize"]


def summarize(durations: Distribution, quantiles: Iterable[float] = ()) -> dict[str, float]:
    """``avg``, ``min``, ``max``, ``med`` and ``p(N)`` for each of ``quantiles``; empty without samples."""
    if not durations:
        return {}
    values = {
        "avg": durations.mean,
        "min": durations.min,
        "max": durations.max,
        "med": durations.median,
    }
    for q in sorted(set(quantiles)):
        values[percentile_name(q)] = durations.percentile(q)
    return values


def outcome_rates(total: int, failures: int) -> dict[str, float]:
    """``success_rate`` = (total - failures) / total and ``error_rate`` = failures / total.

    Both are single divisions, so each is the correctly rounded ratio (``1 - 2/3`` is not ``1/3``
    in floats, and one stage computing it that way would disagree with another in the last digit).
    """
    if total <= 0:
        return {}
    return {"success_rate": (total - failures) / total, "error_rate": failures / total}


class ProxyRecord(Protocol):
    """What :func:`provider_traffic` needs of a proxy observation."""

    @property
    def reached_provider(self) -> bool: ...


def provider_traffic(observations: Iterable[ProxyRecord], consumer_calls: int) -> dict[str, float]:
    """Requests the consumer sent towards the provider, per consumer call.

    * ``proxy_requests``: every request the proxy saw, including those it answered itself in the
      provider's place (an ``http_error`` fault);
    * ``provider_requests``: those that reached the provider (``reached_provider``);
    * ``amplification``: ``proxy_requests / consumer_calls``: how many requests one call became.
      It counts what the consumer *sent*, so a consumer retrying against a 503 that the proxy
      answers shows its amplification too. No value without consumer calls.
    """
    seen = reached = 0
    for observation in observations:
        seen += 1
        reached += bool(observation.reached_provider)
    values = {"proxy_requests": float(seen), "provider_requests": float(reached)}
    if consumer_calls > 0:
        values["amplification"] = seen / consumer_calls
    return values
