"""The one threshold language every interlock gate speaks (k6-style).

A threshold is ``METRIC OP NUMBER [UNIT]``; whitespace between tokens is
ignored::

    p(95) < 300ms        error_rate < 1%        rps > 50
    p(99.9) <= 1.5s      success_rate >= 99%    duplicate_writes == 0

* ``METRIC`` is a lowercase identifier ``[a-z_][a-z0-9_]*`` or a percentile
  ``p(N)`` with ``0 < N <= 100`` (decimals allowed, canonically written
  without redundant zeros: ``p(095.0)`` is ``p(95)``; the name comes from
  :func:`interlock.core.metrics.percentile_name`, the function the stages
  key their measurements with, so every gate finds its data).  ``p95`` is
  rejected rather than silently gating an unrelated metric that never has data.
* ``OP`` is one of ``<  <=  >  >=  ==  !=``.
* ``NUMBER`` is a non-negative decimal (``0``, ``1.5``, ``.5``); no exponents.
* ``UNIT`` is ``ms``, ``s`` or ``%``.

Every value is normalised once, at parse time, so evaluation compares plain
floats against measurements in the same base unit:

* **durations** are milliseconds: ``300ms`` -> 300.0, ``1.5s`` -> 1500.0, and
  a bare number on a duration metric already means ms.
* **ratios** are fractions: ``1%`` -> 0.01, and a bare number on a ratio
  metric is already a fraction (``error_rate < 0.01``).  A ratio above 1 is
  rejected because it is almost always a forgotten ``%``.
* **counts** and **numbers** (rps, amplification, ``*_s`` seconds, ...) take no unit.

The kind of a metric comes from a table (``DEFAULT_METRIC_KINDS``, the kinds of
every metric in :data:`interlock.core.metrics.REGISTRY`): percentiles are always
durations, names missing from the table are plain numbers.  Stages
that add metrics pass an extended copy (``kinds={**DEFAULT_METRIC_KINDS,
"ttfb": MetricKind.DURATION}``) instead of mutating shared state.  A unit that
does not fit the metric's kind (``p(95) < 1%``, ``rps > 5s``) is a parse
error, so a misread gate fails when the config is loaded, not after a run.

Unit scaling goes through decimal text (``float("1.5e3")``), never float
multiplication, so ``1.5s`` and ``1500ms`` are the *same* float and
``str(threshold)`` always parses back to an equal threshold.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, NoReturn, TypeAlias, cast

from interlock.core.metrics import MetricKind, percentile, percentile_name, quantile_of
from interlock.core.metrics import kinds as registered_kinds

__all__ = [
    "DEFAULT_METRIC_KINDS",
    "MetricKind",
    "Op",
    "Threshold",
    "ThresholdError",
    "ThresholdResult",
    "parse_threshold",
    "parse_thresholds",
    "percentile",
]

Op: TypeAlias = Literal["<", "<=", ">", ">=", "==", "!="]

_COMPARE: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
        "==": operator.eq,
        "!=": operator.ne,
    }
)
_OP_LIST = ", ".join(_COMPARE)
# Common slips get a pointed hint instead of only the list of operators.
_OP_HINTS: Mapping[str, str] = MappingProxyType({"=": "==", "=<": "<=", "=>": ">=", "<>": "!="})


DEFAULT_METRIC_KINDS: Mapping[str, MetricKind] = registered_kinds()
"""Kinds of the registered metrics; percentiles ``p(N)`` are always durations."""

# Accepted units per kind, as the power of ten that turns the written number
# into the base unit.  ``None`` is a bare number.
_UNIT_EXPONENTS: Mapping[MetricKind, Mapping[str | None, int]] = MappingProxyType(
    {
        MetricKind.DURATION: {None: 0, "ms": 0, "s": 3},
        MetricKind.RATIO: {None: 0, "%": -2},
        MetricKind.COUNT: {None: 0},
        MetricKind.NUMBER: {None: 0},
    }
)
_UNIT_ADVICE: Mapping[MetricKind, str] = MappingProxyType(
    {
        MetricKind.DURATION: "use ms or s",
        MetricKind.RATIO: "use % or a bare fraction",
        MetricKind.COUNT: "it takes a bare number",
        MetricKind.NUMBER: "it takes a bare number",
    }
)
_UNITS = frozenset({"ms", "s", "%"})

_WS = re.compile(r"\s*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")  # ASCII only: \d matches '٣'
_OP_CHARS = re.compile(r"[<>=!]+")
_UNIT = re.compile(r"%|[^\W\d_]+")
_TOKEN = re.compile(r"[0-9.]+|\w+|\S")  # what "got ..." shows in messages


def _one_line(text: str) -> str:
    """Escape line breaks and other unprintables so a message stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ThresholdError(ValueError):
    """A threshold expression that cannot be parsed.

    ``column`` is the 0-based offset into ``expression`` of the offending
    token (``len(expression)`` when the expression ends too early), so config
    loaders can point at the exact spot.
    """

    def __init__(self, expression: str, column: int, reason: str) -> None:
        self.expression = expression
        self.column = column
        self.reason = reason
        super().__init__(
            f'invalid threshold "{_one_line(expression)}": {_one_line(reason)} at column {column}'
        )

    def __reduce__(self) -> tuple[type[ThresholdError], tuple[str, int, str]]:
        # Keeps the error picklable (e.g. across worker processes) despite
        # the custom constructor.
        return type(self), (self.expression, self.column, self.reason)


