"""An OpenAPI 3.x document loaded for offline checks: operations, $refs, JSON pointers, validators.

Why by identity: jsonschema reports *which* subschema failed (``error.schema``) but not where
it lives once $refs were followed, and findings must name the spec location. Every dict and
list of the document is indexed by ``id()`` once, so the failing node's JSON pointer is a lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from interlock.core.errors import ConfigError
from interlock.core.jsonfile import parse_json
from interlock.core.yamlfile import parse_yaml, read_input

if TYPE_CHECKING:  # the validator libraries take ~0.3 s to import: only commands that check pay for it
    from jsonschema.protocols import Validator
    from referencing import Registry

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: The URI the document is registered under, so ``$ref`` wrappers can point into it.
DOC_URI = "urn:interlock:openapi"
_TEMPLATE_PART = re.compile(r"\{([^}/]+)\}")


def escape(token: str) -> str:
    """One JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


@dataclass(frozen=True)
class Operation:
    """One method on one path template, with its path-level parameters merged in."""

    method: str  # lower case, as in the document
    template: str
    spec: dict[str, Any]
    pointer: str  # e.g. /paths/~1payments/post
    parameters: tuple[tuple[dict[str, Any], str], ...]  # (resolved parameter, its pointer)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.template}"

    def parameter(self, location: str, name: str) -> tuple[dict[str, Any], str] | None:
        fold = str.lower if location == "header" else str
        return next(
            (
                (p, ptr)
                for p, ptr in self.parameters
                if p.get("in") == location and fold(str(p.get("name"))) == fold(name)
            ),
            None,
        )


@dataclass(frozen=True)
class PathMatch:
    """Where a concrete request path landed: an operation, or only a path with other methods."""

    template: str
    params: dict[str, str]
    operation: Operation | None
    allowed: tuple[str, ...] = ()


