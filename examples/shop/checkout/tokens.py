"""Bearer tokens for checkout's calls to payments: OAuth 2.0 client credentials, renewed once on a 401.

:class:`ClientCredentials` is an ``httpx.Auth``: it fetches a token from payments' token endpoint
(HTTP Basic client credentials) before the first request, sends it as ``Authorization: Bearer``,
and when payments answers ``401`` it fetches a new token *once* and sends the request again with
it. Sending the rejected token again cannot succeed, and fetching tokens in a loop would hammer
the token endpoint; so a second ``401`` is the answer. The token requests go through the same
client as the call, so they share its timeouts, transport and the fault proxy.

A token endpoint that does not issue a token raises :class:`TokenUnavailable`, a connect error:
the call it was for was never sent, so retrying it is safe and nothing was applied.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Generator

import httpx

TOKEN_PATH = "/oauth/token"


class TokenUnavailable(httpx.ConnectError):
    """The token endpoint gave no token: the request that needed one was not sent."""


class ClientCredentials(httpx.Auth):
    """Client-credentials Bearer auth for one dependency, with one renewal per rejected request."""

    requires_response_body = True
    #: Whether a 401 gets a new token before the one retry (False: the same token again).
    renew_on_rejection = True

    def __init__(self, client_id: str, client_secret: str, token_path: str = TOKEN_PATH) -> None:
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._basic = f"Basic {basic}"
        self._token_path = token_path
        self._token: str | None = None
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token
        if token is None:
            token = yield from self._fetch(request)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        if self.renew_on_rejection:
            with self._lock:
                if self._token == token:
                    self._token = None  # expired: whoever comes next fetches a new one
            token = self._token or (yield from self._fetch(request))
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def _fetch(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, str]:
        token_request = httpx.Request(
            "POST",
            request.url.copy_with(path=self._token_path, query=None),
            headers={"Authorization": self._basic, "Accept": "application/json"},
            data={"grant_type": "client_credentials"},
            extensions=request.extensions,  # the call's timeouts
        )
        response = yield token_request
        token = None
        if response.status_code == 200:
            try:
                token = response.json().get("access_token")
            except (ValueError, AttributeError):
                token = None
        if not isinstance(token, str) or not token:
            raise TokenUnavailable(f"the token endpoint answered {response.status_code}", request=request)
        with self._lock:
            self._token = token
        return token
