"""Read what plain `st run` and `interlock fuzz` found into one comparable form.

A failure is keyed by (operation, code): "GET /permissions" and schemathesis' failure code
(ST101 ...) or interlock's own (IL101 ...). The code stands for the check: `st run`'s reports carry
codes, not check names, and each code is one failure class of one check (CHECKS below names it).

- `st run --report junit`: one testcase per operation (its name is the operation's label), each
  `<failure>` with `message="ST101, ST103"` and a text holding every failure's curl. Failures of
  the stateful phase are filed under the testcase "Stateful tests"; they are attributed here to the
  operation of the chain's last request (the one that failed), as interlock does.
- interlock's reports/<run>/verdict.json: findings of the fuzz stage. The operation and check come
  from the finding's structured fields when it has them, else from its `detail` lines
  (`operation: GET /x`, `check: name (CODE)`), else from its title (`GET /x: Server error`).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATEFUL_LABEL = "Stateful tests"

#: schemathesis 4.32's failure codes and the check that raises each (`st explain --list`).
CHECKS = {
    "ST101": "not_a_server_error",
    "ST102": "not_a_server_error",
    "ST103": "status_code_conformance",
    "ST104": "content_type_conformance",
    "ST105": "content_type_conformance",
    "ST106": "content_type_conformance",
    "ST107": "response_headers_conformance",
    "ST108": "response_schema_conformance",
    "ST109": "response_schema_conformance",
    "ST110": "response_schema_conformance",
    "ST111": "response_schema_conformance",
    "ST112": "max_response_time",
    "ST201": "negative_data_rejection",
    "ST202": "positive_data_acceptance",
    "ST203": "missing_required_header",
    "ST204": "unsupported_method",
    "ST205": "allow_header_conformance",
    "ST301": "use_after_free",
    "ST302": "ensure_resource_availability",
    "ST401": "ignored_auth",
    "ST402": "object_level_authorization",
}

#: schemathesis' failure titles, for a finding whose check line is unreadable (redacted).
_CODE_FOR_TITLE = {
    "Server error": "ST101",
    "Undocumented HTTP status code": "ST103",
    "Undocumented status code": "ST103",
    "Missing Content-Type header": "ST104",
    "Undocumented Content-Type": "ST105",
    "Malformed media type": "ST106",
    "Missing required headers": "ST107",
    "Missing required response headers": "ST107",
    "Response violates schema": "ST108",
    "JSON deserialization error": "ST109",
    "Content deserialization error": "ST110",
    "Unknown discriminator value": "ST111",
    "Response time limit exceeded": "ST112",
    "API accepted schema-violating request": "ST201",
    "Schema-violating request accepted": "ST201",
    "API rejected schema-compliant request": "ST202",
    "Schema-valid request rejected": "ST202",
    "Missing required header accepted": "ST203",
    "Unsupported methods": "ST204",
    "Wrong response to undeclared method": "ST204",
}

_CODE = re.compile(r"\b(ST\d{3}|IL\d{3})\b")
_ST_FAILURE_LINE = re.compile(r"^- (ST\d{3}) (.+)$", re.MULTILINE)
_DETAIL_LINE = re.compile(r"^(operation|check|cause):\s*(.*)$", re.MULTILINE)
_DELETED_WITH = re.compile(r"deleted with `([A-Z]+) ([^`]+)`")
_CREATED_WITH = re.compile(r"Created with\s*: `([^`]+)`")
_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")

Key = tuple[str, str]  # (operation, code)


def check_name(code: str) -> str:
    """The check a code stands for, as far as it is known."""
    return CHECKS.get(code, "")


@dataclass(frozen=True)
class Failure:
    """One failure as a tool reported it, reduced to what can be compared."""

    operation: str
    code: str
    check: str = ""
    title: str = ""
    #: Free text worth showing (an own-check finding's detail, a st failure's first lines).
    detail: str = ""
    #: interlock's cause line: what tells two findings of one check on one operation apart.
    cause: str = ""

    @property
    def key(self) -> Key:
        return (self.operation, self.code)

    @property
    def identity(self) -> tuple[str, str, str]:
        """One finding: interlock's own checks report one per cause; anything else one per key."""
        return (self.operation, self.code, self.cause if self.code.startswith("IL") else "")


@dataclass
class ToolRun:
    """What one tool found in one run: failures, run-level errors, and the operations it tested."""

    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)

    @property
    def keys(self) -> set[Key]:
        return {f.key for f in self.failures}


# --- st run: JUnit ------------------------------------------------------------------------------


