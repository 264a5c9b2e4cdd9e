"""Resilient HTTP calls to one dependency: a deadline, safe retries, and a circuit breaker.

The rules, and why:

* **Budget.** A logical call has an overall deadline (``budget_s``) shared by all of
  its attempts, and each attempt's timeout is ``min(attempt_timeout_s, remaining)``.
  Without it, retries multiply the caller's worst-case latency. (httpx applies a
  timeout to each phase — connect, write, read — separately, so a pathological
  attempt can take a small multiple of it; the budget is re-checked before every
  attempt and every sleep.)
* **Retry only what is safe to repeat:** GET/HEAD/DELETE, and writes that carry an
  ``Idempotency-Key`` (the provider answers a repeat with the remembered result).
  Every attempt of one logical write sends the *same* key.
* **Retry only what may succeed next time:** connection errors, timeouts, 429,
  502, 503, 504, and 409 ``idempotency_key_in_flight`` (the first attempt is still
  being processed). Other 4xx are answers, never retried; a 500 is a failure but
  is not retried either (it is rarely transient and may have had effects).
* **Backoff** is exponential with full jitter, so a fleet of clients does not retry
  in lockstep; a ``Retry-After`` from the server replaces it. If the wait would not
  leave time for another attempt within the budget, we stop now instead of
  sleeping towards a certain failure.
* **Circuit breaker** (pybreaker) per dependency: transport errors and 5xx count,
  4xx and 429 do not (the dependency is up and answering). While open, calls fail
  at once without touching the network, which protects both sides.
* **Bulkhead** per dependency (:mod:`.bulkhead`): at most ``max_concurrent`` calls in
  flight to it, the rest refused at once, and a connection pool of its own, so a slow
  dependency cannot hold every worker and stall calls that never touch it.
* **Outcome of writes.** When a write fails, we report whether it *may* have been
  applied (:class:`OutcomeUnknown`): a request that was sent and got no answer, a
  502/504/500, or an in-flight 409. Connection failures, 429, 503 and an open
  circuit mean it was not applied (:class:`DependencyUnavailable`).
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pybreaker
import tenacity

from examples.shop.checkout.bulkhead import Bulkhead
from examples.shop.checkout.errors import DependencyUnavailable, OutcomeUnknown

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPEATABLE_METHODS = frozenset({"GET", "HEAD", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAYBE_APPLIED_STATUSES = frozenset({500, 502, 504})
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
MIN_ATTEMPT_S = 0.05
"""An attempt with less time than this left in the budget is not worth starting."""

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class ResiliencePolicy:
    """Tuning for one dependency; the defaults suit a fast in-datacenter service."""

    attempt_timeout_s: float = 1.0
    budget_s: float = 3.0
    max_attempts: int = 3
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 1.0
    breaker_fail_max: int = 5
    breaker_reset_timeout_s: float = 10.0
    max_concurrent: int = 20
    """Bulkhead: calls to this dependency in flight at once (see :mod:`.bulkhead`)."""

    def __post_init__(self) -> None:
        for name in (
            "attempt_timeout_s",
            "budget_s",
            "backoff_base_s",
            "backoff_cap_s",
            "breaker_reset_timeout_s",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("max_attempts", "breaker_fail_max", "max_concurrent"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), if valid."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


class _AttemptFailed(Exception):
    """One attempt gave no usable answer; carries what the retry loop needs to decide."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        maybe_applied: bool,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.maybe_applied = maybe_applied
        self.retry_after_s = retry_after_s


class _ServerError(Exception):
    """Raised inside the breaker so that a 5xx answer counts as a failure."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


@dataclass
class _Call:
    """State of one logical call across its attempts."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]
    deadline: float
    failures: list[_AttemptFailed] = field(default_factory=list)


class _BreakerWatch(pybreaker.CircuitBreakerListener):
    """Logs breaker transitions and remembers when it opened, to compute Retry-After."""

    def __init__(self, dependency: str, clock: Clock) -> None:
        self._dependency = dependency
        self._clock = clock
        self.opened_at: float | None = None

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            self.opened_at = self._clock()
        old = old_state.name if old_state else None
        log.warning("circuit breaker for %s: %s -> %s", self._dependency, old, new_state.name)


class _StopAtDeadline(tenacity.stop.stop_base):
    """Stop when the coming wait would leave too little of the budget for another attempt."""

    def __init__(self, deadline: float, clock: Clock) -> None:
        self._deadline = deadline
        self._clock = clock

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self._deadline - self._clock() - retry_state.upcoming_sleep < MIN_ATTEMPT_S


class _StopWhenOpen(tenacity.stop.stop_base):
    """Stop when the breaker has opened: the next attempt would be refused anyway, so don't wait for it."""

    def __init__(self, breaker: pybreaker.CircuitBreaker) -> None:
        self._breaker = breaker

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return bool(self._breaker.current_state == pybreaker.STATE_OPEN)


class _BackoffOrRetryAfter(tenacity.wait.wait_base):
    """Full-jitter exponential backoff, unless the server said when to come back."""

    def __init__(self, base_s: float, cap_s: float) -> None:
        self._jitter = tenacity.wait_random_exponential(multiplier=base_s, max=cap_s)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _AttemptFailed) and failure.retry_after_s is not None:
            return failure.retry_after_s
        return float(self._jitter(retry_state))


