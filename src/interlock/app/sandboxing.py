"""``--sandbox`` (or ``sandbox: true`` in the manifest): the run's network namespace, when asked for.

Entered after every preflight passed and before the first process starts, so bad input is still
exit 2 with its own message, and every service, proxy and Locust process inherits a network with
only loopback. What cannot work inside one is refused here, in one line, rather than failing
later: a service that is already running (``base_url``) lives outside the namespace, and so do a
Toxiproxy server named by ``$TOXIPROXY_URL`` and Locust's remote workers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from interlock.app.run_options import RunOptions
from interlock.core.console import Output
from interlock.core.errors import UsageError
from interlock.core.manifest import Integration, Manifest
from interlock.core.sandbox import SandboxUnavailable, enter_sandbox
from interlock.core.yamlfile import load_yaml
from interlock.faults.fabric import TOXIPROXY_URL_ENV
from interlock.stages.base import Stage
from interlock.stages.load.stage import LoadStage


def enter_sandbox_if_asked(
    options: RunOptions,
    manifest: Manifest,
    stages: Sequence[Stage],
    integrations: Sequence[Integration],
    services: Sequence[str],
    output: Output,
) -> None:
    """Enter the sandbox when the command line or the manifest asks; raise exit 2 when it cannot be."""
    if not (options.sandbox or manifest.sandbox):
        return
    asked_by = "--sandbox" if options.sandbox else "sandbox: true"
    for name in services:
        if manifest.services[name].base_url is not None:
            raise load_yaml(manifest.path).error(
                ("services", name, "base_url"),
                f"{asked_by}: service '{name}' is already running at"
                f" {manifest.services[name].base_url}, outside the sandbox's private network;"
                " give it 'run:' so interlock starts it inside, or run without the sandbox",
            )
    if os.environ.get(TOXIPROXY_URL_ENV) and any(
        stage.needs_fault_proxy(manifest, integration) for stage in stages for integration in integrations
    ):
        raise UsageError(
            f"{asked_by}: ${TOXIPROXY_URL_ENV} names a Toxiproxy server outside the sandbox's private"
            f" network; unset it to use interlock's embedded fault proxy, or run without the sandbox"
        )
    load = options.stage_overrides.get("load")
    if isinstance(load, LoadStage) and load.options.remote_workers:
        raise UsageError(
            f"{asked_by}: --remote-workers connect from other machines, which cannot reach a master"
            " inside the sandbox's private network; use local --workers or run without the sandbox"
        )
    try:
        enter_sandbox()
    except SandboxUnavailable as exc:
        message = f"cannot create a private network namespace here: {exc}; run without it"
        if options.sandbox:
            raise UsageError(f"--sandbox: {message}") from None
        raise load_yaml(manifest.path).error(("sandbox",), f"sandbox: true: {message}") from None
    output.info("sandbox: this run has a private network with only loopback; nothing can reach another host")
