"""Secrets are masked wherever they appear in report text; everything else is left alone."""

from __future__ import annotations

import pytest

from interlock.core.redact import MASK, redact, redact_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def", f"Authorization: {MASK}"),
        ("curl -H 'X-Api-Key: k-123' http://x", f"curl -H 'X-Api-Key: {MASK}' http://x"),
        ("set-cookie: sid=1; Path=/\nnext: line", f"set-cookie: {MASK}\nnext: line"),
        (
            '{"client_secret": "s", "refresh-token": "t"}',
            f'{{"client_secret": "{MASK}", "refresh-token": "{MASK}"}}',
        ),
        ("GET /x?page=2;access_token=abc&b=1", f"GET /x?page=2;access_token={MASK}&b=1"),
        ("form a=1&passwd=pw&b=2", f"form a=1&passwd={MASK}&b=2"),
        ("Bearer eyJhbGciOi.x-y_z== and more", f"Bearer {MASK} and more"),
        ("the token budget ran out", "the token budget ran out"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_data_walks_nested_containers_and_keeps_other_values() -> None:
    data = {
        "detail": "Cookie: session=1",
        "checks": [{"reproduce": "curl -H 'Authorization: Basic dXNlcg==' x", "count": 3}],
        "pair": ("bearer t0k", None),
        "ok": True,
    }
    assert redact_data(data) == {
        "detail": f"Cookie: {MASK}",
        "checks": [{"reproduce": f"curl -H 'Authorization: {MASK}' x", "count": 3}],
        "pair": [f"bearer {MASK}", None],
        "ok": True,
    }
