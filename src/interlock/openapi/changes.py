"""What a spec diff finds: a :class:`Change` with its rule, level, place and :class:`Target`.

The target says what a consumer's recorded interaction must do to depend on the change;
:mod:`.impact` evaluates it against the pacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    BREAKING = "breaking"
    POTENTIAL = "potentially-breaking"
    NON_BREAKING = "non-breaking"


@dataclass(frozen=True)
class Target:
    """What an interaction must do to depend on a change (see :func:`interlock.openapi.impact.depends`)."""

    method: str  # upper case
    template: str
    needs: str  # any | status | reads | reads-value | expects-header | response-media | sends | lacks |
    #             violates | no-body | request-media | no-credentials | none
    status: str | None = None  # the response key in the base spec ("201", "2XX", "default")
    where: str = "body"  # body | query | header | path
    name: str | None = None  # a parameter, header or property name
    path: tuple[str, ...] = ()  # generalised instance path in the body ("items", "[*]", "sku")
    values: tuple[Any, ...] = ()  # reads-value: the enum values removed
    pointer: str | None = None  # violates: the head schema to validate the recorded value against
    media: str | None = None
    schemes: tuple[tuple[str, ...], ...] = ()  # no-credentials: the head's security alternatives


@dataclass(frozen=True)
class Change:
    rule: str
    level: Level
    operation: str  # "POST /payments"
    message: str
    pointer: str  # "#/components/schemas/Payment/properties/status" (in head, or in base when removed)
    target: Target = field(compare=False)

    @property
    def location(self) -> str:
        return f"{self.operation} {self.pointer}"
