"""OAuth 2.0 client credentials for payments: a token endpoint, and a check of the Bearer tokens it issued.

On only when a client is configured (``PAYMENTS_CLIENT_ID`` and ``PAYMENTS_CLIENT_SECRET``):

* ``POST /oauth/token`` with HTTP Basic client credentials (RFC 6749 section 4.4) and
  ``grant_type=client_credentials`` answers ``{"access_token", "token_type": "Bearer", "expires_in"}``;
* a request that sends ``Authorization: Bearer`` with a token payments did not issue is answered
  ``401`` with ``WWW-Authenticate: Bearer error="invalid_token"``.

A request without ``Authorization`` is served as before: the consumer contracts and the fuzzed
OpenAPI document predate tokens, so the endpoint stays out of the document too. Tokens are kept
in memory only, and neither they nor the secret are ever logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

TOKEN_PATH = "/oauth/token"
TOKEN_LIFETIME_S = 3600
_CHALLENGE = 'Bearer error="invalid_token"'


class TokenIssuer:
    """Issues opaque Bearer tokens to the one configured client and remembers them."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._client = (client_id, client_secret)
        self._issued: set[str] = set()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TokenIssuer | None:
        client_id, secret = env.get("PAYMENTS_CLIENT_ID"), env.get("PAYMENTS_CLIENT_SECRET")
        return cls(client_id, secret) if client_id and secret else None

    def client_ok(self, authorization: str | None) -> bool:
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected_id, expected_secret = self._client
        return hmac.compare_digest(client_id, expected_id) & hmac.compare_digest(secret, expected_secret)

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        self._issued.add(token)
        return token

    def valid(self, token: str) -> bool:
        return token in self._issued


def install_tokens(app: FastAPI, issuer: TokenIssuer) -> None:
    """The token endpoint (outside the OpenAPI document) and the Bearer check in front of every route."""
    router = APIRouter()

    @router.post(TOKEN_PATH, include_in_schema=False)
    async def token(request: Request) -> JSONResponse:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if not issuer.client_ok(request.headers.get("Authorization")):
            return JSONResponse(
                {"error": "invalid_client"}, status_code=401, headers={"WWW-Authenticate": "Basic"}
            )
        body = {"access_token": issuer.issue(), "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_S}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    app.include_router(router)

    @app.middleware("http")
    async def bearer_check(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and not issuer.valid(token.strip()):
            return JSONResponse(
                {"error": "invalid_token", "detail": "unknown or expired access token"},
                status_code=401,
                headers={"WWW-Authenticate": _CHALLENGE},
            )
        return await call_next(request)
