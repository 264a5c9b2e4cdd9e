"""The secrets a fuzz suite makes the run send, each with the variable reproductions use for it.

A suite's ``auth`` header is always a secret, and so is a ``headers`` entry whose name says it
carries a credential (``X-Api-Key``). Reports mask their values wherever they appear, and curls
and ``interlock replay`` refer to them as ``$INTERLOCK_<HEADER>``.
"""

from __future__ import annotations

from interlock.core.redact import SECRET_HEADER, Secret, variable_for
from interlock.stages.fuzz.suite import AuthSettings, BasicAuth, Suite, parse_header


def suite_secrets(suite: Suite) -> list[Secret]:
    """The suite's auth header(s) and secret-named headers, as known secrets with their variables."""
    found = []
    if suite.auth is not None:
        for name, value in suite.auth.headers().items():
            found.append(Secret(value, variable_for(name), f"the suite's auth {name} header"))
    for name, value in suite.headers.items():
        if SECRET_HEADER.fullmatch(name) and not any(s.value == value for s in found):
            found.append(Secret(value, variable_for(name), f"the suite's {name} header"))
    return found


def option_secrets(auth: str | None, headers: tuple[str, ...]) -> list[Secret]:
    """The secrets given on the command line (``--auth user:pass``, a secret-named ``-H``), so
    the rerun hint and every report mask them as they mask the suite's."""
    found = []
    if auth:
        found.append(Secret(auth, "INTERLOCK_AUTH", "the --auth user:password"))
        for name, value in basic_auth_headers(auth).items():
            found.append(Secret(value, variable_for(name), f"the --auth {name} header"))
    for text in headers:
        name, value = parse_header(text)
        if SECRET_HEADER.fullmatch(name):
            found.append(Secret(value, variable_for(name), f"the -H {name} header"))
    return found


def run_secrets(suite: Suite, auth: str | None, headers: tuple[str, ...]) -> list[Secret]:
    """Everything a fuzz run of this suite and command line sends as a credential."""
    return [*suite_secrets(suite), *option_secrets(auth, headers)]


def basic_auth_headers(auth: str) -> dict[str, str]:
    """``--auth user:password`` as the header it sends (the suite's ``auth: {basic: ...}`` rule)."""
    user, _, password = auth.partition(":")
    return AuthSettings(basic=BasicAuth(username=user, password=password)).headers()
