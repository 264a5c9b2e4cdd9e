"""Secrets are masked by value and by header name; titles, labels and generated data survive."""

from __future__ import annotations

import pytest

from interlock.core.redact import (
    MASK,
    SECRET_HEADER,
    RedactionPolicy,
    Secret,
    looks_secret_env,
    redact,
    redact_data,
    redact_fields,
    variable_for,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def", f"Authorization: {MASK}"),
        ("curl -H 'X-Api-Key: k-123' http://x", f"curl -H 'X-Api-Key: {MASK}' http://x"),
        ("set-cookie: sid=1; Path=/\nnext: line", f"set-cookie: {MASK}\nnext: line"),
        ("  > Cookie: a=b", f"  > Cookie: {MASK}"),
        ('curl -H "Authorization: Basic dXNlcg==" x', f"curl -H 'Authorization: {MASK}' x"),
        ("Bearer eyJhbGciOi.x-y_z== and more", f"Bearer {MASK} and more"),
        ("the token budget ran out", "the token budget ran out"),
        ("uses Bearer authentication", "uses Bearer authentication"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # issue 11: these lost their check name, their label or the request they reproduce
        "POST /oauth2/token: Undocumented Content-Type",
        "operation: POST /oauth2/token\ncheck:     content_type_conformance (ST105)\ncause: token: x",
        """curl -X POST -d '{"data": {"password": "hunter2"}}' http://127.0.0.1:1/oauth2/token""",
        "GET /x?page=2;access_token=abc&b=1",
        "form a=1&passwd=pw&b=2",
        'curl -H "Authorization: $INTERLOCK_AUTHORIZATION" "$PAYMENTS_URL"/x',
        "Authorization: $INTERLOCK_AUTHORIZATION",
    ],
)
def test_titles_labels_generated_data_and_references_survive(text: str) -> None:
    assert redact(text) == text


def test_known_values_are_replaced_wherever_they_occur() -> None:
    policy = RedactionPolicy().with_secrets([Secret("s3cr3t-t0ken"), Secret("ab")])
    assert policy.text("caller s3cr3t-t0ken in body; ab stays") == f"caller {MASK} in body; ab stays"
    assert policy.text('{"note": "xs3cr3t-t0keny"}') == f'{{"note": "x{MASK}y"}}'


def test_the_environment_names_its_secrets() -> None:
    env = {
        "PAYMENTS_TOKEN": "tok-123",
        "DB_PASSWORD": "pw-456",
        "API_KEY": "k-789",
        "MONKEY": "banana",
        "URL": "x",
    }
    policy = RedactionPolicy.for_environment(env)
    assert sorted(s.value for s in policy.secrets) == ["k-789", "pw-456", "tok-123"]
    assert looks_secret_env("GITHUB_AUTH") and not looks_secret_env("KEYBOARD_LAYOUT")
    assert variable_for("X-Api-Key") == "INTERLOCK_X_API_KEY"


def test_structured_headers_mask_by_name_or_refer_to_their_variable() -> None:
    policy = RedactionPolicy().with_secrets([Secret("Bearer t0k3n-x", "INTERLOCK_AUTHORIZATION")])
    headers = {"Authorization": "Bearer t0k3n-x", "Cookie": "sid=1", "X-Tenant": "shop"}
    assert policy.headers(headers) == {"Authorization": MASK, "Cookie": MASK, "X-Tenant": "shop"}
    assert policy.headers(headers, references=True)["Authorization"] == "$INTERLOCK_AUTHORIZATION"


def test_redact_data_walks_nested_containers_but_judges_no_member_names() -> None:
    data = {
        "detail": "Cookie: session=1",
        "checks": [{"reproduce": "curl -H 'Authorization: Basic dXNlcg==' x", "count": 3}],
        "request": {"headers": {"X-Api-Key": "k", "Accept": "*/*"}, "body": '{"password": "generated"}'},
        "pair": ("bearer t0k.en", None),
        "password": "a generated value",
        "ok": True,
    }
    assert redact_data(data) == {
        "detail": f"Cookie: {MASK}",
        "checks": [{"reproduce": f"curl -H 'Authorization: {MASK}' x", "count": 3}],
        "request": {"headers": {"X-Api-Key": MASK, "Accept": "*/*"}, "body": '{"password": "generated"}'},
        "pair": [f"bearer {MASK}", None],
        "password": "a generated value",
        "ok": True,
    }


def test_configuration_and_responses_are_masked_by_field_name() -> None:
    assert redact_fields({"api_key": "k", "nested": [{"client_secret": "s", "user": "ann"}]}) == {
        "api_key": MASK,
        "nested": [{"client_secret": MASK, "user": "ann"}],
    }


def test_titles_and_check_names_in_a_verdict_survive_every_rule() -> None:
    policy = RedactionPolicy().with_secrets([Secret("s3cr3t-t0ken")])
    finding = {"title": "Authorization: header missing", "check": "token: x", "detail": "Authorization: abc"}
    assert policy.data(finding) == {
        "title": "Authorization: header missing",
        "check": "token: x",
        "detail": f"Authorization: {MASK}",
    }
    assert policy.data({"title": "caller s3cr3t-t0ken"}) == {"title": f"caller {MASK}"}


def test_a_settings_word_under_a_secret_looking_name_is_not_a_secret() -> None:
    """AUTH_MODE: none must not turn every "none" of a run into [REDACTED]; a real token still is."""
    policy = RedactionPolicy.for_environment(
        {"AUTH_MODE": "none", "TOKEN_TTL": "3600", "API_KEY": "k-93jf8a7s", "DB_PASSWORD": "hunter22"}
    )
    text = "mode none for 3600 s with k-93jf8a7s and hunter22"
    assert policy.text(text) == "mode none for 3600 s with [REDACTED] and [REDACTED]"


def test_author_is_not_a_credential_header_but_x_auth_token_is() -> None:
    assert SECRET_HEADER.fullmatch("X-Auth-Token") and SECRET_HEADER.fullmatch("X-Auth")
    assert not SECRET_HEADER.fullmatch("Author") and not SECRET_HEADER.fullmatch("X-Author-Name")
