"""The ONE module that touches schemathesis (4.32): config, schema loading, hooks, checks, events.

Everything interlock relies on from schemathesis passes through here, so an upgrade that moves
something breaks this module and its pinning tests (``tests/stages/fuzz/test_engine.py``), nothing else:

* configuration through ``schemathesis.Config.from_dict`` (the CLI's own config keys);
* loading with ``schemathesis.openapi.from_url`` / ``from_path``, filtering with ``include`` /
  ``exclude``;
* the engine's event stream (``schemathesis.engine.from_schema(schema).execute()``), which is
  undocumented but is what ``st run`` itself consumes: ``ScenarioFinished`` carries a recorder
  whose check nodes hold the failure, its curl (``code_sample``) and, for stateful chains, one
  curl per step; ``NonFatalError`` / ``FatalError`` carry problems, sorted by the error's kind
  into problems of one operation (warnings and coverage gaps), the provider's failures and the
  run's errors; ``ScenarioFinished`` / ``PhaseFinished`` also say what was covered
  (:mod:`interlock.stages.fuzz.coverage`);
* ``schemathesis.check`` to register interlock's checks, and a schema-level ``before_call`` hook.

Why the engine and not the ``st`` CLI: the CLI's JSON report has codes and counts only (curls are
in JUnit text), its reports cannot carry interlock's causes, and its hypothesis settings ignore
profiles. The engine gives every failure as an object.
"""

from __future__ import annotations

import base64
import gc
import importlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from interlock.core.base_path import join_base_path
from interlock.core.verdict import BODY_EXCERPT_CHARS, REQUEST_BODY_CHARS, RecordedRequest, RecordedResponse
from interlock.openapi.document import declared_base_path
from interlock.stages.fuzz.checks import (
    CHECKS,
    CheckFailed,
    Exchange,
    FuzzCheck,
    Judgement,
    LateFailure,
    ReplayTooSlow,
    RunInfo,
)
from interlock.stages.fuzz.checks.exchange import spec_text
from interlock.stages.fuzz.checks.idempotency import IdempotencySettings
from interlock.stages.fuzz.checks.registry import registered_for
from interlock.stages.fuzz.coverage import STATEFUL, CoverageTracker
from interlock.stages.fuzz.job import FuzzJob, FuzzOutcome, OperationStats, RawFailure

#: The code of an ``extra_checks`` function that is not a registered check.
EXTRA_CHECK_CODE = "IL900"
#: Samples kept per operation for the report: enough for p(99) without growing without bound.
MAX_SAMPLES = 5000
_OPERATION = re.compile(r"^\s*([A-Za-z]+)\s+(/\S*)\s*$")


@dataclass
class ActiveCheck:
    """A check in this run, with the state its ``start`` built from the job's settings."""

    check: FuzzCheck
    state: Any = None


@dataclass
class RunState:
    """What interlock's checks share during one run (one run per worker process)."""

    #: Check name -> the check and its state, in run order (registered checks, then extra ones).
    checks: dict[str, ActiveCheck] = field(default_factory=dict)
    timeout_s: float = 10.0
    #: Response times in ms per operation (bounded), for the outcome's statistics.
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: Responses per operation (not bounded): what the coverage report counts.
    requests: dict[str, int] = field(default_factory=dict)
    #: Reproductions that differ from the failing case's own curl, by case id.
    reproductions: dict[str, list[str]] = field(default_factory=dict)
    #: Verdicts already given per request fingerprint, so shrinking sees the same answer again.
    verdicts: dict[tuple[str, str], CheckFailed | None] = field(default_factory=dict)
    #: Why and how sure, per (case id, check name) that failed.
    judgements: dict[tuple[str, str], Judgement] = field(default_factory=dict)
    #: The spec's own text (for Exchange.documented), built once per run.
    documentation: str = ""
    #: The last response and its Exchange: every interlock check judges the same response in
    #: turn, so it is adapted once (the response is held so its id cannot be reused meanwhile).
    last_exchange: tuple[Any, Any, Exchange] | None = None
    #: How long a check's resend may take, body included, before it is abandoned (ReplayTooSlow):
    #: a dripped or streamed answer would otherwise cost its whole duration again per replay.
    replay_deadline_s: float = 10.0
    #: When each worker thread's current call was sent: (case id, perf_counter), set by a
    #: ``before_call`` hook, so a check knows how long the whole call took, body included.
    call_started: threading.local = field(default_factory=threading.local)


