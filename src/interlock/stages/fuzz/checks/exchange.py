"""One request and its response, as interlock's checks see them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from interlock.stages.fuzz.checks.schema_paths import JsonPath, declares

#: How sure a check is that its finding is a real defect.
ConfidenceLevel = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Judgement:
    """Why a finding is a defect and how sure the check is: what a maintainer reads first.

    ``why`` is one sentence a maintainer accepts (the rule broken and what the responses showed);
    ``confidence`` is ``high``, ``medium`` or ``low`` and ``basis`` says what it rests on.
    """

    why: str = ""
    confidence: ConfidenceLevel | None = None
    basis: str = ""

    @property
    def confidence_text(self) -> str:
        """``high (what it rests on)``, or "" when the check gave no confidence."""
        if not self.confidence:
            return ""
        return self.confidence + (f" ({self.basis})" if self.basis else "")


class CheckFailed(AssertionError):
    """A check found a problem.

    ``cause`` names the kind of problem (``stack trace``, ``second resource``, ...): findings are
    deduplicated by operation, check and cause, so one defect has one cause. ``curls`` replaces the
    failing request's own curl when reproducing needs other requests (a replay, a request sent
    twice). ``why``, ``confidence`` and ``basis`` are the :class:`Judgement` the finding shows.
    """

    def __init__(
        self,
        title: str,
        message: str,
        *,
        cause: str,
        curls: list[str] | None = None,
        why: str = "",
        confidence: ConfidenceLevel | None = None,
        basis: str = "",
    ) -> None:
        super().__init__(f"{title}\n{message}" if message else title)
        self.title = title
        self.message = message
        self.cause = cause
        self.curls = curls
        self.judgement = Judgement(why, confidence, basis)


class ReplayTooSlow(Exception):
    """A resend's answer took longer than the run allows replays to take (a streamed or dripped
    body): the check that asked for it cannot judge this request and moves on."""


@dataclass
class Exchange:
    """A request that was sent and the response it got."""

    operation: str  #: "POST /payments"
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    status: int
    response_headers: Mapping[str, str]
    body: bytes
    #: Until the response head arrived (what latency budgets judge, as schemathesis' own check).
    elapsed_ms: float
    #: From sending the request until its whole body was read, when known: what repeating the
    #: request costs (a dripped or streamed body arrives long after its head).
    total_ms: float | None = None
    #: Every string the request carried (path, query and body values, non-secret headers).
    sent_values: list[str] = field(default_factory=list)
    #: Whether the request is one the generator meant to be valid.
    positive: bool = True
    #: Send the same request again, with these headers replaced; returns the new exchange.
    resend: Callable[[Mapping[str, str]], Exchange] | None = None
    #: A curl command for this request (with these headers replaced).
    curl: Callable[[Mapping[str, str]], str] = lambda _headers: ""
    #: The JSON schema the spec declares for this response (its status and media type), local
    #: ``$ref`` pointers resolvable inside it; None when the spec declares none.
    response_schema: Any = None
    #: The spec's own text (descriptions, examples, titles), joined: what the API documents.
    documentation: str = ""

    def declares(self, path: Sequence[str | int]) -> bool:
        """Whether the response schema declares the JSON member at ``path`` (keys and indexes)."""
        return self.response_schema is not None and declares(self.response_schema, JsonPath(path))

    def documented(self, text: str) -> bool:
        """Whether ``text`` occurs in the spec's own text (a documented example, not a leak)."""
        return bool(text) and text in self.documentation

    @property
    def cost_ms(self) -> float:
        """What sending this request again would take: the whole exchange, body included."""
        return self.elapsed_ms if self.total_ms is None else max(self.elapsed_ms, self.total_ms)

    def header(self, name: str) -> str | None:
        """A response header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.response_headers.items() if k.lower() == lowered), None)

    def request_header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.request_headers.items() if k.lower() == lowered), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None


def spec_text(document: Any) -> str:
    """Every string value of a spec document (descriptions, examples, defaults), one per line:
    what :attr:`Exchange.documentation` holds."""
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return "\n".join(strings)
