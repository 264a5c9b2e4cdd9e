"""Turn the Pact core's results for one pact file into checks and findings.

One check per interaction (one JUnit testcase each); one finding per mismatch, naming the pact,
the interaction, the provider state and the mismatch (path, expected, actual), with a curl
reproduction. Provider-state failures recorded by the state forwarder fail the interactions
that needed the state, because a verification against the wrong state proves nothing.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

from interlock.core.verdict import CheckResult, Finding, Severity, Status
from interlock.pacts.pactfile import PactFile, PactInteraction, PactRequest

STAGE = "contracts"
_MISSING_KEYS = re.compile(r"missing the following keys: (.+)$")
_DURATION = re.compile(r"^([\d.]+)\s*(ms|s|µs|us|ns)$")


def checks_for_pact(
    pact: PactFile,
    outcome: dict[str, Any],
    *,
    integration: str,
    pact_label: str,
    provider_url: str,
    states_url: str | None,
    reproduce_cmd: str,
    is_pending: Callable[[PactInteraction], bool] | None = None,
) -> list[CheckResult]:
    """One CheckResult per interaction of ``pact``, from the worker's ``outcome``.

    An interaction is pending when the Pact core says so (a broker's pending pact) or when
    ``is_pending`` does (never verified on the provider's main branch): its failures become
    warnings and its check passes, so it does not fail the gate.
    """
    results = outcome.get("results") or {}
    by_key: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for item in results.get("interactionResults") or []:
        key = (item.get("description", ""), tuple(item.get("providerStates") or []))
        by_key.setdefault(key, []).append(item)
    state_failures = [f for f in outcome.get("state_failures") or [] if f.get("action") == "setup"]

    checks = []
    for interaction in pact.interactions:
        name = f"{pact_label} :: {interaction.description}"
        context = _Context(
            pact, pact_label, interaction, integration, provider_url, states_url, reproduce_cmd
        )
        key = (interaction.description, tuple(s.name for s in interaction.states))
        matches = by_key.get(key) or []
        result = matches.pop(0) if matches else None
        duration = _duration_s(result.get("duration")) if result else 0.0

        pending = (
            interaction.pending
            or bool(result and result.get("pending"))
            or bool(is_pending and is_pending(interaction))
        )
        failed_states = [f for f in state_failures if f["state"] in {s.name for s in interaction.states}]
        if failed_states:
            findings = [
                context.finding(
                    f"provider state '{f['state']}' could not be set up",
                    f"state handler: {f['error']}",
                    pending=pending,
                )
                for f in failed_states
            ]
            checks.append(_failed_check(name, duration, findings, pending))
            continue
        failed_messages = [
            f for f in outcome.get("message_failures") or [] if f["description"] == interaction.description
        ]
        if failed_messages:
            findings = [
                context.finding(
                    "the message could not be produced", f"message handler: {f['error']}", pending=pending
                )
                for f in failed_messages[:1]
            ]
            checks.append(_failed_check(name, duration, findings, pending))
            continue
        if result is None:
            message = "the Pact core did not report on this interaction"
            checks.append(
                CheckResult(
                    name=name,
                    status=Status.ERROR,
                    message=message,
                    findings=[context.finding(message, json.dumps(results.get("errors"))[:2000])],
                )
            )
            continue
        if result.get("result") == "OK":
            checks.append(CheckResult(name=name, status=Status.PASSED, duration_s=duration))
            continue
        findings = [
            context.finding(
                title if interaction.request else title.replace("response body", "message body"),
                detail,
                pending=pending,
            )
            for title, detail in describe_mismatches(result.get("mismatch") or {})
        ]
        checks.append(_failed_check(name, duration, findings, pending))
    return checks


PENDING_MESSAGE = "pending interaction: failures do not fail the gate"


def _failed_check(name: str, duration: float, findings: list[Finding], pending: bool) -> CheckResult:
    return CheckResult(
        name=name,
        status=Status.PASSED if pending else Status.FAILED,
        duration_s=duration,
        findings=findings,
        message=PENDING_MESSAGE if pending else "",
    )


class _Context:
    """What every finding of one interaction repeats: where it is and how to reproduce it."""

    def __init__(
        self,
        pact: PactFile,
        label: str,
        interaction: PactInteraction,
        integration: str,
        provider_url: str,
        states_url: str | None,
        reproduce_cmd: str,
    ) -> None:
        self.pact, self.label, self.interaction = pact, label, interaction
        self.integration, self.provider_url, self.states_url = integration, provider_url, states_url
        self.reproduce_cmd = reproduce_cmd

    def finding(self, what: str, mismatch_detail: str, *, pending: bool = False) -> Finding:
        i = self.interaction
        given = "; ".join(str(s) for s in i.states) or "(no provider state)"
        request = f"{i.request.method} {i.request.path}" if i.request else i.kind
        detail = "\n".join(
            [
                f"pact:        {self.label} ({self.pact.consumer} -> {self.pact.provider})",
                f"interaction: {i.description}",
                f"given:       {given}",
                f"request:     {request}",
                mismatch_detail,
            ]
        )
        return Finding(
            stage=STAGE,
            integration=self.integration,
            severity=Severity.WARNING if pending else Severity.ERROR,
            title=f"{i.description}: {what}",
            detail=detail,
            reproduce=self.reproduce(),
        )

    def reproduce(self) -> str:
        lines = [self.reproduce_cmd]
        if self.interaction.request is None:
            return lines[0]
        lines.append(f"# or by hand, against the provider as it ran at {self.provider_url} in this run:")
        if self.states_url:
            for state in self.interaction.states:
                body = json.dumps({"state": state.name, "params": state.params, "action": "setup"})
                lines.append(
                    f"curl -sS -X POST {shlex.quote(self.states_url)} "
                    f"-H 'Content-Type: application/json' -d {shlex.quote(body)}"
                )
        if self.interaction.request is not None:
            lines.append(curl(self.provider_url, self.interaction.request))
        return "\n".join(lines)


def curl(base_url: str, request: PactRequest) -> str:
    """A curl command line that sends ``request`` to ``base_url``."""
    query = "&".join(f"{k}={v}" for k, values in request.query.items() for v in values)
    url = base_url + request.path + (f"?{query}" if query else "")
    parts = ["curl", "-sS", "-i", "-X", request.method, shlex.quote(url)]
    for key, values in request.headers.items():
        for value in values:
            parts += ["-H", shlex.quote(f"{key}: {value}")]
    if request.body is not None:
        body = request.body if isinstance(request.body, str) else json.dumps(request.body)
        if request.content_type and not any(k.lower() == "content-type" for k in request.headers):
            parts += ["-H", shlex.quote(f"Content-Type: {request.content_type}")]
        parts += ["-d", shlex.quote(body)]
    return " ".join(parts)


def describe_mismatches(mismatch: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, detail) for each mismatch in a Pact core mismatch block."""
    if mismatch.get("type") == "error" or ("message" in mismatch and "mismatches" not in mismatch):
        message = str(mismatch.get("message", "verification error"))
        return [(f"request failed: {message.splitlines()[0][:200]}", f"error:       {message}")]
    described = [describe_mismatch(m) for m in mismatch.get("mismatches") or []]
    return described or [("verification failed", f"mismatch:    {json.dumps(mismatch)[:2000]}")]


def describe_mismatch(m: dict[str, Any]) -> tuple[str, str]:
    kind = str(m.get("type", "Mismatch"))
    text = str(m.get("mismatch", "")).strip()
    expected, actual = m.get("expected"), m.get("actual")
    if kind == "StatusMismatch":
        title = f"status {actual}, expected {expected}"
    elif kind == "HeaderMismatch":
        title = f"header {m.get('key')}: {text or f'expected {expected!r}, got {actual!r}'}"
    elif kind == "BodyMismatch":
        path = str(m.get("path", "$"))
        missing = _MISSING_KEYS.search(text)
        if missing:
            fields = [f"{path}.{key.strip()}" for key in missing.group(1).split(",")]
            title = f"response body is missing {', '.join(fields)}"
        else:
            title = f"body {path}: {text.splitlines()[0][:200] if text else 'does not match'}"
    else:
        label = re.sub(r"(?<!^)(?=[A-Z])", " ", kind.removesuffix("Mismatch")).lower() or "mismatch"
        title = f"{label}: {text.splitlines()[0][:200] if text else f'expected {expected!r}, got {actual!r}'}"
    lines = [
        f"mismatch:    {kind}"
        + (f" at {m['path']}" if m.get("path") else "")
        + (f" (header {m['key']})" if m.get("key") else "")
    ]
    if text:
        lines.append(f"  {text}")
    if expected is not None:
        lines.append(f"  expected: {_short(expected)}")
    if actual is not None:
        lines.append(f"  actual:   {_short(actual)}")
    return title, "\n".join(lines)


def _short(value: Any, limit: int = 1000) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _duration_s(text: Any) -> float:
    match = _DURATION.match(str(text or "").strip())
    if not match:
        return 0.0
    value, unit = float(match.group(1)), match.group(2)
    return value * {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}[unit]