_STATE = RunState()
_REGISTERED: set[str] = set()
#: The schemathesis check that records every response's time for the outcome's statistics.
_STATS_CHECK = "interlock_response_times"
_STATS_LOCK = threading.Lock()


# --- configuration -------------------------------------------------------------------------------


def schemathesis_config(job: FuzzJob) -> dict[str, Any]:
    """The run's settings in schemathesis' own config language (as in schemathesis.toml).

    Settings a job leaves at their defaults are left out, so schemathesis' own defaults apply and a
    run behaves as ``st run`` with the same options would (redirects above all: see ``max-redirects``).
    """
    checks: dict[str, Any] = {name: {"enabled": False} for name in job.disabled_checks}
    config: dict[str, Any] = {
        "seed": job.seed,
        "workers": job.workers,
        "request-timeout": job.request_timeout_s,
        "tls-verify": job.tls_verify,
        "base-url": job.base_url,
        "headers": dict(job.headers),
        # Reproductions must work as printed; interlock redacts secrets itself, in every report.
        "output": {"sanitization": {"enabled": False}},
        "generation": {
            "max-examples": job.max_examples,
            "database": job.database or "none",
            "deterministic": job.deterministic,
        },
        "phases": {
            name: {"enabled": name in job.phases} for name in ("examples", "coverage", "fuzzing", "stateful")
        },
        "checks": checks,
        "warnings": False,
    }
    if job.max_redirects is not None:
        config["max-redirects"] = job.max_redirects
    return config


def split_operation(text: str) -> tuple[str, str]:
    """``"POST /payments"`` -> ("POST", "/payments"); ValueError otherwise."""
    match = _OPERATION.match(text)
    if not match:
        raise ValueError(f"an operation is 'METHOD /path', e.g. 'POST /payments', not {text!r}")
    return match.group(1).upper(), match.group(2)


def builtin_check_names() -> list[str]:
    """schemathesis' built-in checks (all of them run unless a suite disables some)."""
    from schemathesis.config._checks import _BUILTIN_CHECK_NAMES

    return sorted(_BUILTIN_CHECK_NAMES)


def load_schema(job: FuzzJob) -> Any:
    import schemathesis

    schema: Any  # include/exclude return schemathesis' BaseSchema, the loaders its OpenApiSchema
    config = schemathesis.Config.from_dict(schemathesis_config(job))
    if job.spec.startswith(("http://", "https://")):
        schema = schemathesis.openapi.from_url(
            job.spec,
            config=config,
            timeout=job.request_timeout_s,
            headers=dict(job.headers),
            verify=job.tls_verify,
        )
    else:
        schema = schemathesis.openapi.from_path(job.spec, config=config)
    schema.config.base_url = api_url(job, schema.raw_schema)
    for text in job.include:
        method, path = split_operation(text) if " " in text.strip() else (None, text)
        schema = schema.include(method=method, path=path) if method else schema.include(path=path)
    for text in job.exclude:
        method, path = split_operation(text) if " " in text.strip() else (None, text)
        schema = schema.exclude(method=method, path=path) if method else schema.exclude(path=path)
    return schema


def _operations(schema: Any) -> Iterator[Any]:
    """The operations the (filtered) schema will test (see :func:`unparsable_operations` for the rest)."""
    from schemathesis.core.result import Ok

    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            yield result.ok()


def unparsable_operations(schema: Any) -> dict[str, list[str]]:
    """Operations (or whole paths) schemathesis cannot parse, by label, with the problem in one line.

    schemathesis tests the others and reports these as errors, as ``st run`` does; interlock lists
    each on its own operation instead of dropping it silently.
    """
    from schemathesis.core.result import Err

    problems: dict[str, list[str]] = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            error = result.err()
            line = _problem_line("Schema Error", str(getattr(error, "message", error)))
            problems.setdefault(str(getattr(error, "label", "-")), []).append(line)
    return problems


