"""The leak check on recorded exchanges: each leak kind it reports, and each false positive it once made."""

from __future__ import annotations

from typing import Any

import pytest

from interlock.stages.fuzz.checks import CheckFailed
from interlock.stages.fuzz.checks.leakage import LEAK_PATTERNS, find_leaks, html_text, no_leakage
from tests.stages.fuzz.checks.exchanges import exchange

PY_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/shop/app/views.py", line 42, in capture\n'
    "    ledger[payment_id]\n"
    "KeyError: 'pay_1'"
)
TOKEN = "4f2a9c0d1e2b3a4c5d6e7f80"


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ({"detail": PY_TRACE}, "stack trace"),
        (PY_TRACE.encode(), "stack trace"),
        (
            {"detail": "java.lang.NullPointerException\n\tat com.shop.Payments.capture(Payments.java:42)"},
            "stack trace",
        ),
        ({"stack": "TypeError: x is undefined\n    at capture (/srv/app/payments.js:10:5)"}, "stack trace"),
        (  # Werkzeug's debugger page: the frames are in markup and escaped
            b"<html><body><h1>KeyError</h1><div class='frame'>File <cite class='filename'>&quot;/srv/app/x.py"
            b"&quot;</cite>, line <em class='line'>3</em>, in <code class='function'>view</code></div></body></html>",
            "stack trace",
        ),
        ({"detail": "could not connect to postgres://app:hunter2@db:5432/shop"}, "credential"),
        ({"debug": {"aws": "AKIAIOSFODNN7EXAMPLE"}}, "credential"),
        ({"key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE..."}, "credential"),
        ({"detail": "cannot open /var/lib/payments/ledger.db"}, "file path"),
        ({"detail": "in /usr/local/lib/python3.11/site-packages/sqlalchemy/engine/base.py"}, "file path"),
        ({"detail": "C:\\inetpub\\shop\\web.config is locked"}, "file path"),
    ],
)
def test_real_leaks_are_found_with_why_and_confidence(body: Any, cause: str) -> None:
    with pytest.raises(CheckFailed) as failed:
        no_leakage(exchange(body, status=500))
    assert failed.value.cause == cause
    judgement = failed.value.judgement
    assert judgement.why and judgement.confidence in ("high", "medium")
    assert judgement.confidence_text.startswith(judgement.confidence) and "(" in judgement.confidence_text


