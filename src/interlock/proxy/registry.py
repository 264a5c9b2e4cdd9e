"""The proxies and their toxics, with Toxiproxy's rules for creating, updating and replacing them.

Everything here mirrors what was measured on the real Toxiproxy 2.x server: validation order,
error texts and codes, populate's keep/replace rule, attribute merge on toxic update, toxics that
survive disable/enable, and a listen address that becomes the bound address once started. The
HTTP layer (:mod:`interlock.proxy.api`) only maps requests to these calls.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from interlock.proxy import addresses, gojson
from interlock.proxy.link import DOWNSTREAM, UPSTREAM, Connection
from interlock.proxy.observe import ConnectionObserver, ObservationLog
from interlock.proxy.refuse import Refuser
from interlock.proxy.toxics import KINDS, Kind, Stub

_BACKLOG = 1024


class ApiError(Exception):
    """An error the API returns as ``{"error": message, "status": code}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_body(detail: str) -> ApiError:
    return ApiError(400, f"bad request body: {detail}")


PROXY_NOT_FOUND = (404, "proxy not found")
TOXIC_NOT_FOUND = (404, "toxic not found")


@dataclass
class Toxic:
    """A toxic as the API holds it; its stubs on open connections read these values live."""

    name: str
    type: str
    stream: str  # as sent (echoed verbatim: "UPSTREAM" stays "UPSTREAM")
    direction: str  # upstream | downstream
    toxicity: float
    attributes: dict[str, Any]
    kind: Kind

    def as_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": gojson.Float32(self.toxicity),
        }


@dataclass
class Proxy:
    """One proxy: a listener, the connections it accepted, and its toxic chain."""

    registry: Registry
    name: str
    listen: str
    upstream: str
    enabled: bool = False
    toxics: list[Toxic] = field(default_factory=list)
    server: asyncio.AbstractServer | None = None
    connections: set[Connection] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "Logger": {},
            "toxics": [t.as_json() for t in self.ordered_toxics()],
        }

    def ordered_toxics(self) -> list[Toxic]:
        """Upstream toxics first, then downstream, each in insertion order (the chain order)."""
        return self.chain(UPSTREAM) + self.chain(DOWNSTREAM)

    def chain(self, direction: str) -> list[Toxic]:
        return [t for t in self.toxics if t.direction == direction]

    def find_toxic(self, name: str) -> Toxic | None:
        return next((t for t in self.toxics if t.name == name), None)

    # ---- listener ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind ``listen`` and accept; raises ApiError 500 with Go's error text when it cannot."""
        if self.enabled:
            return
        try:
            address = addresses.resolve(self.listen)
        except addresses.AddressError as exc:
            raise ApiError(500, addresses.listen_error(self.listen, exc)) from None
        sock, wildcard = _bind(address)
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._accept, sock=sock, backlog=_BACKLOG)
        self.listen = addresses.printed(sock.getsockname(), wildcard)
        self.enabled = True

    def _accept(self) -> asyncio.Protocol:
        if any(t.kind.refuses_connections for t in self.toxics):
            return Refuser(self.registry.log(self.name))  # the provider is down: count, then reset
        connection = Connection(self, asyncio.get_running_loop(), self.registry.rng)
        return connection.client

    def stop(self) -> None:
        """Close the listener and every connection (clients see EOF)."""
        if self.server is not None:
            self.server.close()
            self.server = None
        for connection in list(self.connections):
            connection.close()
        self.connections.clear()
        self.enabled = False

    # ---- connections (called by Connection) ---------------------------------------------------

    def connection_opened(self, connection: Connection) -> None:
        self.connections.add(connection)
        connection.observer = ConnectionObserver(connection, self.registry.log(self.name))

    def connection_ready(self, connection: Connection) -> None:
        observer = connection.observer
        if observer is not None:
            connection.upstream.on_deliver = observer.on_request_bytes
            connection.downstream.on_read = observer.on_response_bytes
        connection.install(
            [Stub(t, connection.upstream) for t in self.chain(UPSTREAM)],
            [Stub(t, connection.downstream) for t in self.chain(DOWNSTREAM)],
        )

    def connection_closed(self, connection: Connection) -> None:
        self.connections.discard(connection)

    # ---- live toxic changes -------------------------------------------------------------------

    def toxic_added(self, toxic: Toxic) -> None:
        for connection in self.connections:
            link = connection.link(toxic.direction)
            if link.source is None:
                continue  # still dialling; connection_ready installs the current chain
            stub = Stub(toxic, link)
            previous = link.chain[-1:]
            link.set_chain((*link.chain, stub), restarted=(*previous, stub))

    def toxic_updated(self, toxic: Toxic) -> None:
        for connection in self.connections:
            link = connection.link(toxic.direction)
            stubs = [s for s in link.chain if s.toxic is toxic]
            if stubs:
                link.set_chain(link.chain, restarted=stubs)

    def toxic_removed(self, toxic: Toxic) -> None:
        for connection in self.connections:
            link = connection.link(toxic.direction)
            chain = list(link.chain)
            for index, stub in enumerate(chain):
                if stub.toxic is toxic:
                    previous = chain[index - 1 : index]
                    del chain[index]
                    link.set_chain(chain, restarted=previous, removed=[stub])
                    break