def operation_labels(schema: Any) -> list[str]:
    """Labels ("POST /payments") of the operations the schema will test."""
    return [operation.label for operation in _operations(schema)]


def keyed_operations(schema: Any, header: str) -> list[str]:
    """Operations whose spec declares the idempotency header as a header parameter."""
    return [
        operation.label
        for operation in _operations(schema)
        if header.lower() in (p.name.lower() for p in operation.headers)
    ]


# --- hooks ---------------------------------------------------------------------------------------


def _unique_idempotency_keys(header: str) -> Callable[..., None]:
    """A ``before_call`` hook: give each generated request its own idempotency key.

    Hypothesis draws short strings ("0", "00") again and again, so two different generated
    writes share a key and a correct provider answers the second with 422 "key reused for a
    different request", which positive_data_acceptance reports as a rejected valid request.
    Real clients use one key per logical request; reuse is tested on purpose by the
    idempotency check. Only keys that are valid by length are replaced, and by a key of a
    valid length, so negative tests still send their invalid keys.
    """
    lowered = header.lower()

    def before_call(context: Any, case: Any, kwargs: Any) -> None:
        headers = case.headers
        if not headers:
            return
        name = next((k for k in headers if k.lower() == lowered), None)
        value = headers.get(name) if name else None
        if not isinstance(value, str) or not 1 <= len(value) <= 255:
            return
        token = uuid.uuid4().hex  # 32 unique characters; 16 are plenty
        headers[name] = (token * 8)[: len(value)] if len(value) >= 16 else token[:16]

    return before_call


def _stamp_call(context: Any, case: Any, kwargs: Any) -> None:
    """A ``before_call`` hook: when this thread sent the case's request (see ``Exchange.total_ms``).

    schemathesis times a response until its head (``response.elapsed``); the body of a streamed
    or dripped answer may take seconds more, which a check that replays the request must know.
    """
    _STATE.call_started.sent = (case.id, time.perf_counter())


def _accept_statuses(accepted: Mapping[str, list[int]]) -> Callable[..., bool]:
    """A ``filter_failure`` hook: a suite's accepted statuses are valid answers to valid data.

    (schemathesis' per-operation check settings would do this too, but an ``operations`` entry in
    its config also acts as an operation filter and overrides the suite's include/exclude.)
    """

    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        statuses = accepted.get(case.operation.label)
        if not statuses or type(failure).__name__ != "RejectedPositiveData":
            return True
        return response.status_code not in statuses

    return filter_failure


# --- interlock's checks as schemathesis checks ---------------------------------------------------


def _register_checks(names: list[str]) -> None:
    """Register each interlock check with schemathesis once per process (the registry is global)."""
    import schemathesis

    for name in names:
        if name in _REGISTERED:
            continue

        def check(ctx: Any, response: Any, case: Any, _name: str = name) -> None:
            _run_interlock_check(_name, response, case)

        check.__name__ = name
        check.__qualname__ = name
        schemathesis.check(check)
        _REGISTERED.add(name)


def _register_response_times() -> None:
    """A schemathesis check that never fails: it records each response time for the statistics."""
    import schemathesis

    if _STATS_CHECK in _REGISTERED:
        return

    def check(ctx: Any, response: Any, case: Any) -> None:
        label = case.operation.label
        with _STATS_LOCK:  # several workers may answer at once
            _STATE.requests[label] = _STATE.requests.get(label, 0) + 1
            samples = _STATE.samples.setdefault(label, [])
            if len(samples) < MAX_SAMPLES:
                samples.append(response.elapsed * 1000)

    check.__name__ = check.__qualname__ = _STATS_CHECK
    schemathesis.check(check)
    _REGISTERED.add(_STATS_CHECK)