def _render_number(value: float, exponent: int) -> str:
    """Shortest plain decimal that parses back to exactly ``value``.

    ``repr`` gives the shortest round-tripping digits; shifting them by a
    power of ten in ``Decimal`` is exact, and parsing undoes the shift
    exactly again, so no float multiplication ever touches the value.
    """
    return format(Decimal(repr(value)).scaleb(-exponent).normalize(), "f")


@dataclass(frozen=True)
class ThresholdResult:
    """The outcome of checking one threshold against measured values."""

    threshold: Threshold
    actual: float | None  #: the measured value, normalised; None when missing
    passed: bool
    message: str  #: e.g. ``p(95) = 412ms, expected < 300ms``

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Threshold:
    """One parsed gate, e.g. ``p(95) < 300ms``.

    Equality is semantic: ``p(95) < 1.5s`` equals ``p(95)<1500ms`` because
    they gate the same metric the same way; ``unit`` and ``source`` only
    remember how it was written, for messages.
    """

    metric: str  #: canonical name, the key looked up in measured values
    op: Op
    value: float  #: normalised: ms for durations, a fraction for ratios
    kind: MetricKind
    unit: str | None = field(default=None, compare=False)  #: as written
    source: str = field(default="", compare=False)  #: original text

    @property
    def quantile(self) -> float | None:
        """``N`` of a ``p(N)`` metric, so runners know which percentiles to compute."""
        return quantile_of(self.metric)

    def evaluate(self, values: Mapping[str, float]) -> ThresholdResult:
        """Check the measured ``values`` (canonical metric name -> normalised value).

        A missing or NaN measurement fails: a gate with no data must not pass
        silently.
        """
        actual = values.get(self.metric)
        if actual is None or math.isnan(actual):
            return ThresholdResult(self, None, False, f"{self.metric}: no data")
        actual = float(actual)
        passed = _COMPARE[self.op](actual, self.value)
        # Bare durations are ms; say so rather than print a unitless number.
        unit = self.unit or ("ms" if self.kind is MetricKind.DURATION else None)
        exponent = _UNIT_EXPONENTS[self.kind][unit]
        shown = _format_measure(actual / 10.0**exponent) + (unit or "")
        expected = _render_number(self.value, exponent) + (unit or "")
        return ThresholdResult(
            self, actual, passed, f"{self.metric} = {shown}, expected {self.op} {expected}"
        )

    def __str__(self) -> str:
        """Canonical form; ``parse_threshold(str(t)) == t`` always holds."""
        exponent = _UNIT_EXPONENTS[self.kind][self.unit]
        return f"{self.metric} {self.op} {_render_number(self.value, exponent)}{self.unit or ''}"


def _format_measure(x: float) -> str:
    """Readable measurement: whole numbers in full, others to 6 significant digits."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".6g")


class _Scanner:
    """Cursor over the expression that skips whitespace between tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_ws(self) -> int:
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]  # _WS (\s*) matches everywhere
        return self.pos

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        self.skip_ws()
        match = pattern.match(self.text, self.pos)
        if match:
            self.pos = match.end()
        return match

    def take_char(self, char: str) -> bool:
        if self.text.startswith(char, self.skip_ws()):
            self.pos += 1
            return True
        return False

    def next_token(self) -> str:
        """The upcoming token, quoted, for "got ..." in error messages."""
        match = _TOKEN.match(self.text, self.skip_ws())
        return repr(_clip(match.group())) if match else "end of input"

    def fail(self, reason: str, column: int | None = None) -> NoReturn:
        raise ThresholdError(self.text, self.pos if column is None else column, reason)


