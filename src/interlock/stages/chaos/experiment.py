"""Chaos experiment files (``chaos/NAME.yaml``): the model, and a loader whose errors say ``file:line``.

An experiment drives the consumer with a *probe* (one HTTP request to the consumer) a bounded
number of times: first in steady state, then once per fault while the fault is applied at the
proxy in front of the provider. After each fault is rolled back the runner waits, bounded, until
the consumer has recovered before the next fault starts, so faults do not contaminate each other
(a circuit breaker opened by one fault would otherwise fail the next one)::

    integration: checkout-payments
    probe: {method: POST, path: /orders, json: {sku: SKU-1, qty: 1}, timeout: 5s}
    calls: 8
    steady_state: ["success_rate >= 99%", "p(95) < 500ms"]
    recovery: steady_state within 5s
    faults:
      - name: slow-provider
        toxics: [{type: latency, attributes: {latency: 1500}}]
        expect: ["p(99) < 1200ms", "amplification <= 3"]
      - name: provider-503
        http_error: {status: 503}
        expect: ["fail_fast_after <= 5"]
      - name: provider-down
        down: true
        expect: ["p(99) < 1200ms"]

Gates use :mod:`interlock.core.thresholds`; every expression is parsed when the file is loaded, so
a typo is exit 2 before any service starts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from interlock.core.config import Strict, validate_model
from interlock.core.confirmation import MAX_RERUNS
from interlock.core.durations import Duration, parse_duration
from interlock.core.errors import ConfigError
from interlock.core.thresholds import (
    DEFAULT_METRIC_KINDS,
    Threshold,
    ThresholdError,
    parse_threshold,
)
from interlock.core.yamlfile import PathKey, YamlDocument, load_yaml
from interlock.faults.fabric import TOXIPROXY_URL_ENV, down_is_counted
from interlock.faults.model import MAX_CALLS, Fault
from interlock.stages.chaos.metrics import CHAOS_METRICS
from interlock.stages.chaos.tracing import TRACEPARENT, trace_id_of

WRITE_METHODS = ("POST", "PUT", "PATCH")
MAX_PROBE_TIMEOUT_S = 120.0
MAX_RECOVERY_S = 300.0

# What a gate may name, and where, comes from the metrics' own declarations
# (interlock.stages.chaos.metrics); their kinds from interlock.core.metrics.REGISTRY.
#: Kinds of the metrics, for the thresholds parser.
METRIC_KINDS = DEFAULT_METRIC_KINDS
#: Every metric a chaos gate can name (``p`` admits every percentile).
KNOWN_METRICS = frozenset(CHAOS_METRICS)
#: Measured from the provider's side of the proxy: need requests to reach the proxy.
PROVIDER_METRICS = frozenset(name for name, m in CHAOS_METRICS.items() if m.provider_side)
#: Measured only once a fault was applied: no gate in steady state.
AFTER_FAULT_METRICS = frozenset(name for name, m in CHAOS_METRICS.items() if m.after_fault)
#: Measured from the consumer's side: defined for every phase.
CONSUMER_METRICS = KNOWN_METRICS - PROVIDER_METRICS - AFTER_FAULT_METRICS


class Probe(Strict):
    """The request sent to the consumer to make it call the provider once."""

    method: str = "GET"
    path: str
    json_body: Any = Field(default=None, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = Field(default=10.0, gt=0, le=MAX_PROBE_TIMEOUT_S)
    #: Statuses that count as success; by default any 2xx.
    expect_status: list[int] = Field(default_factory=list)

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("path")
    @classmethod
    def _url_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must be a URL path starting with '/'")
        return value

    @field_validator("headers")
    @classmethod
    def _valid_traceparent(cls, value: dict[str, str]) -> dict[str, str]:
        for name, given in value.items():
            if name.lower() == TRACEPARENT and trace_id_of(given) is None:
                raise ValueError(
                    f"{name}: {given!r} is not a valid W3C traceparent"
                    " (00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, lower case)"
                )
        return value

    def succeeded(self, status: int | None) -> bool:
        if status is None:
            return False
        return status in self.expect_status if self.expect_status else 200 <= status < 300


class Recovery(Strict):
    """How long the consumer may take to recover after a fault is rolled back."""

    #: Recovered = this many consecutive successful probes, the first within ``within_s``.
    within_s: Duration = Field(default=10.0, gt=0, le=MAX_RECOVERY_S)
    streak: int = Field(default=3, ge=1, le=20)
    interval_s: Duration = Field(default=0.1, ge=0, le=5)


_RECOVERY_TEXT = re.compile(r"^\s*(?:steady_state\s+within\s+)?(?P<d>\S+)\s*$")


def _parse_recovery(value: Any) -> Any:
    """``"steady_state within 10s"``, ``"10s"``, ``10`` or ``{within: 10s, streak: 3}``."""
    if isinstance(value, dict):
        data = dict(value)
        for key in ("within", "interval"):
            if key in data:
                data[f"{key}_s"] = parse_duration(data.pop(key))
        return data
    if isinstance(value, str):
        match = _RECOVERY_TEXT.match(value)
        if not match:
            raise ValueError(f"expected 'steady_state within 10s', got {value!r}")
        return {"within_s": parse_duration(match.group("d"))}
    return {"within_s": parse_duration(value)}


class Experiment(Strict):
    """One experiment file, validated."""

    integration: str
    probe: Probe
    calls: int = Field(default=10, ge=1, le=MAX_CALLS)
    steady_state: list[str] = Field(default_factory=list)
    faults: list[Fault] = Field(min_length=1)
    recovery: Recovery = Field(default_factory=Recovery)
    #: Request methods that count as writes for duplicate_writes.
    writes: list[str] = Field(default_factory=lambda: list(WRITE_METHODS))
    #: Re-runs of this experiment when its checks failed on timing gates only (the manifest's
    #: ``confirm`` when omitted; ``--confirm`` overrides both).
    confirm: int | None = Field(default=None, ge=0, le=MAX_RERUNS)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("recovery", mode="before")
    @classmethod
    def _recovery(cls, value: Any) -> Any:
        return value if isinstance(value, Recovery) else _parse_recovery(value)

    @field_validator("writes")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        return [m.upper() for m in value]

    @model_validator(mode="after")
    def _unique_fault_names(self) -> Experiment:
        names = [f.name for f in self.faults]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"fault name '{name}' is used more than once")
        return self

    @model_validator(mode="after")
    def _background_probes(self) -> Experiment:
        for fault in self.faults:
            try:
                self.background_probe(fault)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"fault '{fault.name}': background.probe.{where}: {first['msg']}") from None
        return self

    def background_probe(self, fault: Fault) -> Probe | None:
        """The request the fault's background callers repeat, validated as a probe."""
        if fault.background is None:
            return None
        return Probe.model_validate(fault.background.probe)

    def calls_for(self, fault: Fault) -> int:
        return fault.calls or self.calls

    def steady_gates(self) -> list[Threshold]:
        return [parse_gate(g) for g in self.steady_state]

    def fault_gates(self, fault: Fault) -> list[Threshold]:
        return [parse_gate(g) for g in fault.expect]