def _run_interlock_check(name: str, response: Any, case: Any) -> None:
    active = _STATE.checks[name]
    exchange = _exchange_for(response, case)
    fingerprint = (name, _request_fingerprint(exchange)) if active.check.remember_verdicts else None
    if fingerprint is not None and fingerprint in _STATE.verdicts:
        cached = _STATE.verdicts[fingerprint]
        if cached is not None:
            _STATE.reproductions[case.id] = cached.curls or []
            _STATE.judgements[(case.id, name)] = cached.judgement
            raise AssertionError(_assertion_text(cached))  # the same cause: one finding, not two
        return None
    try:
        active.check.function(exchange, active.state)
    except CheckFailed as failed:
        if fingerprint is not None:
            _STATE.verdicts[fingerprint] = failed
        if failed.curls:
            _STATE.reproductions[case.id] = failed.curls
        _STATE.judgements[(case.id, name)] = failed.judgement
        raise AssertionError(_assertion_text(failed)) from None
    if fingerprint is not None:
        _STATE.verdicts[fingerprint] = None
    return None


def _assertion_text(failed: CheckFailed) -> str:
    """The first line is the failure's title; the cause goes last, where _raw_failure finds it."""
    return f"{failed.title}\n{failed.message}\ncause: {failed.cause}"


def _read_body(answer: Any, deadline: float) -> bytes:
    """The body of a streamed resend, or ReplayTooSlow once ``deadline`` (perf_counter) passes."""
    chunks = []
    try:
        for chunk in answer.iter_content(chunk_size=65536):
            chunks.append(chunk)
            if time.perf_counter() > deadline:
                raise ReplayTooSlow(f"the replay took longer than {_STATE.replay_deadline_s:g}s")
    finally:
        answer.close()
    return b"".join(chunks)


def _exchange_for(response: Any, case: Any) -> Exchange:
    """The Exchange of ``response``, built once for all of interlock's checks that judge it."""
    last = _STATE.last_exchange
    if last is not None and last[0] is response and last[1] is case:
        return last[2]
    exchange = exchange_from(response, case)
    _STATE.last_exchange = (response, case, exchange)
    return exchange


def _request_fingerprint(exchange: Exchange) -> str:
    return f"{exchange.method} {exchange.url}\n{(exchange.request_body or b'').decode('utf-8', 'replace')}"


def exchange_from(response: Any, case: Any) -> Exchange:
    """The schemathesis response (and the case behind it) as an interlock Exchange."""
    prepared = response.request
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    request_headers = dict(prepared.headers.items())
    response_headers = {
        k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in response.headers.items()
    }
    generated = dict(case.headers or {})

    def resend(overrides: Mapping[str, str]) -> Exchange:
        import requests

        again = prepared.copy()
        for key, value in overrides.items():
            again.headers[key] = value
        with requests.Session() as session:
            started = time.perf_counter()
            answer = session.send(again, timeout=_STATE.timeout_s, allow_redirects=False, stream=True)
            content = _read_body(answer, started + _STATE.replay_deadline_s)
            elapsed = (time.perf_counter() - started) * 1000
        sent = dict(again.headers)
        return Exchange(
            operation=case.operation.label,
            method=again.method or "",
            url=again.url or "",
            request_headers=sent,
            request_body=body,
            status=answer.status_code,
            response_headers=dict(answer.headers),
            body=content,
            elapsed_ms=elapsed,
            sent_values=sent_values(case, body, sent),
            resend=resend,
            curl=lambda o: curl(again, o, generated),
            response_schema=_response_schema(case, answer.status_code, answer.headers.get("Content-Type")),
            documentation=_STATE.documentation,
        )

    return Exchange(
        operation=case.operation.label,
        method=prepared.method or "",
        url=prepared.url or "",
        request_headers=request_headers,
        request_body=body,
        status=response.status_code,
        response_headers=response_headers,
        body=response.content or b"",
        elapsed_ms=response.elapsed * 1000,
        total_ms=_call_duration_ms(case),
        sent_values=sent_values(case, body, request_headers),
        positive=_is_positive(case),
        resend=resend,
        curl=lambda overrides: curl(prepared, overrides, generated),
        response_schema=_response_schema(case, response.status_code, response.headers.get("Content-Type")),
        documentation=_STATE.documentation,
    )


def _call_duration_ms(case: Any) -> float | None:
    """Milliseconds since this thread sent ``case``'s request (its checks run once it was read)."""
    sent: tuple[str, float] | None = getattr(_STATE.call_started, "sent", None)
    if sent is None or sent[0] != case.id:
        return None
    return (time.perf_counter() - sent[1]) * 1000