def _in_flight_conflict(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return False
    try:
        return bool(response.json().get("error") == "idempotency_key_in_flight")
    except (ValueError, AttributeError):
        return False


class ResilientHttp:
    """An ``httpx.Client`` for one dependency, wrapped in the rules of this module.

    ``transport``, ``clock`` and ``sleep`` exist so tests can drive time and the
    network; production code passes only the base URL and a policy.
    """

    def __init__(
        self,
        dependency: str,
        base_url: str,
        policy: ResiliencePolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.dependency = dependency
        self.policy = policy or ResiliencePolicy()
        self._clock = clock
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url, transport=transport, headers={"Accept": "application/json"}, auth=auth
        )
        self.bulkhead = Bulkhead(dependency, self.policy.max_concurrent)
        self._watch = _BreakerWatch(dependency, clock)
        # throw_new_error_on_trip=False: the call that trips the breaker keeps its own
        # error (it did reach the network, which matters for OutcomeUnknown).
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=self.policy.breaker_fail_max,
            reset_timeout=self.policy.breaker_reset_timeout_s,
            name=dependency,
            listeners=[self._watch],
            throw_new_error_on_trip=False,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Send one logical request; return the first answer that is not worth retrying.

        Any status may be returned except those this module treats as failures
        (5xx, 429, in-flight 409): interpreting answers is the caller's job.

        Raises:
            OutcomeUnknown: a write failed after it may have been applied.
            DependencyUnavailable: no usable answer within the budget, or the circuit is open.
        """
        method = method.upper()
        headers = {IDEMPOTENCY_KEY_HEADER: idempotency_key} if idempotency_key else {}
        repeatable = method in REPEATABLE_METHODS or idempotency_key is not None
        call = _Call(method, path, json, headers, deadline=self._clock() + self.policy.budget_s)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, _AttemptFailed) and exc.retryable),
            stop=tenacity.stop_after_attempt(self.policy.max_attempts if repeatable else 1)
            | _StopAtDeadline(call.deadline, self._clock)
            | _StopWhenOpen(self.breaker),
            wait=_BackoffOrRetryAfter(self.policy.backoff_base_s, self.policy.backoff_cap_s),
            sleep=self._sleep,
            before_sleep=self._log_retry(call),
            reraise=True,
        )
        try:
            with self.bulkhead:
                return retrying(self._attempt, call)
        except (_AttemptFailed, pybreaker.CircuitBreakerError) as exc:
            raise self._unavailable(call, exc) from exc

    def _attempt(self, call: _Call) -> httpx.Response:
        remaining = call.deadline - self._clock()
        timeout = httpx.Timeout(max(min(self.policy.attempt_timeout_s, remaining), MIN_ATTEMPT_S))
        try:
            # calling(), not call(): CircuitBreaker.call() holds the breaker's lock for
            # the whole guarded call, which would serialize every request to this
            # dependency across threads. The price: while half-open, concurrent calls
            # may all go through as trial calls, not just one.
            with self.breaker.calling():
                response = self._client.request(
                    call.method, call.path, json=call.json, headers=call.headers, timeout=timeout
                )
                if response.status_code >= 500:
                    raise _ServerError(response)
        except _ServerError as exc:
            response = exc.response
        except httpx.TransportError as exc:
            failure = _AttemptFailed(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                retryable=isinstance(
                    exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
                ),
                maybe_applied=not isinstance(exc, NOT_SENT_ERRORS),
            )
            call.failures.append(failure)
            raise failure from exc

        in_flight = bool(call.headers) and _in_flight_conflict(response)
        if response.status_code < 500 and response.status_code != 429 and not in_flight:
            return response
        failure = _AttemptFailed(
            "idempotency key still in flight" if in_flight else f"HTTP {response.status_code}",
            retryable=in_flight or response.status_code in RETRYABLE_STATUSES,
            maybe_applied=in_flight or response.status_code in MAYBE_APPLIED_STATUSES,
            retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
        )
        call.failures.append(failure)
        raise failure

    def _unavailable(
        self, call: _Call, exc: _AttemptFailed | pybreaker.CircuitBreakerError
    ) -> DependencyUnavailable:
        """The typed failure of a call, with a Retry-After hint if anyone knows one."""
        if isinstance(exc, _AttemptFailed):
            reason, retry_after_s = exc.reason, exc.retry_after_s
        else:
            reason, retry_after_s = "circuit breaker open", None
        failed = len(call.failures)
        detail = f"{call.method} {call.path}: {reason}"
        if failed > 1:
            detail += f" ({failed} failed attempts)"
        if self.breaker.current_state == pybreaker.STATE_OPEN:
            retry_after_s = self._breaker_retry_after()
            if isinstance(exc, _AttemptFailed):
                detail += "; circuit breaker now open"
        maybe_applied = call.method not in ("GET", "HEAD") and any(f.maybe_applied for f in call.failures)
        kind = OutcomeUnknown if maybe_applied else DependencyUnavailable
        return kind(self.dependency, detail, retry_after_s=retry_after_s)

    def _breaker_retry_after(self) -> float:
        opened_at = self._watch.opened_at
        if opened_at is None:
            return self.policy.breaker_reset_timeout_s
        return max(self.policy.breaker_reset_timeout_s - (self._clock() - opened_at), 0.0)

    def _log_retry(self, call: _Call) -> Callable[[tenacity.RetryCallState], None]:
        def before_sleep(retry_state: tenacity.RetryCallState) -> None:
            log.warning(
                "%s %s %s: attempt %d failed (%s); retrying in %.2fs",
                self.dependency,
                call.method,
                call.path,
                retry_state.attempt_number,
                call.failures[-1].reason,
                retry_state.upcoming_sleep,
            )

        return before_sleep
