"""No leakage: a response must not reveal the provider's insides or the caller's secrets.

Only what is a leak beyond reasonable doubt is reported, one cause per kind:

* ``stack trace``: a trace *with frames* (``File "app.py", line 3, in f``, ``at a.B(B.java:4)``,
  ...), not the word "Traceback" or an exception's class name alone;
* ``credential``: a connection string with a password (``postgres://user:pass@db``), a private
  key, or a key of a well-known format (AWS, GitHub, Stripe, Slack);
* ``echoed secret``: a secret header interlock sent (``Authorization``, API keys, cookies) repeated
  in the response body or a redirect's ``Location``;
* ``file path``: a path of the server's filesystem (a source or config file, a package directory,
  a home directory), never a URL path.

What is not a leak, and never reported: a member the response schema declares (the API
documents it: an admin endpoint's ``sys_executable``, a config's ``database_url``; a stack
trace only in a declared member named for it, ``traceback``, since a trace in a declared
``detail`` message is still a leak; a secret only in a member named for it, below), text the spec itself
documents (an example ``postgres://user:pass@host`` in a description), a value the request sent
(schemathesis sends strings it mined from the spec, and an error may quote a bad input back),
a JSON member whose name labels the secret (``{"headers": {"Authorization": ...}}``,
httpbin's ``/bearer`` answering ``{"token": ...}``: an echo or introspection by design),
and HTML markup: forms, labels and links (``<label>Password:</label>``, ``href="/app/x"``).
Keyword patterns (``password: ...``), SQL text and exception class names are not matched at
all: they occur in documentation and login pages far more often than in leaks.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from interlock.stages.fuzz.checks.exchange import CheckFailed, ConfidenceLevel, Exchange
from interlock.stages.fuzz.checks.registry import fuzz_check
from interlock.stages.fuzz.checks.schema_paths import JsonPath

#: Request headers whose values are secrets: echoing them back is a leak.
SECRET_HEADER = re.compile(
    r"(?i)(authorization|cookie|api[-_]?key|token|secret|password|passwd|session|credential)"
)
#: A secret shorter than this is too likely to occur by chance in a response.
MIN_SECRET_LEN = 8
#: Response headers that hold URLs (paths in them are URL paths) or the server's own cookies.
_URL_HEADERS = {"location", "content-location", "link", "refresh", "set-cookie"}

_FILE_EXTENSIONS = (
    r"py|pyc|pyx|java|class|jar|kt|scala|groovy|js|mjs|cjs|ts|rb|go|php|pl|rs|c|cc|cpp|h|cs|so|dll"
    r"|conf|config|cfg|ini|toml|yaml|yml|env|pem|key|crt|db|sqlite|sqlite3|log|sock|sh"
)
_ROOTS = r"usr|home|var|opt|srv|etc|root|tmp|Users|app|proc|lib|mnt|private|workspace|code"

#: cause -> patterns; the cause names the finding and deduplicates it.
LEAK_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "stack trace": [
        re.compile(r'File\s+"[^"\n]+"\s*,\s+line\s+\d+\s*,\s+in\s+[\w<>.]+'),
        re.compile(r"(?m)^\s*at [\w$.<>]+\([\w$]+\.(?:java|kt|scala|groovy):\d+\)"),
        re.compile(r"\bat (?:[\w$.<>]+ )?\(?(?:[^()\s]+/)?[^()\s/]+\.[cm]?[jt]s:\d+:\d+\)?"),
        re.compile(r"\bgoroutine \d+ \[[a-z ]+\]:\s*\n\S+\(.*\)\n\s+\S+\.go:\d+"),
        # Starts only where a path starts: unanchored, a long word (fuzzed data echoed back) was
        # retried from every position, quadratic in its length (0.14 s for 6000 characters).
        re.compile(r"(?<![\w/.\-])[\w/.\-]+\.rb:\d+:in [`'][\w<> ]+'"),
        re.compile(r"(?m)^#\d+ [\w/.\-]+\.php\(\d+\): "),
    ],
    "credential": [
        re.compile(
            r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver"
            r"|jdbc:[a-z]+)://[^\s:/@\"'<>]+:[^\s@/\"'<>]+@[^\s\"'<>]+"
        ),
        re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
        re.compile(r"\b(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}"),
        re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,}"),
        re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}"),
    ],
    "file path": [
        re.compile(rf"(?<![\w/.~%-])/(?:{_ROOTS})(?:/[\w.\-]+)*/[\w\-]+\.(?:{_FILE_EXTENSIONS})\b(?![/\w])"),
        re.compile(r"(?<![\w/.~%-])/(?:[\w.\-]+/)*(?:site|dist)-packages/[\w.\-/]+"),
        re.compile(r"(?<![\w/.~%-])/(?:home|Users)/[\w.\-]+/[\w.\-]+/[\w.\-/]+"),
        re.compile(rf"\b[A-Za-z]:\\(?:[\w.\- ]+\\)+[\w.\- ]+\.(?:{_FILE_EXTENSIONS})\b"),
    ],
}

_JUDGEMENT: dict[str, tuple[str, ConfidenceLevel, str]] = {
    "stack trace": (
        "a stack trace tells any caller the server's code paths, file layout and library versions"
        " (CWE-209: error message containing sensitive information)",
        "high",
        "the response holds stack frames (file and line), which only an unhandled error renders",
    ),
    "credential": (
        "a password-bearing connection string or a private or service key in a response hands it to"
        " any caller (CWE-200); the spec documents no such value",
        "high",
        "the value has the exact format of a credential and the request did not send it",
    ),
    "echoed secret": (
        "a secret the caller sent in a header, repeated in the response, ends up where responses go"
        " (pages, logs, caches, browser history, Referer) although the caller never put it there (CWE-200)",
        "high",
        "the exact secret value interlock sent, which the request carried nowhere else",
    ),
    "file path": (
        "a path of the server's filesystem in a member the spec does not declare reveals its layout"
        " to any caller (CWE-209)",
        "medium",
        "a path to a source, config or package file outside any declared member; an API may still mean to"
        " return it",
    ),
}


@dataclass(frozen=True)
class Leak:
    """One leak: its cause, where it is ("body $.detail", "header Location") and the text matched."""

    cause: str
    where: str
    text: str
    #: The request header whose secret value was echoed ("echoed secret" only).
    header: str = ""


@dataclass(frozen=True)
class _Scanned:
    #: "header X" or "body"; a JSON body member is named by its path instead (see :attr:`where`).
    label: str
    text: str
    #: The JSON path of a body member; None for headers and non-JSON bodies.
    path: JsonPath | None = None
    member: bool = False

    @property
    def where(self) -> str:
        """Where in the response: "header Location", "body", "body $.detail" (built only for a leak)."""
        return f"body {_dotted(self.path or ())}" if self.member else self.label


def _scanned_strings(exchange: Exchange) -> Iterator[_Scanned]:
    """Every response string that may hold a leak: headers (not URL ones), then the body's strings.

    A JSON body is scanned member by member, so escaping hides nothing and each string has its
    path; an HTML body is scanned as the text a reader sees (tags, attributes and forms dropped).
    """
    for name, value in exchange.response_headers.items():
        if name.lower() not in _URL_HEADERS:
            yield _Scanned(f"header {name}", value)
    data = exchange.json()
    if data is not None:
        for path, text in _json_strings(data, ()):
            yield _Scanned("body", text, path, member=True)
    elif exchange.body:
        text = exchange.text
        yield _Scanned("body", html_text(text) if looks_like_html(exchange) else text, ())


def _json_strings(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _json_strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, (*path, index))


def _dotted(path: JsonPath) -> str:
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def looks_like_html(exchange: Exchange) -> bool:
    content_type = (exchange.header("Content-Type") or "").lower()
    return "html" in content_type or exchange.text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


_SCRIPT_OR_STYLE = re.compile(r"(?i)<(script|style)\b")
_CLOSING = {name: re.compile(rf"(?i)</{name}\s*>") for name in ("script", "style")}
_TAG = re.compile(r"<[^>]*>")


def html_text(markup: str) -> str:
    """The text an HTML page shows: no scripts, styles, tags or attributes (so no forms or links).

    Written as a loop rather than one ``<script.*?</script>`` expression, which rescans the rest
    of the page from every unclosed ``<script`` (quadratic; an error page can echo fuzzed input).
    The standard library's HTMLParser is no way out: it is quadratic on ``<a <a <a ...``.
    """
    kept: list[str] = []
    pos = 0
    unclosed: set[str] = set()
    while (opening := _SCRIPT_OR_STYLE.search(markup, pos)) is not None:
        name = opening.group(1).lower()
        closing = None if name in unclosed else _CLOSING[name].search(markup, opening.end())
        if closing is None:  # never closed: nothing of this kind is removed from here on
            unclosed.add(name)
            if len(unclosed) == len(_CLOSING):
                break
            kept.append(markup[pos : opening.end()])
            pos = opening.end()
            continue
        kept.append(markup[pos : opening.start()] + " ")
        pos = closing.end()
    kept.append(markup[pos:])
    text = "".join(kept)
    # Tags only up to the last ">": a "<" with no ">" after it would be rescanned to the end of
    # the page for each one (fuzzed "<<<<" echoed back); past the last ">" no tag can end anyway.
    end = text.rfind(">") + 1
    return html.unescape(_TAG.sub(" ", text[:end]) + text[end:])


_TRACE_MEMBER = re.compile(r"(?i)trace|stack|exception")


def _documented_member(exchange: Exchange, cause: str, path: JsonPath) -> bool:
    """Whether the response schema documents that this member may hold what ``cause`` found.

    A declared member is the API's contract: an admin answer's ``sys_executable`` is a path on
    purpose, a config answer's ``database_url`` a connection string. A stack trace is documented
    only by a declared member named for it (``traceback``, ``stack``): a generic ``detail`` or
    ``message`` string declares a message, and a trace in it is still a leak.
    """
    if not exchange.declares(path):
        return False
    if cause != "stack trace":
        return True
    return any(isinstance(step, str) and _TRACE_MEMBER.search(step) for step in path[-1:])


def _was_sent(text: str, sent: list[str]) -> bool:
    return any(text in value for value in sent if value)


def find_leaks(exchange: Exchange) -> list[Leak]:
    """Each leak in the response, at most one per cause (see the module's docstring)."""
    found: dict[str, Leak] = {}
    # One scan of each string for all the patterns at once: almost every string matches none,
    # and only those that do are searched cause by cause (and looked up in the schema).
    strings = [scanned for scanned in _scanned_strings(exchange) if _may_hold_leak(scanned.text)]
    for cause, patterns in LEAK_PATTERNS.items():
        for scanned in strings:
            match = next(
                (
                    m.group()
                    for pattern in patterns
                    for m in pattern.finditer(scanned.text)
                    if not _was_sent(m.group(), exchange.sent_values) and not exchange.documented(m.group())
                ),
                None,
            )
            if match is None:
                continue
            if scanned.path is not None and _documented_member(exchange, cause, scanned.path):
                continue
            found[cause] = Leak(cause, scanned.where, match)
            break
    echo = _echoed_secret(exchange)
    if echo is not None:
        found[echo.cause] = echo
    return list(found.values())


def _scoped(pattern: re.Pattern[str]) -> str:
    """``pattern`` as a group of an alternation, its global flags (``(?m)``, ``(?i)``) made local."""
    text = pattern.pattern
    flags = re.match(r"\(\?([aiLmsux]+)\)", text)
    if flags is None:
        return f"(?:{text})"
    return f"(?{flags.group(1)}:{text[flags.end() :]})"


#: Every leak pattern in one expression: a string it does not match holds no leak.
_ANY_LEAK = re.compile("|".join(_scoped(p) for patterns in LEAK_PATTERNS.values() for p in patterns))
#: Short strings whose answer is remembered (a list endpoint answers the same records again and
#: again); longer ones are rarer and would make the memory unbounded in practice.
_REMEMBERED_LENGTH = 256


@functools.lru_cache(maxsize=16384)
def _short_may_hold_leak(text: str) -> bool:
    return _ANY_LEAK.search(text) is not None


def _may_hold_leak(text: str) -> bool:
    """Whether any leak pattern matches ``text`` (about 40 µs for a 70-character string)."""
    if len(text) <= _REMEMBERED_LENGTH:
        return _short_may_hold_leak(text)
    return _ANY_LEAK.search(text) is not None


def _echoed_secret(exchange: Exchange) -> Leak | None:
    """A secret request header's value repeated in the body or a redirect's Location."""
    for name, value in exchange.request_headers.items():
        if not SECRET_HEADER.search(name):
            continue
        for secret in _secret_values(name, value):
            if len(secret) < MIN_SECRET_LEN or _was_sent(secret, exchange.sent_values):
                continue
            where = _where_echoed(exchange, name, secret)
            if where is not None:
                return Leak("echoed secret", where, f"the value of the request's {name} header", header=name)
    return None


def _secret_values(name: str, value: str) -> list[str]:
    """The secret part(s) of a header value: a token after its scheme, each cookie's value."""
    if name.lower() == "cookie":
        return [part.partition("=")[2].strip() for part in value.split(";") if "=" in part]
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() in ("bearer", "basic", "token", "digest", "apikey"):
        return [rest.strip()]
    return [value.strip()]


def _where_echoed(exchange: Exchange, header: str, secret: str) -> str | None:
    location = exchange.header("Location")
    if location and (secret in location or secret in unquote(location)):
        return "header Location"
    data = exchange.json()
    if data is None:
        return "body" if secret in exchange.text else None
    for path, text in _json_strings(data, ()):
        if secret not in text:
            continue
        if any(isinstance(step, str) and _labelled_secret(step, header) for step in path[-1:]):
            continue  # a member the API itself labels as the header or a token: echo or introspection
        return "body " + _dotted(path)
    return None


def _labelled_secret(key: str, header: str) -> bool:
    """Whether a JSON member's name says it holds the header or a secret (``Authorization``,
    ``token``, ``api_key``): a request-echo endpoint (httpbin's ``/headers``, ``/bearer``) or a
    token introspection answer shows it on purpose, to the caller that sent it."""
    return key.lower() == header.lower() or SECRET_HEADER.search(key) is not None


@fuzz_check("no_leakage", code="IL101")
def no_leakage(exchange: Exchange, _settings: object = None) -> None:
    leaks = find_leaks(exchange)
    if not leaks:
        return
    first = leaks[0]
    why, confidence, basis = _JUDGEMENT[first.cause]
    detail = "\n".join(f"{leak.cause} in {leak.where}: {_clip(leak.text)}" for leak in leaks)
    raise CheckFailed(
        f"response echoed {first.header.lower()} header"
        if first.header
        else f"response leaks a {first.cause}",
        f"{exchange.status} response to {exchange.operation}:\n{detail}",
        cause=first.cause,
        why=f"{why}; here: {first.cause} in the {first.where} of a {exchange.status} response",
        confidence=confidence,
        basis=basis,
    )


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
