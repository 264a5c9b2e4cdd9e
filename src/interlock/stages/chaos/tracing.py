"""Trace propagation: the ids a probe call sends, and the ids a provider request carries back.

Every probe call gets a W3C ``traceparent`` with a fresh trace id, unless the probe sets its own
``traceparent`` or an ``X-Request-Id`` / ``X-Correlation-Id`` (then those are followed instead and
no traceparent is added: the probe says how the consumer correlates). A provider request that
carries one of the ids a probe call sent belongs to that call; the trace id itself is the link,
so the attribution does not depend on timing (``trace_propagation`` in docs/chaos.md).

Only the trace id of a traceparent is compared: a consumer that propagates the trace starts its
own span (a new parent id), as W3C Trace Context asks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from interlock.faults.observation import Observation

TRACEPARENT = "traceparent"
#: Request-id headers a probe may set instead of a traceparent (lower case).
ID_HEADERS = ("x-request-id", "x-correlation-id")
#: version-traceid-parentid-flags; a later version may append fields after the flags.
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_INVALID_TRACE_ID = "0" * 32
_INVALID_PARENT_ID = "0" * 16


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a valid W3C ``traceparent`` value; None for anything else.

    Invalid per the specification, and so never a match: version ``ff``, an all-zero trace or
    parent id, upper-case hex, extra fields after version ``00``.
    """
    if traceparent is None:
        return None
    match = _TRACEPARENT.match(traceparent.strip())
    if match is None:
        return None
    version, trace_id, parent_id, _flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or trace_id == _INVALID_TRACE_ID:
        return None
    return None if parent_id == _INVALID_PARENT_ID else trace_id


def new_traceparent() -> tuple[str, str]:
    """A sampled ``traceparent`` with a fresh random trace id, and that trace id."""
    trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01", trace_id


def call_headers(probe_headers: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The headers of one probe call, and the ids a provider request must carry to be linked to it."""
    given = {name.lower(): value for name, value in probe_headers.items()}
    followed = [value for name in ID_HEADERS if (value := given.get(name, "").strip())]
    if TRACEPARENT in given:
        trace_id = trace_id_of(given[TRACEPARENT])
        return dict(probe_headers), [trace_id, *followed] if trace_id else followed
    if followed:
        return dict(probe_headers), followed
    traceparent, trace_id = new_traceparent()
    return {**probe_headers, TRACEPARENT: traceparent}, [trace_id]


def carried_ids(observation: Observation) -> set[str]:
    """The ids a provider request carried: its traceparent's trace id and its request ids."""
    found = {trace_id_of(observation.traceparent), observation.request_id, observation.correlation_id}
    return {value.strip() for value in found if value and value.strip()}