def _bind(address: addresses.Address) -> tuple[socket.socket, bool]:
    """A listening socket like Go's ``net.Listen("tcp", ...)``; an empty host is dual-stack."""
    # Go listens dual-stack on [::] for an empty host and for 0.0.0.0 alike.
    wildcard = address.host in ("", "0.0.0.0")
    family = socket.AF_INET6 if wildcard or ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if wildcard:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::" if wildcard else address.host, address.port))
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ApiError(500, addresses.listen_error(str(address), exc)) from None
    return sock, wildcard


class Registry:
    """All proxies of one server, and the RNG that drives toxicity, jitter and slicer sizes."""

    def __init__(self, seed: int | None = None, on_change: Callable[[str], None] = lambda _m: None) -> None:
        self.rng = random.Random(seed)
        self.proxies: dict[str, Proxy] = {}
        self._logs: dict[str, ObservationLog] = {}
        self._on_change = on_change

    def log(self, name: str) -> ObservationLog:
        if name not in self._logs:
            self._logs[name] = ObservationLog()
        return self._logs[name]

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise ApiError(*PROXY_NOT_FOUND)
        return proxy

    # ---- proxies -----------------------------------------------------------------------------

    async def create(self, body: bytes) -> Proxy:
        fields = _object(decode_body(body), "Proxy")
        name = _str_field(fields, "name", "Proxy.name")
        listen = _str_field(fields, "listen", "Proxy.listen")
        upstream = _str_field(fields, "upstream", "Proxy.upstream")
        enabled = _bool_field(fields, "enabled", "Proxy.enabled", True)
        if not name:
            raise ApiError(400, "missing required field: name")
        if not upstream:
            raise ApiError(400, "missing required field: upstream")
        if name in self.proxies:
            raise ApiError(409, "proxy already exists")
        proxy = Proxy(self, name, listen, upstream)
        if enabled:
            await proxy.start()
        self.proxies[name] = proxy
        self._on_change(
            f"created proxy {name} listen={proxy.listen} upstream={upstream} enabled={proxy.enabled}"
        )
        return proxy

    async def update(self, name: str, body: bytes) -> Proxy:
        proxy = self.get(name)
        fields = _object(decode_body(body), "Proxy")
        listen = _str_field(fields, "listen", "Proxy.listen", proxy.listen)
        upstream = _str_field(fields, "upstream", "Proxy.upstream", proxy.upstream)
        enabled = _bool_field(fields, "enabled", "Proxy.enabled", proxy.enabled)
        try:
            resolved = str(addresses.resolve(listen))
        except addresses.AddressError as exc:
            raise ApiError(500, str(exc)) from None
        if proxy.listen != resolved or proxy.upstream != upstream:
            proxy.stop()
            proxy.listen, proxy.upstream = listen, upstream
        if enabled != proxy.enabled:
            if enabled:
                await proxy.start()
            else:
                proxy.stop()
        self._on_change(
            f"updated proxy {name} listen={proxy.listen} upstream={proxy.upstream} enabled={proxy.enabled}"
        )
        return proxy

    def delete(self, name: str) -> None:
        proxy = self.get(name)
        proxy.stop()
        del self.proxies[name]
        self._logs.pop(name, None)  # observations live as long as their proxy (a replace keeps them)
        self._on_change(f"deleted proxy {name}")

    async def populate(self, raw: bytes) -> list[Proxy]:
        """Validate every entry, then add or replace in order; ApiError carries the done ones."""
        body = decode_body(raw)
        if body is None:  # Go decodes null into a nil slice: nothing to do
            body = []
        if not isinstance(body, list):
            raise bad_body(
                f"json: cannot unmarshal {gojson.json_kind(body)} into Go value of type {_POPULATE_TYPE}"
            )
        entries = []
        for index, item in enumerate(body):
            if item is None:
                item = {}
            if not isinstance(item, dict):
                raise bad_body(
                    f"json: cannot unmarshal {gojson.json_kind(item)} into .{index} of type {_POPULATE_ITEM}"
                )
            fields = gojson.fields(item)
            entry = {
                "name": _str_field(fields, "name", f".{index}.name"),
                "listen": _str_field(fields, "listen", f".{index}.listen"),
                "upstream": _str_field(fields, "upstream", f".{index}.upstream"),
                "enabled": _bool_field(fields, "enabled", f".{index}.enabled", True),
            }
            entries.append(entry)
        for index, entry in enumerate(entries, start=1):
            if not entry["name"]:
                raise ApiError(400, f"missing required field: name at proxy {index}")
            if not entry["upstream"]:
                raise ApiError(400, f"missing required field: upstream at proxy {index}")
        done: list[Proxy] = []
        for entry in entries:
            try:
                done.append(await self._add_or_replace(entry))
            except ApiError as exc:
                raise PopulateError(exc.status, exc.message, done) from None
        return done

    async def _add_or_replace(self, entry: dict[str, Any]) -> Proxy:
        name = entry["name"]
        existing = self.proxies.get(name)
        if existing is not None:
            try:
                resolved = str(addresses.resolve(entry["listen"]))
            except addresses.AddressError:
                resolved = entry["listen"]
            if existing.listen in (resolved, entry["listen"]) and existing.upstream == entry["upstream"]:
                return existing
            existing.stop()
        proxy = Proxy(self, name, entry["listen"], entry["upstream"])
        if entry["enabled"]:
            await proxy.start()
        self.proxies[name] = proxy
        self._on_change(
            f"populated proxy {name} listen={proxy.listen} upstream={proxy.upstream} enabled={proxy.enabled}"
        )
        return proxy

    async def reset(self) -> None:
        """Enable every proxy and remove all toxics (proxies are kept)."""
        for proxy in list(self.proxies.values()):
            await proxy.start()
            for toxic in list(proxy.toxics):
                proxy.toxics.remove(toxic)
                proxy.toxic_removed(toxic)
        self._on_change("reset: every proxy enabled, every toxic removed")

    async def stop_all(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()

    # ---- toxics ------------------------------------------------------------------------------

    def add_toxic(self, proxy_name: str, body: bytes) -> Toxic:
        proxy = self.get(proxy_name)
        fields = _object(decode_body(body), "ToxicWrapper")
        name = _str_field(fields, "name", "ToxicWrapper.name")
        type_name = _str_field(fields, "type", "ToxicWrapper.type")
        stream = _str_field(fields, "stream", "ToxicWrapper.stream", "downstream")
        toxicity = _float32_field(fields, "toxicity", "ToxicWrapper.toxicity", 1.0)
        if stream.lower() not in (UPSTREAM, DOWNSTREAM):
            raise ApiError(400, "stream was invalid, can be either upstream or downstream")
        if not name:
            name = f"{type_name}_{stream}"
        kind = KINDS.get(type_name)
        if kind is None:
            raise ApiError(400, "invalid toxic type")
        if proxy.find_toxic(name) is not None:
            raise ApiError(409, "toxic already exists")
        attributes = decode_attributes(kind, fields.get("attributes"), kind.initial_attributes())
        toxic = Toxic(name, type_name, stream, stream.lower(), toxicity, attributes, kind)
        proxy.toxics.append(toxic)
        proxy.toxic_added(toxic)
        self._on_change(
            f"added toxic {name} ({type_name}, {toxic.direction}) to {proxy_name}: "
            f"{gojson.encode(toxic.as_json()).decode()}"
        )
        return toxic

    def get_toxic(self, proxy_name: str, toxic_name: str) -> Toxic:
        toxic = self.get(proxy_name).find_toxic(toxic_name)
        if toxic is None:
            raise ApiError(*TOXIC_NOT_FOUND)
        return toxic

    def update_toxic(self, proxy_name: str, toxic_name: str, body_bytes: bytes) -> Toxic:
        proxy = self.get(proxy_name)
        toxic = self.get_toxic(proxy_name, toxic_name)
        body = decode_body(body_bytes)
        fields = _object(
            body,
            'struct { Attributes interface {} "json:\\"attributes\\""; '
            'Toxicity float32 "json:\\"toxicity\\"" }',
        )
        attributes = decode_attributes(
            toxic.kind, fields.get("attributes"), dict(toxic.attributes), updating=True
        )
        toxicity = _float32_field(fields, "toxicity", ".toxicity", toxic.toxicity)
        toxic.attributes, toxic.toxicity = attributes, toxicity
        proxy.toxic_updated(toxic)
        self._on_change(
            f"updated toxic {toxic_name} on {proxy_name}: {gojson.encode(toxic.as_json()).decode()}"
        )
        return toxic

    def remove_toxic(self, proxy_name: str, toxic_name: str) -> None:
        proxy = self.get(proxy_name)
        toxic = self.get_toxic(proxy_name, toxic_name)
        proxy.toxics.remove(toxic)
        proxy.toxic_removed(toxic)
        self._on_change(f"removed toxic {toxic_name} from {proxy_name}")


class PopulateError(ApiError):
    """A populate that failed part-way: the proxies handled before the failure stay."""

    def __init__(self, status: int, message: str, done: list[Proxy]) -> None:
        super().__init__(status, message)
        self.done = done


#: Go's name for one populate entry (Toxiproxy embeds its Proxy struct and adds a nullable enabled).
_POPULATE_ITEM = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'
_POPULATE_TYPE = f"[]{_POPULATE_ITEM}"
#: Go package of each request struct, as its decode errors name it.
_GO_PACKAGE = {"Proxy": "toxiproxy", "ToxicWrapper": "toxics"}


def decode_body(body: bytes) -> Any:
    try:
        return gojson.decode(body)
    except gojson.GoJSONError as exc:
        raise bad_body(str(exc)) from None


def _object(value: Any, struct: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        go_type = struct if struct.startswith("struct") else f"{_GO_PACKAGE[struct]}.{struct}"
        raise bad_body(f"json: cannot unmarshal {gojson.json_kind(value)} into Go value of type {go_type}")
    return gojson.fields(value)


def _field(
    fields: dict[str, Any], key: str, where: str, default: Any, convert: Callable[[Any, str], Any]
) -> Any:
    """``fields[key]`` converted like Go decodes it; null or absent keeps ``default``."""
    value = fields.get(key)
    if value is None:
        return default
    try:
        return convert(value, f"struct field {where}")
    except gojson.GoJSONError as exc:
        raise bad_body(str(exc)) from None


def _str_field(fields: dict[str, Any], key: str, where: str, default: str = "") -> str:
    return str(_field(fields, key, where, default, gojson.as_string))


def _bool_field(fields: dict[str, Any], key: str, where: str, default: bool) -> bool:
    return bool(_field(fields, key, where, default, gojson.as_bool))


def _float32_field(fields: dict[str, Any], key: str, where: str, default: float) -> float:
    return float(_field(fields, key, where, default, gojson.as_float32))


def decode_attributes(
    kind: Kind, raw: Any, current: dict[str, Any], *, updating: bool = False
) -> dict[str, Any]:
    """Merge ``raw`` over ``current`` like Go decoding into the existing toxic struct.

    Error texts are those of Toxiproxy 2.12.0 as built (Go 1.27): a create decodes the wrapper
    first (its attributes still a ``NoopToxic``), an update decodes into the toxic's own struct;
    an attribute's field path has no struct name (``.attributes.latency``).
    """
    if raw is None:
        return current
    if not isinstance(raw, dict):
        field, go_type = (
            (".attributes", kind.struct) if updating else ("ToxicWrapper.attributes", "NoopToxic")
        )
        raise bad_body(
            f"json: cannot unmarshal {gojson.json_kind(raw)} into Go struct field {field} of type toxics.{go_type}"
        )
    values = gojson.fields(raw)
    merged = dict(current)
    for attribute in kind.attributes:
        if attribute.name not in values:
            continue
        value = values[attribute.name]
        where = f"struct field .attributes.{attribute.name}"
        try:
            if value is None:
                if attribute.go_type.startswith("*"):
                    merged[attribute.name] = None
                continue
            if attribute.go_type in ("int64", "int", "*int64"):
                merged[attribute.name] = gojson.as_int(value, where, attribute.go_type.lstrip("*"))
            elif attribute.go_type == "float64":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise gojson.type_error(value, where, "float64")
                merged[attribute.name] = float(value)
            else:
                merged[attribute.name] = gojson.as_string(value, where)
        except gojson.GoJSONError as exc:
            raise bad_body(str(exc)) from None
    try:
        kind.check_attributes(merged)
    except ValueError as exc:
        raise bad_body(str(exc)) from None
    return merged