def _response_schema(case: Any, status: int, content_type: Any) -> Any:
    """The JSON schema the spec declares for this status and media type (refs bundled inside), or None."""
    media_type = content_type[0] if isinstance(content_type, list) and content_type else content_type
    try:
        definition = case.operation.responses.find_by_status_code(status)
        return None if definition is None else definition.get_schema(media_type or None).schema
    except Exception:  # an unusable response definition declares nothing
        return None


def _is_positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return str(getattr(mode, "value", mode or "positive")) == "positive"


def sent_values(case: Any, body: bytes | None, headers: Mapping[str, str]) -> list[str]:
    """Every string the request carried, for the leak check's "you sent it yourself" rule."""
    from interlock.stages.fuzz.checks.leakage import SECRET_HEADER

    values: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                values.append(str(key))
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif value is not None:
            values.append(str(value))

    for container in (case.path_parameters, case.query, case.cookies, case.body):
        walk(container)
    walk([v for k, v in headers.items() if not SECRET_HEADER.search(k)])
    if body:
        values.append(body.decode("utf-8", errors="replace"))
    return values


def curl(prepared: Any, overrides: Mapping[str, str], generated: Mapping[str, Any]) -> str:
    """A curl command for a prepared request, with ``overrides`` applied to its headers."""
    from schemathesis.core import curl as st_curl

    headers = {**dict(prepared.headers), **overrides}
    command = st_curl.generate(
        method=prepared.method,
        url=prepared.url,
        body=prepared.body,
        verify=True,
        headers=headers,
        known_generated_headers={**generated, **overrides},
    )
    return command.command


def _load_extra_checks(specs: list[str]) -> list[FuzzCheck]:
    """Suite-declared checks, ``module:function``; each is called like interlock's own.

    Importing the module registers any check it declares with ``@fuzz_check`` (with its code and
    settings); a plain function is a check named after it, with no settings.
    """
    loaded = []
    for spec in specs:
        module_name, _, attribute = spec.partition(":")
        function = getattr(importlib.import_module(module_name), attribute)
        loaded.append(registered_for(function) or FuzzCheck(attribute, EXTRA_CHECK_CODE, function))
    return loaded


def _run_state(job: FuzzJob, schema: Any) -> RunState:
    """Each enabled check with the state its ``start`` built from the job's settings."""
    headers: dict[str, set[str]] = {}

    def declaring(header: str) -> set[str]:
        if header not in headers:
            headers[header] = set(keyed_operations(schema, header))
        return headers[header]

    run_info = RunInfo(operations_declaring_header=declaring, request_timeout_s=job.request_timeout_s)
    extra = _load_extra_checks(job.extra_checks)
    chosen = [
        *(c for c in CHECKS.values() if c.name not in job.disabled_interlock_checks),
        *(c for c in extra if c.name not in job.disabled_interlock_checks),
    ]
    return RunState(
        checks={
            c.name: ActiveCheck(c, c.state_for(job.check_settings.get(c.name), run_info)) for c in chosen
        },
        timeout_s=job.request_timeout_s,
        documentation=spec_text(getattr(schema, "raw_schema", None)),
    )


def _late_failure(check: FuzzCheck, late: LateFailure) -> RawFailure:
    return RawFailure(
        operation=late.operation,
        check=check.name,
        code=check.code,
        title=late.title,
        message=late.message,
        signature=late.cause,
        curls=late.curls,
        why=late.judgement.why,
        confidence=late.judgement.confidence_text,
    )


def api_url(job: FuzzJob, raw_schema: Any) -> str:
    """Where the operations are sent: the base URL plus the job's base path, or the spec's own.

    schemathesis takes the base path from the base URL it is given, so the spec's ``servers`` /
    ``basePath`` must be added here or it is lost and every request misses the API.
    """
    base_path = job.base_path if job.base_path is not None else declared_base_path(raw_schema)
    return join_base_path(job.base_url, base_path)


# --- running -------------------------------------------------------------------------------------


def warm_up() -> None:
    """Import what a run loads lazily (the loaders, the engine, hypothesis): a prestarted worker
    does this while the services start (see :func:`interlock.core.worker.prestart`)."""
    for module in (
        "schemathesis.openapi",
        "schemathesis.specs.openapi.schemas",
        "schemathesis.engine",
        "schemathesis.engine.core",
        "schemathesis.engine.events",
        "hypothesis",
    ):
        importlib.import_module(module)


