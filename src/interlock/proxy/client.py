"""A Toxiproxy API client on httpx, for the embedded server and for a real Toxiproxy alike.

Unlike toxiproxy-python it raises one typed exception carrying the server's status and message
(a 500 is not a KeyError), it can update toxics (PATCH), and its ``populate`` is the server's
``POST /populate`` (so the server's keep/replace rule applies, not a client-side string compare).
Only ``observations``/``clear_observations`` need interlock's embedded server.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, cast
from urllib.parse import quote

import httpx

USER_AGENT = "interlock-proxy-client"


class ProxyApiError(Exception):
    """The server refused a call; ``status`` and ``message`` are what it answered."""

    def __init__(self, status: int, message: str, method: str, path: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {message}")
        self.status = status
        self.message = message


class ProxyNotFound(ProxyApiError):
    """404 ``proxy not found`` (or ``toxic not found``: see ``message``)."""


class AlreadyExists(ProxyApiError):
    """409 ``proxy already exists`` / ``toxic already exists``."""


class BadRequest(ProxyApiError):
    """400: bad JSON, a missing field, an invalid stream or toxic type."""


_BY_STATUS: dict[int, type[ProxyApiError]] = {404: ProxyNotFound, 409: AlreadyExists, 400: BadRequest}


class ProxyClient:
    """Drives a Toxiproxy-compatible server at ``base_url`` (e.g. ``http://127.0.0.1:8474``)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        # verify=False for plain http skips loading the CA bundle (~0.1 s per client).
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            verify=self.base_url.startswith("https:"),
        )

    def __enter__(self) -> ProxyClient:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=body, params=params)
        if response.status_code >= 400:
            raise _error(response, method, path)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # ---- server ------------------------------------------------------------------------------

    def _object(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A call whose answer is a JSON object (Toxiproxy's proxies and toxics)."""
        return cast(dict[str, Any], self._call(method, path, body, params))

    def version(self) -> str:
        """The server's version string (the bare string for Toxiproxy <= 2.5, which sent no JSON)."""
        response = self._http.get("/version")
        if response.status_code >= 400:
            raise _error(response, "GET", "/version")
        try:
            return str(response.json()["version"])
        except (ValueError, KeyError, TypeError):
            return response.text.strip()

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self._call("POST", "/reset")

    # ---- proxies -----------------------------------------------------------------------------

    def proxies(self) -> dict[str, dict[str, Any]]:
        return cast(dict[str, dict[str, Any]], self._call("GET", "/proxies"))

    def create_proxy(self, name: str, listen: str, upstream: str, enabled: bool = True) -> dict[str, Any]:
        return self._object(
            "POST",
            "/proxies",
            {"name": name, "listen": listen, "upstream": upstream, "enabled": enabled},
        )

    def get_proxy(self, name: str) -> dict[str, Any]:
        return self._object("GET", f"/proxies/{_seg(name)}")

    def update_proxy(self, name: str, **fields: Any) -> dict[str, Any]:
        """Change ``listen``, ``upstream`` and/or ``enabled`` (``enabled=False`` is the "down" fault).

        Uses POST, which every 2.x server accepts (PATCH only exists since 2.6).
        """
        return self._object("POST", f"/proxies/{_seg(name)}", fields)

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{_seg(name)}")

    def populate(self, proxies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create or replace proxies in one call; returns them in request order."""
        return cast(list[dict[str, Any]], self._object("POST", "/populate", proxies)["proxies"] or [])

    # ---- toxics ------------------------------------------------------------------------------

    def toxics(self, proxy: str) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._call("GET", f"/proxies/{_seg(proxy)}/toxics"))

    def add_toxic(
        self,
        proxy: str,
        type: str,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": dict(attributes or {}),
        }
        if name is not None:
            body["name"] = name
        return self._object("POST", f"/proxies/{_seg(proxy)}/toxics", body)

    def get_toxic(self, proxy: str, name: str) -> dict[str, Any]:
        return self._object("GET", f"/proxies/{_seg(proxy)}/toxics/{_seg(name)}")

    def update_toxic(
        self, proxy: str, name: str, attributes: dict[str, Any] | None = None, toxicity: float | None = None
    ) -> dict[str, Any]:
        """Merge ``attributes`` over the toxic's current ones; applied live to open connections."""
        body: dict[str, Any] = {}
        if attributes is not None:
            body["attributes"] = attributes
        if toxicity is not None:
            body["toxicity"] = toxicity
        return self._object("POST", f"/proxies/{_seg(proxy)}/toxics/{_seg(name)}", body)

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{_seg(proxy)}/toxics/{_seg(name)}")

    # ---- interlock's observation endpoints (embedded server only) -----------------------------

    def observations(self, proxy: str, since: int = 0, limit: int | None = None) -> dict[str, Any]:
        """``{"observations": [...], "next": SEQ}``: requests that reached (or were answered for)
        the provider with ``seq >= since`` (at most ``limit``), and the cursor to pass as ``since``
        next time."""
        params: dict[str, Any] = {"since": since}
        if limit is not None:
            params["limit"] = limit
        return self._object("GET", f"/interlock/observations/{_seg(proxy)}", params=params)

    def clear_observations(self, proxy: str) -> None:
        self._call("DELETE", f"/interlock/observations/{_seg(proxy)}")

    def credentials(self, proxy: str) -> list[tuple[str, str]]:
        """``(header, value)`` of the credentials the consumer sent through ``proxy`` (Authorization,
        Cookie, X-Api-Key), so the run can mask them in its artefacts."""
        answer = self._object("GET", f"/interlock/credentials/{_seg(proxy)}")
        return [(str(name), str(value)) for name, value in answer.get("credentials", [])]


def _seg(name: str) -> str:
    return quote(name, safe="")


def _error(response: httpx.Response, method: str, path: str) -> ProxyApiError:
    message = response.text.strip()
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and "error" in data:
        message = str(data["error"])
    cls = _BY_STATUS.get(response.status_code, ProxyApiError)
    return cls(response.status_code, message or response.reason_phrase, method, path)