def _parse_metric(s: _Scanner) -> tuple[str, int, bool]:
    """Return ``(canonical name, column, is_percentile)``."""
    column = s.skip_ws()
    match = s.take(_IDENT)
    if match is None:
        s.fail(f"expected a metric name such as 'p(95)' or 'error_rate', got {s.next_token()}")
    name = match.group()
    if name != name.lower():
        s.fail(f"metric names are lowercase, write {name.lower()!r}", column)
    if name == "p" and s.take_char("("):
        q_column = s.skip_ws()
        q = s.take(_NUMBER)
        if q is None:
            s.fail(f"expected a percentile between 0 and 100, got {s.next_token()}")
        # float() of a positive decimal can underflow to 0: that is no percentile either.
        if not 0 < Decimal(q.group()) <= 100 or float(q.group()) == 0:
            s.fail(f"percentile must be > 0 and <= 100, got {q.group()}", q_column)
        if not s.take_char(")"):
            s.fail(f"expected ')' to close 'p(', got {s.next_token()}")
        return percentile_name(float(q.group())), column, True
    if re.fullmatch(r"p[0-9]+", name):
        s.fail(f"write percentiles as 'p({name[1:]})', not {name!r}", column)
    return name, column, False


def _check_known(s: _Scanner, metric: str, column: int, is_percentile: bool, known: Collection[str]) -> None:
    """Reject names outside ``known``; ``"p"`` in ``known`` admits every percentile."""
    if metric in known or (is_percentile and "p" in known):
        return
    close = difflib.get_close_matches(metric, list(known), n=1)
    hint = f", did you mean {close[0]!r}?" if close else ""
    s.fail(f"unknown metric {metric!r}{hint} (known: {', '.join(sorted(known))})", column)


def parse_threshold(
    text: str,
    *,
    kinds: Mapping[str, MetricKind] = DEFAULT_METRIC_KINDS,
    known_metrics: Collection[str] | None = None,
) -> Threshold:
    """Parse one expression such as ``p(95) < 300ms``.

    ``kinds`` maps metric names to their kind (unlisted names are plain
    numbers).  When ``known_metrics`` is given, any other metric name is an
    error; include ``"p"`` to allow every percentile.  Raises only
    :class:`ThresholdError` for a bad expression, whatever the string.
    """
    if not isinstance(text, str):
        raise TypeError(f"a threshold must be a string, got {type(text).__name__}")
    s = _Scanner(text)
    if not text.strip():
        s.fail("empty expression", 0)

    metric, metric_column, is_percentile = _parse_metric(s)
    if known_metrics is not None:
        _check_known(s, metric, metric_column, is_percentile, known_metrics)

    op_column = s.skip_ws()
    op_match = s.take(_OP_CHARS)
    if op_match is None:
        s.fail(f"expected a comparison operator ({_OP_LIST}), got {s.next_token()}")
    op = op_match.group()
    if op not in _COMPARE:
        hint = f", did you mean {_OP_HINTS[op]!r}?" if op in _OP_HINTS else f" (expected {_OP_LIST})"
        s.fail(f"unknown operator {op!r}{hint}", op_column)

    number_column = s.skip_ws()
    number = s.take(_NUMBER)
    if number is None:
        if s.text.startswith("-", number_column):
            s.fail("threshold values cannot be negative")
        s.fail(f"expected a number after {op!r}, got {s.next_token()}")

    unit_column = s.skip_ws()
    unit_match = s.take(_UNIT)
    unit = unit_match.group() if unit_match else None
    if unit is not None and unit not in _UNITS:
        hint = f", did you mean {unit.lower()!r}?" if unit.lower() in _UNITS else ""
        s.fail(f"unknown unit {unit!r}{hint}", unit_column)

    if s.skip_ws() < len(text):
        s.fail(f"unexpected trailing text {_clip(text[s.pos :])!r}")

    kind = MetricKind.DURATION if is_percentile else kinds.get(metric, MetricKind.NUMBER)
    exponents = _UNIT_EXPONENTS[kind]
    if unit not in exponents:
        s.fail(
            f"unit {unit!r} does not fit {kind.value} metric {metric!r} ({_UNIT_ADVICE[kind]})",
            unit_column,
        )
    value = float(f"{number.group()}e{exponents[unit]}")
    if not math.isfinite(value):
        s.fail("number is too large", number_column)
    if kind is MetricKind.RATIO and value > 1:
        written = number.group() + (unit or "")
        advice = "" if unit else f"; write percentages with '%', e.g. '{written}%'"
        s.fail(f"ratio {written} is above {'100%' if unit else '1'}{advice}", number_column)
    return Threshold(metric, cast(Op, op), value, kind, unit, text)


def parse_thresholds(
    texts: Iterable[str],
    *,
    kinds: Mapping[str, MetricKind] = DEFAULT_METRIC_KINDS,
    known_metrics: Collection[str] | None = None,
) -> list[Threshold]:
    """Parse several expressions; the first bad one raises :class:`ThresholdError`."""
    if isinstance(texts, str):
        # A lone string would otherwise be parsed character by character.
        raise TypeError("parse_thresholds takes a collection of expressions, not one string")
    return [parse_threshold(t, kinds=kinds, known_metrics=known_metrics) for t in texts]