def run(job: FuzzJob, on_progress: Callable[[str], None] = lambda _m: None) -> FuzzOutcome:
    """Fuzz one provider; every failure, problem and coverage gap is in the returned outcome."""
    import hypothesis
    from schemathesis.core.errors import IncorrectUsage, LoaderError
    from schemathesis.engine import from_schema

    global _STATE
    # The `CI` variable makes hypothesis load its `ci` profile; interlock's profiles decide instead.
    hypothesis.settings.load_profile("default")
    started = time.monotonic()
    outcome = FuzzOutcome(provider=job.provider, seed=job.seed, time_budget_s=job.time_budget_s)
    try:
        schema = load_schema(job)
    except (LoaderError, OSError, ValueError, IncorrectUsage) as exc:
        outcome.fatal = f"cannot load the OpenAPI spec {job.spec}: {_one_line(exc)}"
        return outcome
    outcome.spec_base_path = declared_base_path(schema.raw_schema)
    outcome.api_url = schema.config.base_url
    _STATE = _run_state(job, schema)
    _register_response_times()
    _register_checks(list(_STATE.checks))
    # before_call hooks are global-only in schemathesis; the worker runs one provider per process.
    from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

    idempotency = IdempotencySettings.model_validate(job.check_settings.get("idempotency", {}))
    idempotency_header = idempotency.header
    _STATE.replay_deadline_s = min(job.request_timeout_s, 2 * max(idempotency.max_elapsed, 0.1))
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(
        _unique_idempotency_keys(idempotency_header), "before_call"
    )
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(_stamp_call, "before_call")
    if job.accepted_statuses:
        GLOBAL_HOOK_DISPATCHER.register_hook_with_name(
            _accept_statuses(job.accepted_statuses), "filter_failure"
        )
    labels = operation_labels(schema)
    tracker = CoverageTracker()
    for label, problems in unparsable_operations(schema).items():
        for line in problems:
            tracker.problem(label, line)
    if not labels:
        broken = f": {len(tracker.problems)} have problems in the spec" if tracker.problems else ""
        outcome.fatal = f"no operations to fuzz (the spec has none, or the suite excludes them all{broken})"
        return outcome
    on_progress(f"{len(labels)} operations: {', '.join(labels)}")

    seen: dict[tuple[str, str, str], RawFailure] = {}
    # The modules, the schema and what loading it built live as long as the run: out of the
    # collector's way, so its full collections only walk what the run creates (kinto: the
    # worker's collection time 3.1 s -> 2.3 s of ~33 s; measured with gc.callbacks).
    gc.freeze()
    stream = from_schema(schema).execute()
    # Checked between events, so the scenario in progress finishes and keeps what it found (a
    # stop inside a scenario loses its failures); the overrun is at most one operation's scenario.
    deadline = started + job.time_budget_s
    expired = False
    for event in stream:
        if not expired and time.monotonic() > deadline:
            stream.stop()
            expired = True
        _consume(event, outcome, tracker, seen, on_progress)
    stopped = expired and outcome.stop_reason != "completed"
    if stopped:
        outcome.budget_exhausted = True
        outcome.notes.append(f"the time budget of {job.time_budget_s:g}s ended the run")
    for active in _STATE.checks.values():
        if active.check.finish is None:
            continue
        for late in active.check.finish(active.state):
            failure = _late_failure(active.check, late)
            seen.setdefault((failure.operation, failure.check, failure.signature), failure)
    outcome.failures = list(seen.values())
    outcome.operations = {
        op: OperationStats(
            requests=_STATE.requests.get(op, 0), samples_ms=[round(s, 2) for s in samples[:2000]]
        )
        for op, samples in _STATE.samples.items()
    }
    tracker.apply(outcome, labels, job.phases, stopped=stopped)
    outcome.duration_s = round(time.monotonic() - started, 3)
    return outcome