def parse_st_junit(path: Path) -> ToolRun:
    """Failures and errors of one `st run --report junit` file."""
    root = ElementTree.parse(path).getroot()
    cases = list(root.iter("testcase"))
    operations = [c.get("name", "") for c in cases if c.get("name") != STATEFUL_LABEL]
    run = ToolRun(operations=operations)
    found: list[tuple[str, str, str, str]] = []  # (testcase, code, title, failure text)
    for case in cases:
        label = case.get("name", "")
        for element in case:
            text = element.text or ""
            if element.tag == "error":
                run.errors.append(f"{label}: {_first_lines(text, 3)}")
            if element.tag != "failure":
                continue
            for block in _failure_blocks(text):
                titles = dict(_ST_FAILURE_LINE.findall(block))
                codes = titles or dict.fromkeys(_CODE.findall(element.get("message", "")), "")
                found += [(label, code, title.strip(), block) for code, title in codes.items()]
    base_path = learn_base_path([(label, block) for label, _, _, block in found if label != STATEFUL_LABEL])
    for label, code, title, block in found:
        operation = normalise_operation(label)
        if label == STATEFUL_LABEL:
            operation = stateful_operation(block, operations, code, base_path) or STATEFUL_LABEL
        run.failures.append(Failure(operation, code, check_name(code), title, block.strip()))
    run.failures = _unique(run.failures)
    return run


def learn_base_path(failures: list[tuple[str, str]]) -> str | None:
    """The prefix the API's paths are served under, from failures whose operation is known.

    Each (operation, failure text) pair's last curl is a request to that operation; what its path
    has before the operation's path is the base path (/v1 for kinto). The most common answer wins;
    None when no failure tells.
    """
    counts: dict[str, int] = {}
    for label, block in failures:
        curls = _curls(block)
        template = label.partition(" ")[2]
        if not curls or not template.startswith("/"):
            continue
        _, url = _curl_target(curls[-1])
        found = re.fullmatch(r"(/[^?]*?)?" + _template_pattern(template) + "/?", _url_path(url))
        if found:
            base = found.group(1) or ""
            counts[base] = counts.get(base, 0) + 1
    return max(counts, key=lambda base: counts[base]) if counts else None


def _failure_blocks(text: str) -> list[str]:
    """The numbered failures of one `<failure>` text ("1. Test Case ID: ..." each)."""
    parts = re.split(r"^(?=\d+\. Test Case ID:)", text, flags=re.MULTILINE)
    return [p for p in parts if p.strip()] or [text]


def stateful_operation(
    block: str, operations: list[str], code: str = "", base_path: str | None = None
) -> str | None:
    """The operation schemathesis files a stateful failure under, if one matches.

    As schemathesis' own failure objects (which interlock reports) have it: a deleted resource
    still served (ST301) is the DELETE's failure, a created one not found (ST302) the creating
    operation's; any other is the failure of the chain's last request.
    """
    if code == "ST301" and (deleted := _DELETED_WITH.search(block)):
        return match_operation(deleted.group(1), (base_path or "") + deleted.group(2), operations, base_path)
    if code == "ST302" and (created := _CREATED_WITH.search(block)):
        return normalise_operation(created.group(1))
    curls = _curls(block)
    if not curls:
        return None
    method, url = _curl_target(curls[-1])
    if not method or not url:
        return None
    return match_operation(method, url, operations, base_path)


def _curls(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip().startswith("curl ")]


def _curl_target(curl: str) -> tuple[str, str]:
    """(method, URL) of a curl command as schemathesis prints it.

    Not shlex: a header may be quoted the bash way ($'...\\t...'), which shlex cannot read; the URL is
    percent-encoded, so it is one word, bare or in single quotes, and the last one in the command.
    """
    method = re.search(r"(?:^|\s)-X\s+([A-Za-z]+)", curl)
    urls = re.findall(r"(?:^|\s)'?(https?://[^\s']+)", curl)
    return (method.group(1).upper() if method else "GET"), (urls[-1] if urls else "")


def match_operation(method: str, url: str, operations: list[str], base_path: str | None = None) -> str | None:
    """The operation label ("GET /buckets/{id}") that ``method`` and ``url`` fall under.

    With ``base_path`` (/v1) the URL's path must be it plus an operation's path; without, any
    prefix is allowed. Of several templates that match, the one with the most literal characters
    wins (/buckets/{id} over /{a}/{b}).
    """
    path = _url_path(url)
    prefix = re.escape(base_path) if base_path is not None else r"(?:/[^?]*?)?"
    best: tuple[int, str] | None = None
    for label in operations:
        op_method, _, template = label.partition(" ")
        if op_method.upper() != method.upper() or not template.startswith("/"):
            continue
        if re.fullmatch(prefix + _template_pattern(template) + "/?", path):
            literal = len(re.sub(r"\{[^/]*?\}", "", template))
            if best is None or literal > best[0]:
                best = (literal, label)
    return best[1] if best else None


