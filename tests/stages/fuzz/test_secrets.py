"""Credentials given to `interlock fuzz` on the command line are known secrets of the run."""

from __future__ import annotations

import base64

from interlock.core.redact import RedactionPolicy
from interlock.stages.fuzz.secrets import basic_auth_headers, run_secrets
from interlock.stages.fuzz.suite import Suite


def test_auth_and_secret_headers_from_the_command_line_are_masked_in_a_rerun_hint() -> None:
    secrets = run_secrets(Suite(), "alice:s3cret-pw", ("X-Api-Key: k-1234567", "X-Tenant: shop"))
    policy = RedactionPolicy().with_secrets(secrets)
    hint = "interlock fuzz --only a --auth alice:s3cret-pw -H 'X-Api-Key: k-1234567' -H 'X-Tenant: shop'"
    masked = policy.text(hint)
    assert "s3cret-pw" not in masked and "k-1234567" not in masked
    assert "X-Tenant: shop" in masked  # not a credential


def test_auth_sends_the_basic_header_the_suite_would() -> None:
    token = base64.b64encode(b"alice:s3cret-pw").decode()
    assert basic_auth_headers("alice:s3cret-pw") == {"Authorization": f"Basic {token}"}
    assert any(s.value == f"Basic {token}" for s in run_secrets(Suite(), "alice:s3cret-pw", ()))