def _consume(
    event: Any,
    outcome: FuzzOutcome,
    tracker: CoverageTracker,
    seen: dict[tuple[str, str, str], RawFailure],
    on_progress: Callable[[str], None],
) -> None:
    """Fold one engine event into the outcome: failures, coverage, problems, how the run ended."""
    from schemathesis.engine import events

    if isinstance(event, events.ScenarioFinished):
        phase = _value(event.phase)
        for failure in failures_of(event.recorder, phase):
            seen.setdefault((failure.operation, failure.check, failure.signature), failure)
        if phase == STATEFUL:
            tracker.stateful_reached(_operations_in(event.recorder))
        else:
            tracker.scenario_finished(phase, event.label, _value(event.status))
    elif isinstance(event, events.PhaseFinished):
        phase, status = _value(event.phase.name), _value(event.status)
        tracker.phase_finished(phase, status, _value(event.phase.skip_reason) or None)
        on_progress(f"phase {phase} {status}")
    elif isinstance(event, events.NonFatalError):
        _non_fatal(event, outcome, tracker)
    elif isinstance(event, events.FatalError):
        outcome.fatal = f"schemathesis failed: {_one_line(event.exception)}"
    elif isinstance(event, events.EngineFinished):
        outcome.stop_reason = _value(event.stop_reason)


#: schemathesis' error kinds that mean "this cannot be tested (fully)": the spec is broken or asks
#: for data that cannot be generated. Coverage gaps, reported as warnings (``st run`` lists them as
#: errors beside its failures and tests the rest).
_PROBLEM_KINDS = ("schema_", "serialization_", "hypothesis_")
#: Kinds that are the provider's doing (a connection dropped, no answer within the request
#: timeout): on an operation they fail it, as ``st run`` exits 1 for them.
_PROVIDER_KINDS = ("connection_", "network_")
_LABEL = re.compile(r"^(?:[A-Z]+ )?/")


def _non_fatal(event: Any, outcome: FuzzOutcome, tracker: CoverageTracker) -> None:
    """Sort a schemathesis error: a problem of one operation, the provider's failure, or the run's.

    Everything else (the server unavailable, authentication or configuration errors, a hook or an
    interpreter error) means the run could not do its job: a run error (the stage errors, exit 3).
    """
    info = event.info
    kind = _value(info._kind)
    line = _problem_line(str(info.title), str(info.message))
    leaves = _leaf_errors(event.value)
    if len(leaves) > 1 or leaves[0] is not event.value:
        # hypothesis groups the errors of several steps (a stateful sequence reaching broken
        # operations): the group is what its members are when they are all of one sort
        from schemathesis.engine.errors import EngineErrorInfo

        infos = [EngineErrorInfo(error=leaf) for leaf in leaves if isinstance(leaf, Exception)]
        kinds = {_value(i._kind) for i in infos}
        if len(infos) == len(leaves) and all(k.startswith(_PROBLEM_KINDS) for k in kinds):
            kind = next(iter(kinds))
            line = "; ".join(dict.fromkeys(_problem_line(str(i.title), str(i.message)) for i in infos))
    label = str(event.label)
    on_operation = event.related_to_operation or bool(_LABEL.match(label))
    if kind.startswith(_PROBLEM_KINDS):
        if on_operation:
            tracker.problem(label, line)
        elif f"{label}: {line}" not in outcome.problems:
            outcome.problems.append(f"{label}: {line}")
    elif kind.startswith(_PROVIDER_KINDS) and on_operation:
        tracker.error(label, line)
    elif f"{label}: {line}" not in outcome.errors:
        outcome.errors.append(f"{label}: {line}")


