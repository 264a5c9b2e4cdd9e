"""load/NAME.yaml: a load profile (what to load, with which shape, against which SLOs).

Loaded and validated before anything starts, so a bad profile is one ``file:line: message`` line
and exit 2. Durations are written like ``30s``, ``2m`` or ``500ms``; SLOs in interlock's one
threshold language (:mod:`interlock.core.thresholds`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, ConfigDict, Field, field_validator, model_validator

from interlock.core.config import Strict, did_you_mean, validate_model
from interlock.core.confirmation import MAX_RERUNS
from interlock.core.durations import Duration, parse_duration
from interlock.core.errors import ConfigError
from interlock.core.thresholds import (
    Threshold,
    ThresholdError,
    parse_threshold,
)
from interlock.core.yamlfile import PathKey, YamlDocument, load_yaml
from interlock.stages.load.shapes import SHAPES

#: Metrics a load SLO may gate on (``p`` admits every percentile ``p(N)``).
LOAD_METRICS = (
    "p",
    "avg",
    "min",
    "max",
    "med",
    "error_rate",
    "success_rate",
    "rps",
    "requests",
    "failures",
    "amplification",
)


class LoadShape(Strict):
    """The user count over time: ``type`` names a registered shape class
    (:mod:`interlock.stages.load.shapes`: ramp, step, spike, soak), which turns these values into
    its schedule and phases. ``steps`` is the step shape's; ``spike_*`` are the spike shape's.
    """

    type: str
    #: The expected peak (``peak_users``, DESIGN.md's name, is accepted too).
    users: int = Field(ge=1, le=100_000, validation_alias=AliasChoices("users", "peak_users"))
    spawn_rate: float = Field(default=10.0, gt=0, le=10_000)
    duration: Duration
    steps: int = Field(default=4, ge=1, le=100)
    spike_factor: float = Field(default=3.0, ge=1, le=100)
    spike_at: Duration | None = None
    spike_duration: Duration | None = None

    @field_validator("type")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in SHAPES:
            raise ValueError(f"unknown shape '{value}' (shapes: {', '.join(SHAPES)})")
        return value

    @model_validator(mode="after")
    def _fits(self) -> LoadShape:
        if self.duration <= 0:
            raise ValueError("duration must be above 0")
        SHAPES[self.type].check(self)
        return self


class Slo(Strict):
    """Thresholds for the whole run, per endpoint (``"GET /orders/[id]"``) and per phase."""

    run: list[Threshold] = Field(default_factory=list)
    endpoints: dict[str, list[Threshold]] = Field(default_factory=dict)
    phases: dict[str, list[Threshold]] = Field(default_factory=dict)

    model_config = ConfigDict(arbitrary_types_allowed=True)  # merged with Strict's

    def all(self) -> list[Threshold]:
        return [
            *self.run,
            *(t for ts in self.endpoints.values() for t in ts),
            *(t for ts in self.phases.values() for t in ts),
        ]


class AbortOnFail(Strict):
    """Stop the run early once a run-wide SLO has been breached for ``window`` without a break."""

    window: Duration = 10.0
    grace: Duration = 5.0  #: no abort in the first seconds, while the first users warm up


class UnderFault(Strict):
    """A chaos fault (by name, from the integration's chaos file) applied for a window mid-run."""

    fault: str
    at: Duration
    duration: Duration
    integration: str | None = None  #: whose proxy takes the fault; the profile's integration by default


class Baseline(Strict):
    """Compare with the previous run of this profile; a regression beyond ``tolerance`` is flagged."""

    tolerance: float = Field(default=0.2, ge=0, le=10)  #: p95 and rps: 0.2 = 20 % worse
    error_rate_tolerance: float = Field(default=0.01, ge=0, le=1)  #: error rate: percentage points
    gate: bool = False  #: a regression fails the gate (otherwise it is a warning)

    @field_validator("tolerance", "error_rate_tolerance", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return float(value.strip()[:-1]) / 100
        return value


class StateSetup(Strict):
    """A provider state to set before the run, through the service's ``states:`` endpoint."""

    service: str
    state: str
    params: dict[str, Any] = Field(default_factory=dict)


class LoadProfile(Strict):
    """A validated load profile and the file it came from."""

    integration: str | None = None
    target: str | None = None  #: the service to load; the integration's provider when omitted
    locustfile: str | None = None  #: generated from the integration's pacts when omitted
    shape: LoadShape
    slo: Slo = Field(default_factory=Slo)
    abort_on_fail: AbortOnFail | None = None
    under_fault: UnderFault | None = None
    baseline: Baseline | None = Field(default_factory=Baseline)
    states: list[StateSetup] = Field(default_factory=list)
    #: Re-runs of this profile when its checks failed on timing SLOs only (the manifest's
    #: ``confirm`` when omitted; ``--confirm`` overrides both).
    confirm: int | None = Field(default=None, ge=0, le=MAX_RERUNS)
    path: Path = Field(default=Path("load/profile.yaml"), exclude=True)

    @property
    def name(self) -> str:
        return self.path.stem

    @field_validator("abort_on_fail", "baseline", mode="before")
    @classmethod
    def _bool_means_defaults(cls, value: Any) -> Any:
        # `abort_on_fail: true` / `baseline: true`: on with the defaults; `false`: off.
        if value is True:
            return {}
        return None if value is False else value

    @model_validator(mode="after")
    def _fault_window(self) -> LoadProfile:
        fault = self.under_fault
        if fault is not None and fault.at + fault.duration > self.shape.duration:
            raise ValueError(
                f"under_fault window ({fault.at:g}s + {fault.duration:g}s) must end within"
                f" the shape's duration ({self.shape.duration:g}s)"
            )
        return self


def load_profile(path: Path) -> LoadProfile:
    """Load and validate ``path``; every problem raises ConfigError with file:line."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError("a load profile must be a mapping with at least 'shape'", path, 1)
    data = dict(doc.data)
    if isinstance(data.get("under_fault"), str):
        data["under_fault"] = _middle_third(data)
    data["slo"] = _parse_slo(data.get("slo"), doc)
    profile: LoadProfile = validate_model(LoadProfile, {**data, "path": path.resolve()}, doc)
    return profile


def _middle_third(data: dict[str, Any]) -> Any:
    """``under_fault: NAME``: the fault is applied for the middle third of the shape's duration."""
    try:
        total = parse_duration((data.get("shape") or {}).get("duration", 0))
    except (ValueError, AttributeError):
        return {"fault": data["under_fault"], "at": 0, "duration": 0}
    return {"fault": data["under_fault"], "at": round(total / 3, 3), "duration": round(total / 3, 3)}


def _parse_slo(raw: Any, doc: YamlDocument) -> dict[str, Any]:
    """Parse every threshold now, so a bad one points at its own line."""
    if raw is None:
        return {}
    if isinstance(raw, list):
        raw = {"run": raw}
        base: PathKey = ("slo",)
        locs = {"run": base}
    elif isinstance(raw, dict):
        locs = {key: ("slo", key) for key in raw}
    else:
        raise doc.error(("slo",), "slo must be a list of thresholds or a mapping with run, endpoints, phases")

    def parse_list(items: Any, loc: PathKey) -> list[Threshold]:
        if not isinstance(items, list):
            raise doc.error(loc, "expected a list of thresholds such as ['p(95) < 300ms', 'error_rate < 1%']")
        parsed = []
        for index, text in enumerate(items):
            item_loc = (*loc, index)
            if not isinstance(text, str):
                raise doc.error(item_loc, f"a threshold must be a string, got {text!r}")
            try:
                parsed.append(parse_threshold(text, known_metrics=LOAD_METRICS))
            except ThresholdError as exc:
                raise doc.error(item_loc, str(exc)) from None
        return parsed

    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "run":
            out["run"] = parse_list(value, locs[key])
        elif key in ("endpoints", "phases"):
            if not isinstance(value, dict):
                raise doc.error(locs[key], f"slo.{key} must map names to lists of thresholds")
            out[key] = {name: parse_list(items, (*locs[key], name)) for name, items in value.items()}
        else:
            hint = did_you_mean(str(key), ["run", "endpoints", "phases"])
            raise doc.error(locs[key], f"unknown key '{key}' in slo{hint} (use run, endpoints, phases)")
    return out