@pytest.mark.parametrize(
    "body",
    [
        {"error": "invalid_request", "detail": "body.amount: Input should be greater than 0"},
        {"id": "pay_1", "amount": 1999, "currency": "EUR", "status": "captured"},
        # one word, no frames: not a stack trace; an exception's name alone is no leak
        {"error": "Traceback"},
        b"<pre>Traceback (most recent call last):</pre>",
        {"error": "KeyError: 'amount'"},
        {"error": "sqlalchemy.exc.IntegrityError (duplicate key)"},
        # SQL text and keyword patterns occur in documentation and forms far more than in leaks
        {"description": "Runs e.g. SELECT * FROM customers WHERE id = 1"},
        {"help": "password: at least 12 characters"},
        # a connection string without a password is no credential
        {"detail": "cache at redis://cache:6379/0 is down"},
        # a token a login endpoint issues is its answer, not a leak
        {
            "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        },
        # URL paths are not filesystem paths
        {"next": "/app/settings/profile", "self": "http://127.0.0.1/usr/lib/x.py", "icon": "/static/app.js"},
        {"config_dir": "/home"},
    ],
)
def test_ordinary_answers_are_not_leaks(body: Any) -> None:
    no_leakage(exchange(body, status=422))


def test_a_login_form_reached_through_a_redirect_is_not_a_leak() -> None:
    page = (
        b"<!DOCTYPE html><html><head><script src='/opt/static/login.js'></script></head><body>"
        b"<form method='post' action='/login?next=%2Fapi'><label for='password'>Password:</label>"
        b"<input type='password' name='password' id='password' value=''>"
        b"<a href='/app/static/help.py'>help</a></form></body></html>"
    )
    no_leakage(exchange(page, headers={"Content-Type": "text/html; charset=utf-8"}))


ADMIN_SCHEMA = {
    "$ref": "#/x-bundled/schema1",
    "x-bundled": {
        "schema1": {
            "type": "object",
            "properties": {
                "version": {"type": "string"},
                "python": {"allOf": [{"$ref": "#/x-bundled/Python"}]},
                "env": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "Python": {"type": "object", "properties": {"sys_executable": {"type": "string"}}},
    },
}


def test_a_member_the_response_schema_declares_is_not_a_leak() -> None:
    body = {
        "version": "1",
        "python": {"sys_executable": "/usr/lib/python3.11/site-packages/shop/main.py"},
        "env": {"SHOP_CONFIG": "/etc/shop/settings.yaml"},
    }
    no_leakage(exchange(body, response_schema=ADMIN_SCHEMA))
    undeclared = {**body, "debug": "/etc/shop/settings.yaml"}
    with pytest.raises(CheckFailed) as failed:
        no_leakage(exchange(undeclared, response_schema=ADMIN_SCHEMA))
    assert failed.value.cause == "file path" and "$.debug" in failed.value.message
    # without a schema the same body is judged: the exemption comes from the schema, nothing else
    assert find_leaks(exchange(body))


def test_a_documented_example_is_not_a_leak() -> None:
    docs = "Example: SELECT * FROM customers, on postgres://user:pass@localhost/shop"
    body = {"query": "SELECT * FROM customers", "dsn": "postgres://user:pass@localhost/shop"}
    no_leakage(exchange(body, documentation=f"Shop API\n{docs}\n"))
    with pytest.raises(CheckFailed, match="credential"):
        no_leakage(exchange(body, documentation="Shop API"))


def test_a_value_the_request_sent_is_not_a_leak() -> None:
    path = "/etc/shop/secrets.yaml"
    no_leakage(exchange({"detail": f"no SKU '{path}'"}, status=404, sent=[path]))
    assert find_leaks(exchange({"detail": f"no SKU '{path}'"}, status=404, sent=[]))


def test_the_token_interlock_sent_in_a_404_page_is_a_leak() -> None:
    """jupyter_server's 404 page embeds the API token of the request: a real leak."""
    page = (
        f"<html><script>var config = {{'token': '{TOKEN}'}};</script><h1>404: Not Found</h1></html>".encode()
    )
    leak = exchange(
        page,
        status=404,
        headers={"Content-Type": "text/html"},
        request_headers={"Authorization": f"token {TOKEN}"},
    )
    with pytest.raises(CheckFailed) as failed:
        no_leakage(leak)
    assert failed.value.cause == "echoed secret" and failed.value.judgement.confidence == "high"
    assert "Authorization" in failed.value.message and TOKEN not in failed.value.message


def test_a_secret_in_an_unlabelled_json_member_is_a_leak() -> None:
    leak = exchange({"detail": f"no access for {TOKEN}"}, status=403, request_headers={"X-Api-Key": TOKEN})
    with pytest.raises(CheckFailed) as failed:
        no_leakage(leak)
    assert failed.value.cause == "echoed secret" and "$.detail" in failed.value.message


def test_a_secret_in_a_redirect_location_is_a_leak() -> None:
    redirect = exchange(
        status=302,
        headers={"Location": f"/login?next=%2Fapi%3Fkey%3D{TOKEN}"},
        request_headers={"X-Api-Key": TOKEN},
    )
    with pytest.raises(CheckFailed, match="echoed x-api-key header"):
        no_leakage(redirect)


@pytest.mark.parametrize(
    ("body", "headers", "request_headers", "sent"),
    [
        # the request also carried it in its query or body: the caller put it there
        ({"detail": f"caller {TOKEN}"}, {}, {"Authorization": f"Bearer {TOKEN}"}, [TOKEN]),
        # not a secret header
        ({"detail": "x-request-id abcdefghijk"}, {}, {"X-Request-Id": "abcdefghijk"}, []),
        # a request-echo endpoint (httpbin's /headers) shows the headers it got, by name
        ({"headers": {"Authorization": f"Bearer {TOKEN}"}}, {}, {"Authorization": f"Bearer {TOKEN}"}, []),
        # token introspection (httpbin's /bearer) labels the member it shows the token in
        ({"authenticated": True, "token": TOKEN}, {}, {"Authorization": f"Bearer {TOKEN}"}, []),
        # a session cookie refreshed in Set-Cookie is the server's own business
        ({}, {"Set-Cookie": f"session={TOKEN}; HttpOnly"}, {"Cookie": f"session={TOKEN}"}, []),
        # too short to tell from chance
        ({"detail": "user abc"}, {}, {"Authorization": "Basic abc"}, []),
    ],
)
def test_what_is_not_an_echoed_secret(
    body: Any, headers: dict[str, str], request_headers: dict[str, str], sent: list[str]
) -> None:
    no_leakage(exchange(body, headers=headers, request_headers=request_headers, sent=sent))


ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "traceback": {"type": "string"}},
}


def test_a_declared_message_member_does_not_document_a_trace_or_a_secret() -> None:
    """A generic ``detail: string`` declares a message: a trace or the caller's token in it still leaks.
    A member named for the trace (a job API's ``traceback``) documents it."""
    with pytest.raises(CheckFailed, match="stack trace"):
        no_leakage(exchange({"detail": PY_TRACE}, status=422, response_schema=ERROR_SCHEMA))
    with pytest.raises(CheckFailed, match="echoed authorization header"):
        no_leakage(
            exchange(
                {"detail": f"no such thing for caller Bearer {TOKEN}"},
                status=404,
                request_headers={"Authorization": f"Bearer {TOKEN}"},
                response_schema=ERROR_SCHEMA,
            )
        )
    no_leakage(exchange({"traceback": PY_TRACE}, response_schema=ERROR_SCHEMA))
    no_leakage(exchange({"detail": "cannot open /var/lib/payments/ledger.db"}, response_schema=ERROR_SCHEMA))


@pytest.mark.parametrize(
    "text",
    [
        "x" * 50_000,
        "a." * 25_000,
        "a/" * 25_000,
        "/usr/" + "a-" * 25_000,
        "at " * 17_000,
        "postgres://a:" + "b" * 50_000,
    ],
    ids=["word", "dots", "slashes", "path", "at", "dsn"],
)
def test_no_pattern_backtracks_on_long_fuzzed_strings(text: str) -> None:
    """Providers echo fuzzed strings back; a pattern that retries from every position is quadratic.

    The bound is loose on purpose (a linear scan of 50,000 characters takes milliseconds; the
    quadratic ``.rb`` pattern this guards against took about 10 s).
    """
    import time

    started = time.perf_counter()
    for patterns in LEAK_PATTERNS.values():
        for pattern in patterns:
            list(pattern.finditer(text))
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    "markup", ["<" * 100_000, "<script>" * 20_000, "<script><style>" * 10_000], ids=["lt", "script", "both"]
)
def test_html_text_is_one_pass_over_fuzzed_markup(markup: str) -> None:
    """An error page may echo fuzzed input: unclosed ``<`` and ``<script`` must not be rescanned
    to the end of the page each (the one-expression version took seconds here)."""
    import time

    started = time.perf_counter()
    html_text(markup)
    assert time.perf_counter() - started < 2.0


def test_html_text_drops_scripts_styles_and_tags_and_keeps_what_an_unclosed_one_hides() -> None:
    page = "<SCRIPT>var p='/app/x.py';</script ><p>Hello &amp; bye</p><style>p{}</STYLE><script>never closed <b>x</b>"
    assert html_text(page).split() == ["Hello", "&", "bye", "never", "closed", "x"]