def _leaf_errors(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups; ``[error]`` for a plain one."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaf_errors(inner)]
    return [error]


def _operations_in(recorder: Any) -> list[str]:
    """The operations a (stateful) scenario sent requests to."""
    return [str(node.value.operation.label) for node in recorder.cases.values()]


def _value(item: Any) -> str:
    """An enum's value (schemathesis' phases, statuses and reasons are string enums), else the text."""
    if item is None:
        return ""
    return str(getattr(item, "value", item))


def _problem_line(title: str, message: str) -> str:
    """schemathesis' error title and message as one line: ``Schema Error: Invalid `type` ...``."""
    text = " ".join(message.split())
    return f"{title}: {text}"[:400] if text else title


def failures_of(recorder: Any, phase: str) -> Iterator[RawFailure]:
    """Each failed check node of a finished scenario, with its reproduction."""
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            info = node.failure_info
            if info is None:
                continue
            yield _raw_failure(node.name, info, case_id, phase, recorder)


def _raw_failure(check: str, info: Any, case_id: str, phase: str, recorder: Any) -> RawFailure:
    failure = info.failure
    operation = failure.operation or recorder.label or ""
    title, message = str(failure.title), str(failure.message or "")
    code = str(getattr(failure, "code", "") or "")
    signature = str(failure._unique_key)
    active = _STATE.checks.get(check)
    if active is not None:
        # message = "title\ndetail...\ncause: X" (see _run_interlock_check)
        lines = message.splitlines()
        cause = (
            lines[-1].removeprefix("cause: ")
            if lines and lines[-1].startswith("cause: ")
            else lines[0]
            if lines
            else ""
        )
        title = lines[0] if lines else title
        message = "\n".join(lines[1:-1]) if len(lines) > 2 else ""
        signature, code = cause, active.check.code
    curls = _STATE.reproductions.get(failure.case_id or case_id)
    if not curls:
        steps = [step.curl for step in getattr(info, "steps", None) or []]
        curls = steps if len(steps) > 1 else [_first_command(info.code_sample)]
    response = _response_status(recorder, failure.case_id or case_id)
    request, answer, chain = recorded_exchange(recorder, failure.case_id or case_id)
    judgement = _STATE.judgements.get((failure.case_id or case_id, check), Judgement())
    return RawFailure(
        operation=operation,
        check=check,
        code=code,
        title=title,
        message=message,
        signature=signature,
        curls=[c for c in curls if c],
        phase=phase,
        status_code=response,
        request=request,
        response=answer,
        chain=chain,
        why=judgement.why,
        confidence=judgement.confidence_text,
    )


#: The worker keeps this much of a response body; the parent redacts it, then cuts it to the excerpt.
_CAPTURED_BODY_BYTES = 2 * BODY_EXCERPT_CHARS


def recorded_exchange(
    recorder: Any, case_id: str
) -> tuple[RecordedRequest | None, RecordedResponse | None, list[RecordedRequest]]:
    """The failing case's request and response as the recorder holds them, and the requests of
    the cases before it in its scenario (a stateful chain's earlier steps), oldest first."""
    interaction = recorder.interactions.get(case_id)
    if interaction is None:
        return None, None, []
    chain = []
    for case in recorder.iter_chain_cases(case_id=case_id):
        earlier = recorder.interactions.get(case.id)
        if case.id != case_id and earlier is not None:
            chain.append(_recorded_request(earlier.request))
    response = interaction.response
    answer = None
    if response is not None and hasattr(response, "status_code"):
        content = bytes(response.content or b"")
        answer = RecordedResponse(
            status=response.status_code,
            headers=_flat_headers(response.headers),
            body_excerpt=content[:_CAPTURED_BODY_BYTES].decode("utf-8", errors="replace"),
            body_truncated=len(content) > _CAPTURED_BODY_BYTES,
        )
    return _recorded_request(interaction.request), answer, chain


def _recorded_request(request: Any) -> RecordedRequest:
    body: bytes | None = request.body
    text, encoding = None, "utf-8"
    if body is not None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(body).decode("ascii"), "base64"
    truncated = text is not None and len(text) > REQUEST_BODY_CHARS
    return RecordedRequest(
        method=str(request.method),
        url=str(request.uri),
        headers=_flat_headers(request.headers),
        body=text[:REQUEST_BODY_CHARS] if text is not None else None,
        body_encoding=encoding,
        body_truncated=truncated,
    )


def _flat_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    return {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in (headers or {}).items()}


def _response_status(recorder: Any, case_id: str) -> int | None:
    interaction = recorder.interactions.get(case_id)
    response = getattr(interaction, "response", None)
    return getattr(response, "status_code", None)


def _first_command(code_sample: str) -> str:
    """The curl command alone: schemathesis may append warnings after a blank line."""
    return (code_sample or "").split("\n\n", 1)[0].strip()


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
