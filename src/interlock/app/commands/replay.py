"""``interlock replay FINDING``: send a finding's recorded request(s) to its provider again.

It reads the finding (by the id reports show) from a run's verdict.json, starts what the run
started for it (the provider and what it depends on, as the pipeline does), sends the stateful
chain in order and then the failing request, with the secrets taken from the environment
(``$INTERLOCK_AUTHORIZATION``) or the provider's fuzz suite, shows each response, says whether the
recorded status came back, and stops every service it started, also on Ctrl-C.

Exit 0 when the recorded status came back, 1 when not, 2 for bad input, 3 when the provider
did not start.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import click
import httpx
from pydantic import ValidationError

from interlock.core.console import Output
from interlock.core.errors import ExitCode, Interrupted, UsageError
from interlock.core.interrupts import InterruptGuard
from interlock.core.manifest import Manifest, load_manifest
from interlock.core.redact import MASK, RedactionPolicy, Secret
from interlock.core.reports import LATEST_LINK, VERDICT_FILE, new_run_id
from interlock.core.reproduction import Portable
from interlock.core.scrub import scrub_tree
from interlock.core.services import ServiceGroup
from interlock.core.verdict import Finding, RecordedRequest, RecordedResponse, RunVerdict
from interlock.stages.fuzz.secrets import suite_secrets
from interlock.stages.fuzz.suite import load_suite, suite_path

_REFERENCE = re.compile(r"^\$\{?(INTERLOCK_[A-Z0-9_]+)\}?$")
#: Headers the HTTP client sets itself for the body it sends now.
_TRANSPORT_HEADERS = {"content-length", "host", "transfer-encoding", "connection"}


@click.command("replay")
@click.argument("finding_id", metavar="FINDING")
@click.option(
    "--report",
    "report",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The run's report directory (default: REPORT_DIR/latest).",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Where the runs' reports are.",
)
@click.option(
    "--manifest",
    "-m",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The manifest (default: the one the run used).",
)
@click.option(
    "--suites",
    "suites_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Directory of fuzz suites, for the secrets (default: suites/ next to the manifest).",
)
@click.option(
    "--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait for each answer."
)
def replay(
    finding_id: str,
    report: Path | None,
    report_dir: Path,
    manifest: Path | None,
    suites_dir: Path | None,
    timeout: float,
) -> int:
    """Replay a finding: start its provider, send the recorded request(s), show the answers.

    FINDING is the id shown after each finding on the console and in summary.md. Secrets the
    request needs are read from $INTERLOCK_<HEADER> (as the reproduction's note says), else from
    the provider's fuzz suite. Exit 0 when the recorded status came back, 1 when it did not.
    """
    run_dir = report if report is not None else report_dir / LATEST_LINK
    verdict_path = run_dir / VERDICT_FILE
    verdict = _load_verdict(verdict_path)
    finding = find_finding(verdict, finding_id, verdict_path)
    if finding.request is None:
        raise UsageError(
            f"finding {finding.id} ({finding.stage}) has no recorded request: only fuzz findings can be"
            f" replayed; see its reproduction in {run_dir / 'summary.md'}"
        )
    loaded = load_manifest(manifest or Path(verdict.manifest))
    try:
        provider = loaded.integration(finding.integration).provider
    except (KeyError, StopIteration):
        raise UsageError(f"{loaded.path}: no integration '{finding.integration}' (the finding's)") from None
    requests = [*finding.chain, finding.request]
    secrets = _secrets(requests, loaded, provider, suites_dir)
    policy = RedactionPolicy.for_environment(*(s.env for s in loaded.services.values())).with_secrets(
        Secret(value, name) for name, value in secrets.items()
    )
    return _replay(finding, requests, secrets, loaded, provider, policy, run_dir, timeout)


def _load_verdict(path: Path) -> RunVerdict:
    if not path.is_file():
        raise UsageError(
            f"{path}: no such report (run `interlock fuzz` first, or name one with --report DIR)"
        )
    try:
        return RunVerdict.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise UsageError(f"{path}: not an interlock verdict ({' '.join(str(exc).split())[:200]})") from None


def find_finding(verdict: RunVerdict, wanted: str, where: Path) -> Finding:
    """The finding whose id is ``wanted`` (or starts with it, when only one does)."""
    findings = [f for integration in verdict.integrations for f in integration.findings]
    exact = [f for f in findings if f.id == wanted]
    matches = exact or [f for f in findings if wanted and f.id.startswith(wanted)]
    if len({f.id for f in matches}) == 1:
        return (
            next(f for f in matches if f.request is not None)
            if any(f.request for f in matches)
            else matches[0]
        )
    if matches:
        raise UsageError(f"'{wanted}' names {len(matches)} findings in {where}: give more of the id")
    raise UsageError(
        f"no finding '{wanted}' in {where}: ids are shown in [brackets] after each finding on the console"
        f" and after its title in summary.md (or: jq -r '.. | .id? // empty' {where})"
    )


def _secrets(
    requests: list[RecordedRequest], manifest: Manifest, provider: str, suites_dir: Path | None
) -> dict[str, str]:
    """Each ``$INTERLOCK_*`` the requests refer to -> its value, from the environment or the suite."""
    import os

    wanted = sorted(
        {m.group(1) for r in requests for v in r.headers.values() if (m := _REFERENCE.match(v)) is not None}
    )
    values = {name: os.environ[name] for name in wanted if name in os.environ}
    missing = [name for name in wanted if name not in values]
    if missing:
        suite = load_suite(suite_path(suites_dir or manifest.base_dir / "suites", provider))
        from_suite = {s.variable: s.value for s in suite_secrets(suite)}
        values.update({name: from_suite[name] for name in missing if name in from_suite})
    missing = [name for name in wanted if name not in values]
    if missing:
        raise UsageError(
            f"the recorded request needs {', '.join(missing)}: export {' '.join(f'{n}=...' for n in missing)}"
            f" (the header value the run sent; the provider's suite does not give it)"
        )
    return values


def _replay(
    finding: Finding,
    requests: list[RecordedRequest],
    secrets: Mapping[str, str],
    manifest: Manifest,
    provider: str,
    policy: RedactionPolicy,
    run_dir: Path,
    timeout: float,
) -> int:
    output = Output(plain=True)
    run_id = new_run_id()
    output.info(f"interlock replay {finding.id}: {finding.title} (run {run_id})")
    curls = sum(line.startswith("curl ") for line in (finding.reproduce or "").splitlines())
    if curls > len(requests):
        output.warn(
            f"the check's reproduction sends {curls} requests (the curls in the report); replay sends the"
            f" {len(requests)} recorded, so it can only tell whether the recorded status comes back"
        )
    log_dir = run_dir / "replay" / f"{finding.id}-{run_id}"
    services = ServiceGroup(manifest, log_dir, run_id=run_id, on_event=output.info)
    with InterruptGuard() as guard:
        try:
            services.start([provider])
            url = services.url(provider)
            portable = Portable(provider, url, policy)
            answers = []
            with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                for step, request in enumerate(requests, 1):
                    answers.append(_send(client, url, request, secrets, portable, step, len(requests)))
        except Interrupted as exc:
            output.warn(f"interrupted by signal {exc.signum}: stopping {provider}")
            return int(ExitCode.INTERRUPTED_BASE) + exc.signum
        finally:
            guard.cleaning_up()
            services.stop_all()
            # The provider's log lands in the report directory: it must not keep what replay sent.
            scrub_tree(log_dir, policy)
    return _judge(finding, answers[-1])


def _send(
    client: httpx.Client,
    url: str,
    request: RecordedRequest,
    secrets: Mapping[str, str],
    portable: Portable,
    step: int,
    steps: int,
) -> int | None:
    """Send one recorded request to ``url`` and show its answer; its status (None: no answer)."""
    path = request.path or _path_of(request.url)
    headers = {}
    for name, value in request.headers.items():
        if name.lower() in _TRANSPORT_HEADERS:
            continue
        reference = _REFERENCE.match(value)
        if reference is not None:
            value = secrets[reference.group(1)]
        elif MASK in value:
            click.echo(f"  (header {name} was redacted in the report: not sent)")
            continue
        headers[name] = value
    body = None
    if request.body is not None:
        body = base64.b64decode(request.body) if request.body_encoding == "base64" else request.body.encode()
    label = f"[{step}/{steps}] " if steps > 1 else ""
    click.echo(
        f"> {label}{request.method} {path}" + (" (body cut in the report)" if request.body_truncated else "")
    )
    try:
        response = client.request(request.method, url + path, headers=headers, content=body)
    except httpx.HTTPError as exc:
        click.echo(f"< no answer: {type(exc).__name__}: {exc}")
        return None
    shown = portable.response(
        RecordedResponse(
            status=response.status_code,
            headers=dict(response.headers),
            body_excerpt=response.content.decode("utf-8", errors="replace"),
        )
    )
    click.echo(f"< {shown.status} {response.reason_phrase}")
    for name, value in shown.headers.items():
        click.echo(f"< {name}: {value}")
    if shown.body_excerpt:
        click.echo(shown.body_excerpt + (" [...]" if shown.body_truncated else ""))
    return response.status_code


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _judge(finding: Finding, status: int | None) -> int:
    recorded = finding.response.status if finding.response is not None else None
    if recorded is not None and status == recorded:
        click.echo(f"reproduced: {finding.operation or 'the request'} answered {status} again, as in the run")
        return int(ExitCode.PASSED)
    click.echo(
        f"not reproduced: the run recorded {recorded if recorded is not None else 'no answer'},"
        f" the replay got {status if status is not None else 'no answer'}"
    )
    return int(ExitCode.GATE_FAILED)
