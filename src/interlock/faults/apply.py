"""Apply one fault to one integration's proxy, and always be able to take it back.

This is the small API other stages use too (the load stage applies a fault for a window)::

    from interlock.faults.apply import apply_fault
    from interlock.faults.model import Fault, Toxic

    fault = Fault(name="slow", toxics=[Toxic(type="latency", attributes={"latency": 800})])
    with apply_fault(ctx.fault_proxy.target("checkout-payments"), fault) as applied:
        ...                      # traffic sees the fault here
    # rolled back: toxics removed, proxy enabled again (also on exceptions and Ctrl-C)

``apply_fault`` returns an :class:`AppliedFault` handle; ``rollback()`` is idempotent and is what
the context manager calls on exit. A fault that fails half-way through being applied is rolled
back before the error propagates. The run's :class:`~interlock.faults.fabric.FaultFabric` also
resets every proxy it made when the run ends, whatever happened, as a second line of defence.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from interlock.faults.model import Fault


class ToxicClient(Protocol):
    """The part of :class:`interlock.proxy.client.ProxyClient` that faults use."""

    def add_toxic(
        self,
        proxy: str,
        type: str,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> Any: ...

    def remove_toxic(self, proxy: str, name: str) -> Any: ...

    def update_proxy(self, name: str, **fields: Any) -> Any: ...


@dataclass(frozen=True)
class FaultTarget:
    """Where one integration's faults go.

    Toxiproxy's own toxics and ``down`` go to ``client``/``proxy``. ``http_error`` is interlock's
    extra toxic: with the embedded proxy it goes to the same proxy; with a real Toxiproxy it goes
    to interlock's recorder behind it (which speaks HTTP), hence the second pair.
    """

    client: ToxicClient
    proxy: str
    http_client: ToxicClient
    http_proxy: str
    #: ``down`` as the embedded proxy's ``down`` toxic (accept, count, reset) rather than a
    #: disabled proxy (connections refused by the kernel, unseen): true unless a real Toxiproxy
    #: sits in front, which cannot count what it refuses.
    counts_refused: bool = False


@dataclass
class AppliedFault:
    """A fault in force; :meth:`rollback` undoes exactly what was applied."""

    fault: Fault
    target: FaultTarget
    applied_at: float = 0.0
    rolled_back_at: float | None = None
    toxics: list[tuple[ToxicClient, str, str]] = field(default_factory=list)  # (client, proxy, toxic name)
    disabled: bool = False

    def rollback(self) -> None:
        """Remove the toxics and re-enable the proxy; safe to call twice; raises the first failure."""
        if self.rolled_back_at is not None:
            return
        problems: list[BaseException] = []
        while self.toxics:
            client, proxy, name = self.toxics.pop()
            try:
                client.remove_toxic(proxy, name)
            except Exception as exc:
                if not _is_not_found(exc):
                    problems.append(exc)
        if self.disabled:
            try:
                self.target.client.update_proxy(self.target.proxy, enabled=True)
                self.disabled = False
            except Exception as exc:
                problems.append(exc)
        self.rolled_back_at = time.time()
        if problems:
            raise problems[0]

    def __enter__(self) -> AppliedFault:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def describe(self) -> dict[str, Any]:
        return {
            "fault": self.fault.name,
            "proxy": self.target.proxy,
            "toxics": [name for _, _, name in self.toxics],
            "down": self.fault.down,
        }


def toxic_name(fault: Fault, index: int, kind: str) -> str:
    """Names that say who put the toxic there and cannot clash with a user's own toxics."""
    return f"interlock.{fault.name}.{index}.{kind}"


def apply_fault(target: FaultTarget, fault: Fault) -> AppliedFault:
    """Put ``fault`` in force on ``target``; on a failure half-way, undo what was done and re-raise."""
    applied = AppliedFault(fault, target, applied_at=time.time())
    try:
        for index, toxic in enumerate(fault.toxics):
            name = toxic.name or toxic_name(fault, index, toxic.type)
            target.client.add_toxic(
                target.proxy,
                toxic.type,
                stream=toxic.stream,
                toxicity=toxic.toxicity,
                name=name,
                attributes=dict(toxic.attributes),
            )
            applied.toxics.append((target.client, target.proxy, name))
        if fault.http_error is not None:
            name = toxic_name(fault, len(fault.toxics), "http_error")
            error = fault.http_error
            attributes: dict[str, Any] = {
                "status": error.status,
                "retry_after": error.retry_after,
                "probability": error.probability,
            }
            if error.body is not None:
                attributes["body"] = error.body
            target.http_client.add_toxic(
                target.http_proxy,
                "http_error",
                stream="downstream",
                toxicity=1.0,
                name=name,
                attributes=attributes,
            )
            applied.toxics.append((target.http_client, target.http_proxy, name))
        if fault.auth_expiry is not None:
            name = toxic_name(fault, len(fault.toxics) + 1, "auth_expiry")
            target.http_client.add_toxic(target.http_proxy, "auth_expiry", name=name, attributes={})
            applied.toxics.append((target.http_client, target.http_proxy, name))
        if fault.down and target.counts_refused:
            name = toxic_name(fault, 0, "down")
            applied.toxics.append((target.http_client, target.http_proxy, name))  # first: see below
            target.http_client.add_toxic(target.http_proxy, "down", name=name, attributes={})
        elif fault.down:
            applied.disabled = True  # set first: a timeout after the server applied it must still undo it
            target.client.update_proxy(target.proxy, enabled=False)
    except BaseException:
        with contextlib.suppress(Exception):
            applied.rollback()
        raise
    applied.applied_at = time.time()
    return applied


def _is_not_found(exc: BaseException) -> bool:
    """A toxic that is already gone is rolled back."""
    status = getattr(exc, "status", None) or getattr(getattr(exc, "response", None), "status_code", None)
    return status == 404 or "not found" in str(exc).lower()
