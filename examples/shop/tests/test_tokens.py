"""Client credentials between checkout and payments: payments issues and checks Bearer tokens, and
checkout's auth renews a rejected token once, against the real payments app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from examples.shop.checkout.tokens import ClientCredentials, TokenUnavailable
from examples.shop.payments import create_app as create_payments_app
from examples.shop.payments.tokens import TokenIssuer

pytestmark = pytest.mark.timeout(10)

CHARGE = {"order_id": "o-1", "amount": 1999, "currency": "EUR"}


def payments() -> tuple[TestClient, list[tuple[str, str]]]:
    """Payments with one client configured, and the (path, Authorization) of every request it got."""
    app = create_payments_app(provider_states=False, tokens=TokenIssuer("checkout", "s3cret"))
    seen: list[tuple[str, str]] = []

    @app.middleware("http")
    async def record(request, call_next):  # type: ignore[no-untyped-def]
        seen.append((request.url.path, request.headers.get("Authorization", "")))
        return await call_next(request)

    return TestClient(app), seen


def test_payments_issues_tokens_to_its_client_and_refuses_unknown_ones() -> None:
    client, _ = payments()
    wrong = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("checkout", "guess"))
    assert wrong.status_code == 401 and wrong.json() == {"error": "invalid_client"}
    issued = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("checkout", "s3cret")
    )
    assert issued.status_code == 200 and issued.json()["token_type"] == "Bearer"
    token = issued.json()["access_token"]
    ok = client.post("/payments", json=CHARGE, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 201
    unknown = client.get("/payments/x", headers={"Authorization": "Bearer not-issued"})
    assert (
        unknown.status_code == 401 and unknown.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    )
    assert client.get("/payments/x").status_code == 404  # no credential: served as before (contracts)
    assert "/oauth/token" not in client.get("/openapi.json").text


def test_checkout_fetches_a_token_once_and_renews_a_rejected_one_once() -> None:
    client, seen = payments()
    auth = ClientCredentials("checkout", "s3cret")
    assert client.post("/payments", json=CHARGE, auth=auth).status_code == 201
    assert client.get("/payments/none", auth=auth).status_code == 404
    assert [path for path, _ in seen] == ["/oauth/token", "/payments", "/payments/none"]
    first = seen[1][1]
    auth._token = "expired-token"  # as if payments had forgotten the token checkout holds
    seen.clear()
    assert client.get("/payments/none", auth=auth).status_code == 404
    assert [path for path, _ in seen] == ["/payments/none", "/oauth/token", "/payments/none"]
    assert seen[0][1] == "Bearer expired-token" and seen[2][1] not in (seen[0][1], first)


def test_a_second_401_is_the_answer_and_a_failed_token_request_is_no_call() -> None:
    client, seen = payments()
    stale = ClientCredentials("checkout", "s3cret")
    stale.renew_on_rejection = False  # a broken client: the same token again
    stale._token = "expired-token"
    assert client.get("/payments/none", auth=stale).status_code == 401
    assert [auth for _, auth in seen] == ["Bearer expired-token"] * 2
    with pytest.raises(TokenUnavailable, match="answered 401"):
        client.post("/payments", json=CHARGE, auth=ClientCredentials("checkout", "wrong"))
