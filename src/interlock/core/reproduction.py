"""How reports point people back at things: paths relative to the manifest, re-run commands
that carry every option of the run, and requests written so that they run after the run is gone.

Every finding carries a reproduction; these helpers make every stage (and the offline OpenAPI
check) phrase them the same way.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from interlock.core.manifest import Manifest
from interlock.core.redact import CURL_HEADER, DEFAULT, SECRET_HEADER, RedactionPolicy, variable_for
from interlock.core.verdict import BODY_EXCERPT_CHARS, RecordedRequest, RecordedResponse


def display_path(path: Path, base: Path) -> str:
    """``path`` as reports show it: relative to ``base`` (the manifest's directory) when inside it."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def rerun_command(manifest: Manifest, command: str, integration: str, *options: str) -> str:
    """The command that re-runs one stage for one integration, from the current directory.

    Every finding carries one, so ``--manifest`` is added only when it is not the default.
    """
    parts = [f"interlock {command} --only {integration}", *options]
    if manifest.path != (Path.cwd() / "interlock.yaml").resolve():
        parts.append(f"--manifest {display_path(manifest.path, Path.cwd())}")
    return " ".join(parts)


def service_variable(service: str) -> str:
    """The shell variable reproductions use for where ``service`` runs: payments -> PAYMENTS_URL."""
    return re.sub(r"[^A-Za-z0-9]", "_", service).upper() + "_URL"


def options_as_flags(options: object, *, skip: Iterable[str] = ()) -> list[str]:
    """Command-line flags that give a command the same ``options`` (a dataclass) again.

    Generic, so an option added to the dataclass is carried without touching this: a field
    ``max_examples`` is ``--max-examples``, one ending in ``_s`` is a duration (``time_budget_s``
    -> ``--time-budget 25s``), a true bool is a bare flag, a list repeats its flag, a path is shown
    relative to here. A field's ``metadata`` may rename its flag (``{"flag": "--suites"}``) or keep
    it out of re-runs (``{"rerun": False}``, e.g. ``--update-baseline``). Unset (None, False,
    empty) fields are left out.
    """
    if not dataclasses.is_dataclass(options) or isinstance(options, type):
        raise TypeError(f"options must be a dataclass instance, not {type(options).__name__}")
    flags: list[str] = []
    for spec in dataclasses.fields(options):
        value = getattr(options, spec.name)
        unset = value is None or value is False or (isinstance(value, str | list | tuple) and not value)
        if unset or spec.name in skip or not spec.metadata.get("rerun", True):
            continue
        name = spec.name.removesuffix("_s") if spec.name.endswith("_s") else spec.name
        flag = spec.metadata.get("flag") or "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            flags.append(f"{flag} {shlex.quote(_flag_value(item, duration=spec.name.endswith('_s')))}")
    return flags


def _flag_value(value: object, *, duration: bool) -> str:
    if isinstance(value, Path):
        return display_path(value, Path.cwd())
    if duration and isinstance(value, int | float):
        return f"{value:g}s"
    return str(value)


@dataclass(frozen=True)
class Portable:
    """How a run's requests are written so that they still run after it.

    The service is ``$PAYMENTS_URL`` instead of the run's random port, and each secret header is
    ``"Authorization: $INTERLOCK_AUTHORIZATION"`` (double-quoted, so the shell expands it), with a
    one-line note of what to export.
    """

    service: str
    #: The service's root URL in this run (``http://127.0.0.1:43917``).
    url: str
    policy: RedactionPolicy = DEFAULT
    #: What the service variable should be set to, for the note (default: where it runs).
    where: str = ""

    @property
    def variable(self) -> str:
        return service_variable(self.service)

    def curl(self, command: str) -> tuple[str, dict[str, str]]:
        """``command`` made portable, and the variables it uses -> what to set them to (a value,
        or ``<what it is>``)."""
        used: dict[str, str] = {}

        def header(match: re.Match[str]) -> str:
            try:
                (text,) = shlex.split(match.group(2))
            except ValueError:
                return match.group(0)
            name, sep, value = text.partition(":")
            name, value = name.strip(), value.strip()
            if not sep or not value:
                return match.group(0)
            secret = self.policy.secret_for(value)
            if secret is not None and secret.variable:
                used[secret.variable] = f"<{secret.meaning or f'the {name} header'}>"
                return f'{match.group(1)}"{name}: ${secret.variable}"'
            if SECRET_HEADER.fullmatch(name):
                variable = variable_for(name)
                used.setdefault(variable, f"<the {name} header value>")
                return f'{match.group(1)}"{name}: ${variable}"'
            return match.group(0)

        command = CURL_HEADER.sub(header, command)
        at = command.rfind(self.url) if self.url else -1
        end = at + len(self.url)
        if at > 0 and (end == len(command) or command[end] in "/?'# \n"):
            where = shlex.quote(self.where) if self.where else f"<where {self.service} runs>"
            used = {self.variable: where, **used}
            if command[at - 1] == "'":  # a quoted URL: "$PAYMENTS_URL"'/path with spaces'
                command = f'{command[: at - 1]}"${self.variable}"\'{command[end:]}'
            else:
                rest = re.match(r"[^\s]*", command[end:])
                tail = rest.group(0) if rest else ""
                command = f'{command[:at]}"${self.variable}{tail}"{command[end + len(tail) :]}'
        return self.policy.text(command), used

    def commands(self, curls: list[str]) -> list[str]:
        """The curls made portable, after one ``# export ...`` line naming what they need."""
        used: dict[str, str] = {}
        lines = []
        for command in curls:
            portable, variables = self.curl(command)
            lines.append(portable)
            used.update({k: v for k, v in variables.items() if k not in used})
        if not used:
            return lines
        exports = " ".join(f"{k}={v}" for k, v in used.items())
        return [f"# export {exports}", *lines]

    def request(self, request: RecordedRequest) -> RecordedRequest:
        """``request`` with its path relative to the service and its secrets redacted."""
        path = request.url[len(self.url) :] if self.url and request.url.startswith(self.url) else ""
        return request.model_copy(
            update={
                "url": self.policy.known_values(request.url),
                "path": self.policy.known_values(path),
                "headers": self.policy.headers(request.headers, references=True),
                "body": None if request.body is None else self.policy.known_values(request.body),
            }
        )

    def response(self, response: RecordedResponse) -> RecordedResponse:
        """``response`` redacted (by header name, by field name in a JSON body, by known value),
        its body cut to :data:`BODY_EXCERPT_CHARS`."""
        body = response.body_excerpt
        try:
            parsed = json.loads(body)
        except ValueError:
            body = self.policy.text(body)
        else:
            masked = self.policy.fields(parsed)
            body = (
                json.dumps(masked, ensure_ascii=False) if masked != parsed else self.policy.known_values(body)
            )
        return response.model_copy(
            update={
                "headers": self.policy.headers(response.headers),
                "body_excerpt": body[:BODY_EXCERPT_CHARS],
                "body_truncated": response.body_truncated or len(body) > BODY_EXCERPT_CHARS,
            }
        )