def parse_gate(expression: str) -> Threshold:
    """One gate in the thresholds language, with the chaos metrics known."""
    return parse_threshold(expression, kinds=METRIC_KINDS, known_metrics=KNOWN_METRICS)


def load_experiment(path: Path) -> Experiment:
    """Load and fully validate ``path``; every problem raises ConfigError with file:line."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError("an experiment must be a mapping with 'integration', 'probe' and 'faults'", path, 1)
    _check_background_probes(doc)
    experiment = validate_model(Experiment, {**doc.data, "path": path}, doc)
    check_gates(experiment, doc)
    return experiment


def _check_background_probes(doc: YamlDocument) -> None:
    """Each ``faults[i].background.probe`` as a probe, so its errors point at its own line."""
    faults = doc.data.get("faults") if isinstance(doc.data, dict) else None
    for i, fault in enumerate(faults if isinstance(faults, list) else []):
        background = fault.get("background") if isinstance(fault, dict) else None
        if isinstance(background, dict) and isinstance(background.get("probe"), dict):
            validate_model(Probe, background["probe"], doc, ("faults", i, "background", "probe"))


def check_gates(
    experiment: Experiment,
    doc: YamlDocument | None,
    prefix: PathKey = (),
    *,
    down_counted: bool | None = None,
) -> None:
    """Parse every gate now (a typo is exit 2 before anything runs) and reject gates that cannot have data.

    ``down_counted``: whether the run's proxy counts the connections a ``down`` fault refuses
    (the embedded proxy does; a real Toxiproxy cannot); from ``TOXIPROXY_URL`` when not given.
    """
    if down_counted is None:
        down_counted = down_is_counted()
    for i, text in enumerate(experiment.steady_state):
        gate = _parse_at(text, (*prefix, "steady_state", i), doc)
        if gate.metric in AFTER_FAULT_METRICS:
            raise _error(
                doc,
                (*prefix, "steady_state", i),
                f"'{gate.metric}' is measured after a fault, not in steady state",
            )
    for f, fault in enumerate(experiment.faults):
        for i, text in enumerate(fault.expect):
            loc = (*prefix, "faults", f, "expect", i)
            gate = _parse_at(text, loc, doc)
            if fault.background is not None and gate.metric in PROVIDER_METRICS:
                raise _error(
                    doc,
                    loc,
                    f"'{gate.metric}' cannot be measured with background traffic: the background"
                    " calls reach the provider too, so its requests cannot be told from the"
                    " probe's (gate the probe's own figures: p(N), success_rate, error_rate)",
                )
            if fault.down and gate.metric in PROVIDER_METRICS and not down_counted:
                raise _error(
                    doc,
                    loc,
                    f"'{gate.metric}' cannot be measured while the provider is down behind a real"
                    f" Toxiproxy ({TOXIPROXY_URL_ENV} is set): it takes the provider down by"
                    " disabling its proxy, so the kernel refuses the consumer's connections and"
                    " nobody can count them. interlock's embedded proxy (unset"
                    f" {TOXIPROXY_URL_ENV}) accepts, counts and resets each one, so it can",
                )


def _parse_at(text: str, loc: PathKey, doc: YamlDocument | None) -> Threshold:
    if not isinstance(text, str):
        raise _error(doc, loc, f"a gate must be a string such as 'p(95) < 300ms', got {text!r}")
    try:
        return parse_gate(text)
    except ThresholdError as exc:
        raise _error(doc, loc, str(exc)) from None


def _error(doc: YamlDocument | None, loc: PathKey, message: str) -> ConfigError:
    where = ".".join(str(p) for p in loc)
    return doc.error(loc, f"{where}: {message}") if doc else ConfigError(f"{where}: {message}")
