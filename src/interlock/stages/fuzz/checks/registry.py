"""The registry of interlock's fuzz checks: one :func:`fuzz_check` decorator per check module.

A check is one module in :mod:`interlock.stages.fuzz.checks` that declares, in one place, its
name, its failure code, the model of its suite settings (if any) and its function(s)::

    class NoTeapotsSettings(BaseModel):
        statuses: list[int] = [418]

    @fuzz_check("no_teapots", code="IL105", settings=NoTeapotsSettings)
    def no_teapots(exchange: Exchange, settings: NoTeapotsSettings) -> None:
        if exchange.status in settings.statuses:
            raise CheckFailed("a teapot", "", cause="teapot")

plus one import line in ``checks/__init__.py`` (or, outside interlock, a suite's
``extra_checks: ["module:function"]``). The engine, the fuzz job, the suite and the stage read
this registry, so nothing else changes for a new check: its settings are the suite key of the same
name (``suite_key`` to differ), they travel in the job as ``check_settings[name]`` (dumped and
validated here), and ``checks: {disable: [name]}`` switches it off.

Like ``@schemathesis.check``, registering is a side effect of importing the module; unlike it, the
function sees an :class:`~interlock.stages.fuzz.checks.exchange.Exchange`, never a schemathesis
object, and per-run state is built by the check's own ``start`` from its settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from interlock.stages.fuzz.checks.exchange import Exchange, Judgement

CheckFunction = Callable[[Exchange, Any], None]
F = TypeVar("F", bound=Callable[..., None])


@dataclass(frozen=True)
class RunInfo:
    """What a check's ``start`` may ask about the run (answered by the engine from the schema)."""

    #: Operations ("POST /payments") whose spec declares this request header.
    operations_declaring_header: Callable[[str], set[str]]
    request_timeout_s: float = 10.0


@dataclass(frozen=True)
class LateFailure:
    """A failure judged once the run is over, over every response (``finish``)."""

    operation: str
    title: str
    message: str
    cause: str
    curls: list[str]
    #: Why it is a defect and how sure the check is (see :class:`CheckFailed`).
    judgement: Judgement = field(default_factory=Judgement)


@dataclass(frozen=True)
class FuzzCheck:
    """One registered check."""

    name: str
    #: The failure code in findings (IL101...), next to schemathesis' STxxx.
    code: str
    #: ``function(exchange, state)``; raises CheckFailed.
    function: CheckFunction
    #: The model of the check's suite settings, or None when it has none.
    settings: type[BaseModel] | None = None
    #: The suite key holding the settings (the check's name unless given).
    suite_key: str = ""
    #: ``start(settings, run) -> state`` once per run; without it the state is the settings.
    start: Callable[[Any, RunInfo], Any] | None = None
    #: ``finish(state) -> failures`` once the run is over (aggregate judgements).
    finish: Callable[[Any], list[LateFailure]] | None = None
    #: Whether a request's verdict is remembered, so shrinking sees the same answer again (checks
    #: that send requests of their own, whose answers may change between tries).
    remember_verdicts: bool = False

    def settings_from(self, raw: Any) -> BaseModel | None:
        """The validated settings (the defaults when ``raw`` is None)."""
        if self.settings is None:
            return None
        return self.settings.model_validate({} if raw is None else raw)

    def state_for(self, raw_settings: Any, run: RunInfo) -> Any:
        settings = self.settings_from(raw_settings)
        return self.start(settings, run) if self.start is not None else settings


#: Name -> check, in registration (and run) order.
CHECKS: dict[str, FuzzCheck] = {}


def fuzz_check(
    name: str,
    *,
    code: str,
    settings: type[BaseModel] | None = None,
    suite_key: str | None = None,
    start: Callable[[Any, RunInfo], Any] | None = None,
    finish: Callable[[Any], list[LateFailure]] | None = None,
    remember_verdicts: bool = False,
) -> Callable[[F], F]:
    """Register the decorated function as the check ``name`` (see the module's docstring)."""

    def register(function: F) -> F:
        existing = CHECKS.get(name)
        if existing is not None and _origin(existing.function) != _origin(function):
            raise ValueError(
                f"a fuzz check named {name!r} is already registered ({_origin(existing.function)})"
            )
        CHECKS[name] = FuzzCheck(
            name=name,
            code=code,
            function=function,
            settings=settings,
            suite_key=suite_key or name,
            start=start,
            finish=finish,
            remember_verdicts=remember_verdicts,
        )
        return function

    return register


def _origin(function: Callable[..., None]) -> str:
    """Where a function is defined: registering it again (a module imported twice) is no conflict."""
    return f"{function.__module__}:{getattr(function, '__qualname__', repr(function))}"


def check_named(name: str) -> FuzzCheck | None:
    return CHECKS.get(name)


def registered_for(function: Callable[..., None]) -> FuzzCheck | None:
    """The registration of ``function`` (an ``extra_checks`` entry may name a registered check)."""
    return next((check for check in CHECKS.values() if check.function is function), None)


def settings_keys() -> dict[str, FuzzCheck]:
    """Suite key -> check, for every check that has settings."""
    return {check.suite_key: check for check in CHECKS.values() if check.settings is not None}


def dump_settings(given: Mapping[str, BaseModel]) -> dict[str, Any]:
    """Every check's settings (the defaults where ``given`` has none) as JSON data for the job."""
    dumped: dict[str, Any] = {}
    for check in CHECKS.values():
        if check.settings is None:
            continue
        settings = given.get(check.name) or check.settings_from(None)
        assert settings is not None
        dumped[check.name] = settings.model_dump(mode="json")
    return dumped
