"""No leakage: a response must not reveal the provider's insides or the caller's secrets.

Error responses above all: an unhandled exception that renders its traceback tells an attacker
the stack, the file layout and sometimes the SQL or the database URL. The check scans every
string of a response (each JSON string separately, so escaping hides nothing; the raw text
otherwise; and every header) for stack traces, exception classes, file paths, SQL, connection
strings, credentials and tokens, and for an echo of a secret header the request carried.

What the request itself sent is not a leak: schemathesis sends strings it mined from the spec
and from earlier answers (``SELECT * FROM``, paths), and an API that quotes a bad value back in
its error message is fine. A match that lies inside a value the request sent is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from interlock.stages.fuzz.checks.exchange import CheckFailed, Exchange
from interlock.stages.fuzz.checks.registry import fuzz_check

#: Request headers whose values are secrets: echoing them back is a leak.
SECRET_HEADER = re.compile(
    r"(?i)(authorization|cookie|api[-_]?key|token|secret|password|passwd|session|credential)"
)
#: A secret shorter than this is too likely to occur by chance in a response.
MIN_SECRET_LEN = 8

#: cause -> patterns; the cause names the finding and deduplicates it.
LEAK_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "stack trace": [
        re.compile(r"Traceback \(most recent call last\)"),
        re.compile(r'File "[^"]+", line \d+'),
        re.compile(r"(?m)^\s*at [\w$.<>]+\([\w$]+\.(?:java|kt|scala|groovy):\d+\)"),
        re.compile(r"\bat [\w$.<>]+ \([^()\s]+\.[cm]?js:\d+:\d+\)"),
        re.compile(r"\bgoroutine \d+ \[[a-z ]+\]:"),
        re.compile(r"\.rb:\d+:in `"),
    ],
    "exception class": [
        re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+[A-Z]\w*(?:Error|Exception)\b"),
        re.compile(r"\b[A-Z][A-Za-z0-9]*(?:Error|Exception): "),
        re.compile(r"<class '[\w.]+'>"),
    ],
    "file path": [
        re.compile(r"(?<![\w/])/(?:usr|home|var|opt|srv|app|etc|root|tmp|Users)/[\w.\-]+(?:/[\w.\-]+)+"),
        re.compile(r"\b[A-Za-z]:\\(?:[\w.\- ]+\\)+[\w.\- ]*"),
        re.compile(r"\bsite-packages/[\w.\-/]+"),
    ],
    "SQL": [
        re.compile(r"(?i)\bselect\s+(?:[\w*.\"`]+\s*,\s*)*[\w*.\"`]+\s+from\s+[\w.\"`]+"),
        re.compile(r"(?i)\binsert\s+into\s+[\w.\"`]+"),
        re.compile(r"(?i)\bupdate\s+[\w.\"`]+\s+set\s+[\w.\"`]+\s*="),
        re.compile(r"(?i)\bdelete\s+from\s+[\w.\"`]+"),
        re.compile(
            r"(?i)syntax error at or near|SQLSTATE\[|\bORA-\d{5}\b|error in your SQL syntax|sqlite3?\.\w+Error"
        ),
    ],
    "connection string": [
        re.compile(
            r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver"
            r"|jdbc:[a-z]+)://[^\s\"'<>]+"
        ),
        re.compile(r"(?i)\b(?:server|data source|host)=[^;\"']+;[^\"']*(?:password|pwd)=[^;\"']+"),
    ],
    "credential": [
        re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
        re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
        re.compile(r"\b(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}"),
        re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,}"),
        re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}"),
        re.compile(
            r"(?i)[\"']?\b(?:password|passwd|client_secret|secret_key|api_?key|access_token|refresh_token)\b"
            r"[\"']?\s*[:=]\s*[\"']?[^\s\"',}{]{4,}"
        ),
    ],
}


def response_strings(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """(where, text) for every string in the response: headers, then JSON strings or the raw text."""
    for name, value in exchange.response_headers.items():
        yield f"header {name}", value
    data = exchange.json()
    if data is None:
        if exchange.body:
            yield "body", exchange.text
        return
    yield from (("body " + where, text) for where, text in _json_strings(data, "$"))


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            yield from _json_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}[{index}]")


def _was_sent(text: str, sent: list[str]) -> bool:
    return any(text in value for value in sent if value)


def find_leaks(exchange: Exchange) -> list[tuple[str, str, str]]:
    """(cause, where, matched text) for each leak in the response, at most one per cause."""
    found: dict[str, tuple[str, str, str]] = {}
    strings = list(response_strings(exchange))
    for cause, patterns in LEAK_PATTERNS.items():
        for where, text in strings:
            if cause in found:
                break
            for pattern in patterns:
                match = next(
                    (m for m in pattern.finditer(text) if not _was_sent(m.group(), exchange.sent_values)),
                    None,
                )
                if match is not None:
                    found[cause] = (cause, where, match.group())
                    break
    for name, value in exchange.request_headers.items():
        if not SECRET_HEADER.search(name):
            continue
        secret = (
            value.split(" ", 1)[1] if value.lower().startswith(("bearer ", "basic ", "token ")) else value
        )
        if len(secret) < MIN_SECRET_LEN or _was_sent(secret, exchange.sent_values):
            continue
        echoed_in = next((w for w, text in strings if secret in text), None)
        if echoed_in is not None:
            cause = f"echoed {name.lower()} header"
            found.setdefault(cause, (cause, echoed_in, "(the request's secret value)"))
    return list(found.values())


@fuzz_check("no_leakage", code="IL101")
def no_leakage(exchange: Exchange, _settings: object = None) -> None:
    leaks = find_leaks(exchange)
    if not leaks:
        return
    cause, _where, _text = leaks[0]
    detail = "\n".join(f"{c} in {w}: {_clip(t)}" for c, w, t in leaks)
    raise CheckFailed(
        f"response leaks a {cause}" if not cause.startswith("echoed") else f"response {cause}",
        f"{exchange.status} response to {exchange.operation}:\n{detail}",
        cause=cause,
    )


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
