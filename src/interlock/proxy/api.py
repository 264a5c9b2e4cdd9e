"""The Toxiproxy HTTP API, byte for byte where a client can tell, plus interlock's observation endpoints.

Served by aiohttp's low-level server (``aiohttp.web.Server``) with one handler and a hand-made
route table. aiohttp gives a robust HTTP/1.1 implementation (keep-alive, chunked bodies, limits)
on top of the same event loop as the proxies, while routing by hand reproduces gorilla/mux's
behaviour exactly: ``404 page not found`` for unknown paths (a trailing slash included), an empty
405 for a known path with the wrong method, a 301 to the clean path for ``//proxies`` or
``/a/../b``, the request-id header only on matched routes, and the browser block (403) before any
handler runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import quote

from aiohttp import web

from interlock import __version__
from interlock.proxy import gojson
from interlock.proxy.registry import ApiError, PopulateError, Registry

VERSION = f"2.12.0+interlock.{__version__}"
_ERROR_HEADERS = {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}
_JSON = {"Content-Type": "application/json"}
_REQUEST_ID = "X-Toxiproxy-Request-Id"

Handler = Callable[["Api", web.BaseRequest, dict[str, str]], Awaitable[web.StreamResponse]]


class Api:
    """Maps HTTP requests to :class:`Registry` calls, one at a time for changes (like Go's locks)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._lock = asyncio.Lock()
        self._ids = _RequestIds()

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        clean = _clean_path(request.path)
        if clean != request.path:  # gorilla/mux redirects an unclean path (//proxies, /a/../b)
            query = request.raw_path.partition("?")[2]
            location = quote(clean, safe="/$&+,:;=@") + (f"?{query}" if query else "")
            return web.Response(status=301, body=b"", headers={"Location": location})
        route = _match(request.path)
        if route is None:
            return web.Response(status=404, body=b"404 page not found\n", headers=dict(_ERROR_HEADERS))
        methods, params = route
        handler = methods.get(request.method)
        if handler is None:
            return web.Response(status=405, body=b"")
        request_id = {_REQUEST_ID: self._ids.next()}
        if request.headers.get("User-Agent", "").startswith("Mozilla/"):
            return web.Response(
                status=403, body=b"User agent not allowed\n", headers={**_ERROR_HEADERS, **request_id}
            )
        try:
            response = await handler(self, request, params)
        except PopulateError as exc:
            response = _json(
                {
                    "error": exc.message,
                    "status": exc.status,
                    "proxies": [p.as_json() for p in exc.done] or None,
                },
                exc.status,
            )
        except ApiError as exc:
            if request.path == "/populate":
                response = _json({"error": exc.message, "status": exc.status, "proxies": None}, exc.status)
            else:
                response = _error(exc.status, exc.message)
        response.headers.update(request_id)
        return response

    # ---- Toxiproxy endpoints ------------------------------------------------------------------

    async def version(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        return web.Response(
            status=200,
            body=f'{{"version": "{VERSION}"}}\n'.encode(),
            headers={"Content-Type": "application/json;charset=utf-8"},
        )

    async def list_proxies(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        proxies = self.registry.proxies
        return _json({name: proxies[name].as_json() for name in sorted(proxies)})

    async def create_proxy(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        body = await request.read()
        async with self._lock:
            proxy = await self.registry.create(body)
        return _json(proxy.as_json(), 201)

    async def show_proxy(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        return _json(self.registry.get(params["proxy"]).as_json())

    async def update_proxy(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        body = await request.read()
        async with self._lock:
            proxy = await self.registry.update(params["proxy"], body)
        return _json(proxy.as_json())

    async def delete_proxy(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        async with self._lock:
            self.registry.delete(params["proxy"])
        return web.Response(status=204)

    async def populate(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        body = await request.read()
        async with self._lock:
            proxies = await self.registry.populate(body)
        return _json({"proxies": [p.as_json() for p in proxies] or None}, 201)

    async def reset(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        async with self._lock:
            await self.registry.reset()
        return web.Response(status=204)

    async def list_toxics(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        proxy = self.registry.get(params["proxy"])
        return _json([t.as_json() for t in proxy.ordered_toxics()])

    async def create_toxic(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        body = await request.read()
        async with self._lock:
            toxic = self.registry.add_toxic(params["proxy"], body)
        return _json(toxic.as_json())

    async def show_toxic(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        return _json(self.registry.get_toxic(params["proxy"], params["toxic"]).as_json())

    async def update_toxic(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        body = await request.read()
        async with self._lock:
            toxic = self.registry.update_toxic(params["proxy"], params["toxic"], body)
        return _json(toxic.as_json())

    async def delete_toxic(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        async with self._lock:
            self.registry.remove_toxic(params["proxy"], params["toxic"])
        return web.Response(status=204)

    # ---- interlock's observation endpoints ----------------------------------------------------

    async def observations(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        self.registry.get(params["proxy"])
        since = _int_query(request, "since", 0)
        limit = _int_query(request, "limit", 0) or None
        records, cursor = self.registry.log(params["proxy"]).since(since, limit)
        # The C encoder: a full log is 100 000 records, and this is interlock's own endpoint.
        body = json.dumps(
            {"observations": [r.as_json() for r in records], "next": cursor}, separators=(",", ":")
        ).encode()
        return web.Response(status=200, body=body, headers=dict(_JSON))

    async def credentials(self, request: web.BaseRequest, params: dict[str, str]) -> web.StreamResponse:
        """``{"credentials": [[header, value], ...]}``: what the run must mask in its artefacts."""
        self.registry.get(params["proxy"])
        seen = [list(pair) for pair in self.registry.log(params["proxy"]).credentials]
        return web.Response(status=200, body=json.dumps({"credentials": seen}).encode(), headers=dict(_JSON))

    async def clear_observations(
        self, request: web.BaseRequest, params: dict[str, str]
    ) -> web.StreamResponse:
        self.registry.get(params["proxy"])
        self.registry.log(params["proxy"]).clear()
        return web.Response(status=204)


def _int_query(request: web.BaseRequest, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, not {text!r}") from None


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=gojson.encode(value), headers=dict(_JSON))


def _error(status: int, message: str) -> web.Response:
    body = gojson.encode({"error": message, "status": status}) + b"\n"
    return web.Response(status=status, body=body, headers=dict(_ERROR_HEADERS))


_NAME = "([^/]+)"
_ROUTES: list[tuple[re.Pattern[str], tuple[str, ...], dict[str, Handler]]] = [
    (re.compile(pattern), names, cast(dict[str, Handler], methods))
    for pattern, names, methods in [
        ("/version", (), {"GET": Api.version}),
        ("/proxies", (), {"GET": Api.list_proxies, "POST": Api.create_proxy}),
        ("/populate", (), {"POST": Api.populate}),
        ("/reset", (), {"POST": Api.reset}),
        (
            f"/proxies/{_NAME}",
            ("proxy",),
            {
                "GET": Api.show_proxy,
                "POST": Api.update_proxy,
                "PATCH": Api.update_proxy,
                "DELETE": Api.delete_proxy,
            },
        ),
        (f"/proxies/{_NAME}/toxics", ("proxy",), {"GET": Api.list_toxics, "POST": Api.create_toxic}),
        (
            f"/proxies/{_NAME}/toxics/{_NAME}",
            ("proxy", "toxic"),
            {
                "GET": Api.show_toxic,
                "POST": Api.update_toxic,
                "PATCH": Api.update_toxic,
                "DELETE": Api.delete_toxic,
            },
        ),
        (
            f"/interlock/observations/{_NAME}",
            ("proxy",),
            {"GET": Api.observations, "DELETE": Api.clear_observations},
        ),
        (f"/interlock/credentials/{_NAME}", ("proxy",), {"GET": Api.credentials}),
    ]
]


def _clean_path(path: str) -> str:
    """gorilla/mux's ``cleanPath``: Go's ``path.Clean``, keeping a trailing slash."""
    rooted = path if path.startswith("/") else "/" + path
    parts: list[str] = []
    for segment in rooted.split("/"):
        if segment == "..":
            if parts:
                parts.pop()
        elif segment not in ("", "."):
            parts.append(segment)
    clean = "/" + "/".join(parts)
    return clean + "/" if rooted.endswith("/") and clean != "/" else clean


def _match(path: str) -> tuple[dict[str, Handler], dict[str, str]] | None:
    for pattern, names, methods in _ROUTES:
        found = pattern.fullmatch(path)
        if found:
            return methods, dict(zip(names, found.groups(), strict=False))
    return None


class _RequestIds:
    """20-character xid-style ids (base32hex of time, machine, pid and a counter), like Toxiproxy's."""

    _ALPHABET = "0123456789abcdefghijklmnopqrstuv"

    def __init__(self) -> None:
        self._machine = os.urandom(3)
        self._pid = os.getpid() & 0xFFFF
        self._counter = int.from_bytes(os.urandom(3), "big")

    def next(self) -> str:
        self._counter = (self._counter + 1) & 0xFFFFFF
        raw = (
            int(time.time()).to_bytes(4, "big")
            + self._machine
            + self._pid.to_bytes(2, "big")
            + self._counter.to_bytes(3, "big")
        )
        number = int.from_bytes(raw, "big") << 4  # 96 bits -> 100 bits = 20 base32 digits
        return "".join(self._ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(20)))


def make_server(api: Api) -> web.Server:
    """The aiohttp protocol factory for the API (no access log: changes are logged by the registry)."""
    return web.Server(api.handle, access_log=None)