@dataclass
class SpecDocument:
    """A validated OpenAPI 3.0/3.1 document and where it came from (``origin`` names it in messages)."""

    data: dict[str, Any]
    origin: str
    _validators: dict[tuple[str, str], Validator] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return str(self.data.get("openapi", ""))

    @property
    def is_31(self) -> bool:
        return not self.version.startswith("3.0")

    @cached_property
    def _pointers(self) -> dict[int, str]:
        index: dict[int, str] = {}
        stack: list[tuple[Any, str]] = [(self.data, "")]
        while stack:
            node, pointer = stack.pop()
            if isinstance(node, dict):
                index.setdefault(id(node), pointer)
                stack.extend((v, f"{pointer}/{escape(str(k))}") for k, v in node.items())
            elif isinstance(node, list):
                index.setdefault(id(node), pointer)
                stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))
        return index

    def pointer_of(self, node: Any) -> str | None:
        """The JSON pointer of ``node`` if it is part of this document (not a copy)."""
        return self._pointers.get(id(node))

    def at(self, pointer: str) -> Any:
        node: Any = self.data
        for token in pointer.split("/")[1:] if pointer else []:
            token = unescape(token)
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def resolve(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow local ``$ref``s (``#/...``) from ``node``; returns the target and its pointer."""
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            ref = node["$ref"][1:]
            if ref in seen:
                break
            seen.add(ref)
            try:
                node, pointer = self.at(ref), ref
            except (KeyError, IndexError, ValueError, TypeError):
                raise ConfigError(
                    f"$ref '{node['$ref']}' at #{pointer} points at nothing", self.origin
                ) from None
        return node, pointer

    # -- operations ---------------------------------------------------------------------------

    @cached_property
    def operations(self) -> list[Operation]:
        found = []
        for template, item in (self.data.get("paths") or {}).items():
            item_ptr = f"/paths/{escape(template)}"
            item, item_ptr = self.resolve(item, item_ptr)
            if not isinstance(item, dict):
                continue
            shared = self._parameters(item.get("parameters") or [], f"{item_ptr}/parameters")
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                op_ptr = f"{item_ptr}/{method}"
                own = self._parameters(op.get("parameters") or [], f"{op_ptr}/parameters")
                keys = {(p.get("in"), p.get("name")) for p, _ in own}
                params = tuple(own + [p for p in shared if (p[0].get("in"), p[0].get("name")) not in keys])
                found.append(Operation(method, template, op, op_ptr, params))
        return found

    def operation(self, method: str, template: str) -> Operation | None:
        return next(
            (o for o in self.operations if o.method == method.lower() and o.template == template), None
        )

    def _parameters(self, raw: list[Any], pointer: str) -> list[tuple[dict[str, Any], str]]:
        resolved = [self.resolve(p, f"{pointer}/{i}") for i, p in enumerate(raw)]
        return [(p, ptr) for p, ptr in resolved if isinstance(p, dict)]

    @cached_property
    def base_path(self) -> str:
        """The spec's own base path (``/api/v1``), which pact paths may include."""
        return declared_base_path(self.data)

    def match_path(self, method: str, path: str) -> PathMatch | None:
        """The operation serving ``method path``; literal segments win over templated ones."""
        if self.base_path and path.startswith(self.base_path + "/"):
            path = path[len(self.base_path) :]
        segments = path.split("?")[0].rstrip("/").split("/") or [""]
        best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
        for template in {o.template for o in self.operations}:
            params = _match_template(template, segments)
            if params is None:
                continue
            parts = template.rstrip("/").split("/")
            rank = tuple(0 if _TEMPLATE_PART.search(p) else 1 for p in parts)
            if best is None or rank > best[0]:
                best = (rank, template, params)
        if best is None:
            return None
        _, template, params = best
        operation = self.operation(method, template)
        allowed = tuple(o.method.upper() for o in self.operations if o.template == template)
        return PathMatch(template, params, operation, allowed)

    # -- validation -----------------------------------------------------------------------------

    @cached_property
    def _registry(self) -> Registry:
        # imported here, not at the top: see the TYPE_CHECKING block
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4, DRAFT202012

        spec = DRAFT202012 if self.is_31 else DRAFT4
        registry: Registry[Any] = Registry().with_resource(
            DOC_URI, Resource.from_contents(self.data, default_specification=spec)
        )
        return registry

    def validator(self, pointer: str, *, response: bool) -> Validator:
        """A validator for the schema at ``pointer`` (3.0: readOnly/writeOnly differ by direction)."""
        # imported here, not at the top: see the TYPE_CHECKING block
        from openapi_schema_validator import (
            OAS30ReadValidator,
            OAS30WriteValidator,
            OAS31Validator,
            oas30_format_checker,
            oas31_format_checker,
        )

        key = (pointer, "response" if response else "request")
        if key not in self._validators:
            wrapper = {"$ref": f"{DOC_URI}#{quote(pointer, safe='/~')}"}  # a URI fragment: %-encode
            if self.is_31:
                self._validators[key] = OAS31Validator(
                    wrapper, registry=self._registry, format_checker=oas31_format_checker
                )
            else:
                cls = OAS30ReadValidator if response else OAS30WriteValidator
                self._validators[key] = cls(
                    wrapper, registry=self._registry, format_checker=oas30_format_checker
                )
        return self._validators[key]


def _match_template(template: str, segments: list[str]) -> dict[str, str] | None:
    parts = template.rstrip("/").split("/") or [""]
    if len(parts) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(parts, segments, strict=True):
        pieces = _TEMPLATE_PART.split(part)  # literal, name, literal, name, ..., literal
        if len(pieces) == 1:
            if part != segment:
                return None
            continue
        regex = "".join(
            re.escape(piece) if i % 2 == 0 else f"(?P<g{i}>.+?)" for i, piece in enumerate(pieces)
        )
        found = re.fullmatch(regex, segment)
        if found is None:
            return None
        params.update({pieces[i]: found.group(f"g{i}") for i in range(1, len(pieces), 2)})
    return params


def declared_base_path(data: Any) -> str:
    """The base path a spec declares for its operations: "" when none (or one it cannot know).

    OpenAPI 3: the path of the first ``servers`` URL (relative or absolute), with server variables
    replaced by their defaults; Swagger 2: ``basePath``. A path with an unresolved variable is "".
    """
    if not isinstance(data, dict):
        return ""
    if "swagger" in data:
        path = str(data.get("basePath") or "")
    else:
        servers = data.get("servers") or []
        server = servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], dict) else {}
        path = str(server.get("url", ""))
        variables = server.get("variables")
        for name, variable in variables.items() if isinstance(variables, dict) else []:
            if isinstance(variable, dict) and "default" in variable:
                path = path.replace("{" + str(name) + "}", str(variable["default"]))
        path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", path, flags=re.IGNORECASE)
    if "{" in path or not path.startswith("/"):
        return ""
    return path.rstrip("/")