def _template_pattern(template: str) -> str:
    """/buckets/{id} -> a regex for /buckets/<one segment>."""
    return re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(template.rstrip("/") or "/"))


def _url_path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0].split("#", 1)[0] or "/"


# --- interlock: verdict.json ----------------------------------------------------------------------


def parse_interlock_verdict(path: Path, stage: str = "fuzz") -> ToolRun:
    """Failures and errors of one interlock run's verdict.json (its fuzz stage by default).

    A provider fuzzed for several integrations is reported once per integration: each failure is
    counted once.
    """
    verdict = json.loads(path.read_text())
    run = ToolRun()
    if verdict.get("error"):
        run.errors.append(f"run: {verdict['error']}")
    for integration in verdict.get("integrations", []):
        for stage_result in integration.get("stages", []):
            if stage_result.get("stage") != stage:
                continue
            if stage_result.get("error"):
                run.errors.append(f"{integration.get('integration')}: {stage_result['error']}")
            for check in stage_result.get("checks", []):
                operation = _operation_of_check(check.get("name", ""))
                if operation:
                    run.operations.append(operation)
                for finding in check.get("findings", []):
                    failure = finding_failure(finding, operation)
                    if failure is None:
                        run.errors.append(f"{check.get('name')}: {finding.get('title', '')}")
                    else:
                        run.failures.append(failure)
    run.operations = list(dict.fromkeys(run.operations))
    run.failures = _unique(run.failures)
    return run


def _operation_of_check(name: str) -> str:
    """A fuzz check is named "<provider> <METHOD> <path>"; "" for the run's own check."""
    parts = name.split(" ", 1)
    candidate = parts[1] if len(parts) == 2 else ""
    return normalise_operation(candidate) if candidate.split(" ", 1)[0] in _METHODS else ""


def finding_failure(finding: dict[str, Any], check_operation: str) -> Failure | None:
    """One fuzz finding as a Failure; None when it names no check (a run error)."""
    detail = str(finding.get("detail") or "")
    title = str(finding.get("title") or "")
    lines = dict(_DETAIL_LINE.findall(detail))
    operation = _structured_operation(finding) or lines.get("operation", "").strip() or check_operation
    operation = operation or title.split(": ", 1)[0]
    name, code = _structured_check(finding)
    if not code and "check" in lines:
        found = re.match(r"(\S+)(?:\s+\((\w+)\))?", lines["check"].strip())
        if found:
            name = name or found.group(1)
            code = found.group(2) or ""
    bare_title = title.split(": ", 1)[1] if ": " in title else title
    bare_title = bare_title.removesuffix(" (known)")
    code = code or _CODE_FOR_TITLE.get(bare_title, "")
    if not code or operation.split(" ", 1)[0] not in _METHODS:
        return None
    if name.startswith("[") or not name:  # a redacted check line
        name = check_name(code)
    cause = lines.get("cause", "").strip()
    return Failure(normalise_operation(operation), code, name, bare_title, detail, cause)


def _structured_operation(finding: dict[str, Any]) -> str:
    value = finding.get("operation")
    if isinstance(value, dict):
        method, path = value.get("method", ""), value.get("path", "")
        return f"{method} {path}".strip()
    return str(value or "")


def _structured_check(finding: dict[str, Any]) -> tuple[str, str]:
    """(name, code) from structured fields: `check: {name, id|code}` or `check`/`check_id`/`code`."""
    value = finding.get("check")
    if isinstance(value, dict):
        return str(value.get("name") or ""), str(value.get("id") or value.get("code") or "")
    code = finding.get("check_id") or finding.get("code") or ""
    return str(value or ""), str(code)


# --- shared --------------------------------------------------------------------------------------


def normalise_operation(label: str) -> str:
    """ "get  /x/" and "GET /x" are one operation."""
    method, _, path = label.strip().partition(" ")
    path = path.strip()
    if len(path) > 1:
        path = path.rstrip("/")
    return f"{method.upper()} {path}" if path else method


def _unique(failures: list[Failure]) -> list[Failure]:
    """The first failure of each identity, in order (a provider reported for two integrations once)."""
    seen: dict[tuple[str, str, str], Failure] = {}
    for failure in failures:
        seen.setdefault(failure.identity, failure)
    return list(seen.values())


def _first_lines(text: str, count: int) -> str:
    return "\n".join(line for line in text.strip().splitlines()[:count])
