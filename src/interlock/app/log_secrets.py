"""Secret hygiene: after every stage, the services' logs are searched for the secrets the run knows.

A service that writes a credential into its log leaks it to whoever reads logs (a log pipeline, a
support ticket, a CI artefact). interlock knows many of the run's credentials: the manifest's
secret ``env`` values, what the stages' inputs send (pact headers, fuzz suite auth, chaos probe
headers, locustfile literals) and every ``Authorization`` / ``Cookie`` / API-key value the fault
proxy saw on the wire. Those are the run's redaction policy (:mod:`interlock.app.artefacts`); this
module searches the logs of the services interlock started for them, with no configuration.

* Which logs: after a stage of integration I, those of I's consumer and provider, and of services
  that belong to no integration (a database, a token server). So a leak is charged to an
  integration of the service that logged it, in the stage that was running.
* Which values: only :func:`~interlock.core.log_scan.distinctive` ones (long and varied enough not
  to occur in a log by chance), so a short or common value never makes a finding.
* Each (service, secret) is reported once per run, at the first line it was found on; the log is
  scanned incrementally (only what was written since the last stage) and bounded
  (:mod:`interlock.core.log_scan`).
* ``services.NAME.log_secrets_check: false`` turns it off for one service.

The finding names the service, the secret (by where it came from), the log file and line; the
value itself is masked, in the finding as in every artefact.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from interlock.app.artefacts import wire_secrets
from interlock.core.log_scan import MAX_LOG_BYTES, Hit, ScanState, distinctive, excerpt, scan_log
from interlock.core.manifest import Integration, Manifest
from interlock.core.redact import MASK, RedactionPolicy, Secret
from interlock.core.services import ServiceGroup
from interlock.core.verdict import CheckResult, Finding, Severity, Status

CHECK = "secret hygiene: service logs"


class LogSecretScan:
    """The run's scan state: how far each log was read, and which leaks were reported already."""

    def __init__(self, manifest: Manifest, services: ServiceGroup, run_dir: Path) -> None:
        self.manifest = manifest
        self.services = services
        self.run_dir = run_dir
        self._states: dict[Path, ScanState] = {}
        self._reported: set[tuple[str, bytes]] = set()
        #: Services that take part in some integration (the others are scanned with every one).
        self._parties = {s for i in manifest.integrations for s in (i.consumer, i.provider) if s}
        #: Value -> every env setting that holds it (the run's policy keeps one name per value).
        self._settings: dict[str, list[str]] = {}
        for name, service in manifest.services.items():
            for secret in RedactionPolicy.for_services({name: service.env}).secrets:
                self._settings.setdefault(secret.value, []).append(secret.meaning)

    def check(
        self,
        stage: str,
        integration: Integration,
        policy: RedactionPolicy,
        wire: Sequence[tuple[str, str]] = (),
    ) -> CheckResult | None:
        """One failed check with a finding per newly found leak; None when no log holds a secret."""
        policy = policy.with_secrets(wire_secrets(wire))
        secrets = {s.value.encode(): s for s in policy.secrets if distinctive(s.value)}
        if not secrets:
            return None
        findings = []
        for name in self._services_of(integration):
            log_path = self.services.running[name].log_path
            if log_path is None or not log_path.is_file():
                continue
            state = self._states.setdefault(log_path, ScanState())
            hits = scan_log(log_path, list(secrets), state)
            before = {v for service, v in self._reported if service == name}
            new = {v: hit for v, hit in hits.items() if v not in before}
            self._reported.update((name, v) for v in new)
            for value, hit in sorted(new.items(), key=lambda item: item[1].line):
                if any(value in other and value != other for other in new) or any(v in value for v in before):
                    continue  # one leak: "abc" of "Bearer abc" found too, or "abc" reported before
                secret = secrets[value]
                findings.append(self._finding(stage, integration, name, log_path, secret, hit, policy, state))
        if not findings:
            return None
        return CheckResult(
            name=CHECK,
            status=Status.FAILED,
            message=f"{len(findings)} secret(s) found in service logs",
            findings=findings,
        )

    def _services_of(self, integration: Integration) -> list[str]:
        parties = {integration.consumer, integration.provider}
        return [
            name
            for name in self.services.running
            if (name in parties or name not in self._parties)
            and name in self.manifest.services
            and self.manifest.services[name].log_secrets_check
        ]

    def _finding(
        self,
        stage: str,
        integration: Integration,
        service: str,
        log_path: Path,
        secret: Secret,
        hit: Hit,
        policy: RedactionPolicy,
        state: ScanState,
    ) -> Finding:
        where = _relative(log_path, self.run_dir)
        settings = self._settings.get(secret.value, [])
        own = [setting for setting in settings if setting.startswith(f"services.{service}.env.")]
        what = (own or settings or [secret.meaning or secret.variable or "a secret the run sends"])[0]
        lines = [
            f"{where}:{hit.line}: {excerpt(policy.known_values(hit.text), MASK)}",
            f"secret: {what}; on {hit.lines} line(s) of the log so far; its value is masked here"
            " and in every artefact of the run",
            "a service must not log credentials: log that one was used, or a short hash of it",
            f"to stop this check for {service}: services.{service}.log_secrets_check: false",
        ]
        if state.capped:
            lines.append(f"only the first {MAX_LOG_BYTES >> 20} MiB of this log are scanned")
        return Finding(
            stage=stage,
            integration=integration.name,
            severity=Severity.ERROR,
            title=f"{service} logged a secret ({what}) at {where}:{hit.line}",
            detail="\n".join(lines),
            check="log_secrets",
            cause=f"{service}:{what}",
        )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