def iter_json(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every (path, value) of a JSON value, containers included, parents first."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_json(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from iter_json(value, (*path, index))


# -- loading ------------------------------------------------------------------------------------


def parse_spec(
    text: str, origin: str, path_for_errors: Path | str | None = None, *, swagger2: bool = False
) -> SpecDocument:
    """Parse and validate an OpenAPI 3.x document (JSON or YAML); bad input raises a one-line ConfigError.

    ``swagger2``: a Swagger 2.0 document is validated as one instead of refused (the fuzz
    stage's schemathesis reads it; the pact checks here need OpenAPI 3).
    """
    # imported here, not at the top: see the TYPE_CHECKING block
    from openapi_spec_validator import validate as validate_openapi
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    where = path_for_errors if path_for_errors is not None else origin
    is_json = text.lstrip().startswith("{")
    data = parse_json(text, where) if is_json else parse_yaml(text, Path(str(where))).data
    if not isinstance(data, dict):
        raise ConfigError("not an OpenAPI document: the top level must be a mapping", where, 1)
    version = str(data.get("openapi", ""))
    if "swagger" in data and not swagger2:
        raise ConfigError("Swagger 2.0 is not supported: convert the spec to OpenAPI 3", where, 1)
    if "swagger" in data:
        version = str(data["swagger"])
    elif not re.match(r"^3\.[01]\.\d+", version):
        raise ConfigError(f"not an OpenAPI 3.0/3.1 document (openapi: {version or 'missing'})", where, 1)
    try:
        validate_openapi(data)
    except OpenAPIValidationError as exc:
        loc = tuple(exc.absolute_path)
        line = _line_of(text, where, loc)
        at = "/".join(str(p) for p in loc) or "the top level"
        raise ConfigError(
            f"not a valid OpenAPI {version} document: {exc.message.splitlines()[0][:200]} (at {at})",
            where,
            line,
        ) from None
    except RecursionError:  # the validator recurses per schema level (~80 levels) and round a $ref to itself
        raise ConfigError(
            f"not a valid OpenAPI {version} document: a $ref loop or schemas nested too deeply to validate",
            where,
        ) from None
    except Exception as exc:
        raise ConfigError(
            f"not a valid OpenAPI {version} document: {type(exc).__name__}: {exc}", where
        ) from None
    return SpecDocument(data, origin)


def _line_of(text: str, where: Path | str, loc: tuple[Any, ...]) -> int | None:
    try:
        doc = parse_yaml(text, Path(str(where)))
    except ConfigError:
        return None
    return doc.line_of(tuple(str(p) if not isinstance(p, int) else p for p in loc))


def load_spec(path: Path, *, swagger2: bool = False) -> SpecDocument:
    text = read_input(path, missing="OpenAPI file not found", kind="OpenAPI file")
    return parse_spec(text, str(path), path, swagger2=swagger2)
