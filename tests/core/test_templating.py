from __future__ import annotations

import pytest

from interlock.core.templating import Placeholder, TemplateError, placeholders, render


def test_placeholders_and_render() -> None:
    text = "--port {port} --up {url:payments} --via { proxy : checkout-payments } {{literal}}"
    assert placeholders(text) == [
        Placeholder("port", None),
        Placeholder("url", "payments"),
        Placeholder("proxy", "checkout-payments"),
    ]
    values = {"port": "81", "url": "http://p", "proxy": "http://x"}
    assert render(text, lambda p: values[p.kind]) == "--port 81 --up http://p --via http://x {literal}"


@pytest.mark.parametrize("text", ["{nope}", "{url}", "{url:}", "{port:3}", "{}"])
def test_unknown_placeholders_are_rejected(text: str) -> None:
    with pytest.raises(TemplateError, match="unknown placeholder"):
        placeholders(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--port {port", "unclosed '{' in '{port'"),
        ("{url:payments/x", "unclosed '{' in '{url:payments/x'"),
        ("http://127.0.0.1:{port/health", "unclosed '{' in '{port/health'"),
        ("--port port}", "unmatched '}' in '--port port}'"),
        ("{{port}", "unmatched '}' in '{{port}'"),
        ("{port}}", "unmatched '}' in '{port}}'"),
    ],
)
def test_a_brace_that_opens_or_closes_no_placeholder_is_rejected(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as raised:
        placeholders(text)
    assert str(raised.value).startswith(message)
    assert "write {{ and }} for literal braces" in str(raised.value)
    with pytest.raises(TemplateError):
        render(text, lambda p: "x")


def test_doubled_braces_stay_literal() -> None:
    assert placeholders('{{"a": 1}} {{{port}}}') == [Placeholder("port", None)]
    assert render('{{"a": 1}} {{{port}}}', lambda p: "81") == '{"a": 1} {81}'
