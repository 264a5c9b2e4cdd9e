"""Pact matching rules read like the Pact core: the most specific rule covering a value wins."""

from __future__ import annotations

import pytest

from interlock.openapi.matching import (
    WILDCARD,
    Rules,
    generalise,
    json_path,
    parse_path,
    read_paths,
    reads,
)
from interlock.pacts.pactfile import load_pact
from tests.openapi.helpers import PACTS


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("$", ()),
        ("$.amount", ("amount",)),
        ("$.items[0].sku", ("items", 0, "sku")),
        ("$.items[*].sku", ("items", WILDCARD, "sku")),
        ("$.*", (WILDCARD,)),
        ("$['odd.name']['it\\'s']", ("odd.name", "it's")),
        ("amount", None),
        ("$.items[x]", None),
        ("$..deep", None),
    ],
)
def test_parse_path(text: str, tokens: tuple[str | int, ...] | None) -> None:
    assert parse_path(text) == tokens


def m(match: str) -> dict[str, str]:
    return {"match": match}


def test_the_most_specific_rule_wins_and_literal_keys_beat_wildcards() -> None:
    rules = Rules.from_pact(
        {
            "body": {
                "$.items": {"matchers": [m("type")]},
                "$.items[*].price": {"matchers": [m("decimal")]},
                "$.items[0].price": {"matchers": [m("equality")]},
                "$items": {"matchers": [m("type")]},  # not a path: ignored
                "$.no_matchers": {"combine": "AND"},  # ignored
            }
        }
    )
    assert len(rules.rules) == 3
    assert rules.matchers_for(("items", 3, "price")) == (m("decimal"),)
    assert rules.matchers_for(("items", 0, "price")) == (m("equality"),)
    assert rules.matchers_for(("items", 3, "name")) == (m("type"),)  # cascades from the container
    assert rules.matchers_for(("total",)) == ()
    assert rules.is_exact(("total",))  # no matcher: exactly this value
    assert rules.is_exact(("items", 0, "price"))
    assert not rules.is_exact(("items", 1, "price"))


def test_header_rules_are_keyed_by_lower_case_name_and_query_rules_by_name() -> None:
    pact = load_pact(PACTS / "checkout-payments.json")
    charge = next(i for i in pact.interactions if i.description == "a request to charge an order")
    assert charge.request is not None and charge.response is not None
    headers = Rules.from_pact(charge.request.matching_rules, "header")
    assert headers.matchers_for(("idempotency-key",))[0]["match"] == "regex"
    assert not headers.is_exact(("idempotency-key",))
    query = Rules.from_pact({"query": {"Page": {"matchers": [m("integer")]}}}, "query")
    assert query.matchers_for(("Page",)) == (m("integer"),) and query.matchers_for(("page",)) == ()
    body = Rules.from_pact(charge.response.matching_rules)
    assert not body.is_exact(("amount",)) and body.is_exact(("status",))
    assert Rules.from_pact({}).rules == ()


def test_what_a_consumer_reads() -> None:
    paths = read_paths({"id": "p", "items": [{"sku": "a"}, {"sku": "b", "qty": 1}]})
    assert paths == {("id",), ("items",), ("items", "[*]"), ("items", "[*]", "sku"), ("items", "[*]", "qty")}
    assert reads(paths, ("items", "[*]"))
    assert reads(paths, ("items", "[*]", "qty"))
    assert not reads(paths, ("status",))
    assert read_paths(None) == set() and read_paths("text") == set()
    assert generalise(("items", 0, "sku", 2)) == ("items", "[*]", "sku", "[*]")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), "$"),
        (("items", 0, "sku"), "$.items[0].sku"),
        (("items", "[*]", "sku"), "$.items[*].sku"),
        (("odd.name", "it's", "x-y"), "$['odd.name']['it\\'s'].x-y"),
    ],
)
def test_json_path(path: tuple[str | int, ...], text: str) -> None:
    assert json_path(path) == text
    if "[*]" not in path:
        parsed = parse_path(text)
        assert parsed == path  # round trip
