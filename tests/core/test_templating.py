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
