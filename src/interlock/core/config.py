"""The one way interlock reads its input files into models.

Every file kind (manifest, fuzz suite, fuzz baseline, experiment, resilience policy, load
profile) is a tree of pydantic models, validated through :func:`validate_model`, which turns
pydantic's errors into one ``file:line: message`` ConfigError: so a typo, a missing key or a bad
value reads the same whichever file it is in. Hand-written files use :class:`Strict` models:
unknown keys are errors (a typo must not be silently ignored), and models are frozen.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from interlock.core.errors import ConfigError
from interlock.core.yamlfile import PathKey, YamlDocument

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """The base of every model read from a hand-written file: unknown keys are errors, frozen.

    ``populate_by_name`` lets code build a model by field name where the file uses an alias
    (``json`` for a probe's body).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def validate_model(model: type[M], data: Any, doc: YamlDocument, prefix: PathKey = ()) -> M:
    """``model.model_validate(data)``, with the first problem as a ConfigError at its line.

    ``prefix`` is where ``data`` sits in ``doc`` when it is not the whole document (a policy
    inside the manifest), so the line and the key path point into the file.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, model, doc, prefix) from None


def config_error(
    exc: ValidationError, model: type[BaseModel], doc: YamlDocument, prefix: PathKey = ()
) -> ConfigError:
    """Pydantic's errors as one ``file:line: message`` line: the cause first, a count of the rest.

    A typo'd key also makes the real key "missing"; the typo is the cause, so it is reported
    first, with a "did you mean", and the "missing" it caused is not counted as another problem.
    """
    errors = exc.errors(include_url=False)
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    model_loc = _clean(first["loc"])
    loc: PathKey = (*prefix, *model_loc)
    suggested: str | None = None
    if first["type"] == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _keys_at(model, model_loc[:-1]), n=1)
        suggested = close[0] if close else None
        message = f"unknown key '{key}'" + did_you_mean(key, [suggested] if suggested else []) + _inside(loc)
    elif first["type"] == "missing":
        message = f"missing required key '{loc[-1]}'" + _inside(loc)
    else:
        where = ".".join(str(p) for p in loc)
        msg = first["msg"].removeprefix("Value error, ")
        message = f"{where}: {msg}" if where else msg
        if "input" in first and not isinstance(first["input"], dict | list):
            got = repr(first["input"])
            if got not in message:
                message += f" (got {got})"
    others = [e for e in errors if e is not first and not _caused_by_typo(e, model_loc, suggested)]
    if others:
        message += f" (and {len(others)} more problem{'s' if len(others) > 1 else ''})"
    return doc.error(loc, message)


def did_you_mean(word: str, choices: list[str]) -> str:
    """`` (did you mean 'X'?)`` for the choice closest to a misspelt ``word``; empty if none is close."""
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _inside(loc: PathKey) -> str:
    return f" in {'.'.join(str(p) for p in loc[:-1])}" if len(loc) > 1 else ""


def _clean(loc: tuple[int | str, ...]) -> PathKey:
    """The error's location in the file: without pydantic's validator and union-member steps."""
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))


def _caused_by_typo(error: ErrorDetails, typo_loc: PathKey, suggested: str | None) -> bool:
    """The "missing" error for the key that a reported typo was meant to be."""
    return (
        suggested is not None
        and error["type"] == "missing"
        and _clean(error["loc"]) == (*typo_loc[:-1], suggested)
    )


def _keys_at(model: type[BaseModel], loc: PathKey) -> list[str]:
    """The keys a file may write in the mapping at ``loc``, for 'did you mean' hints."""
    annotation: Any = model
    for part in loc:
        annotation = next(
            (below for member in _members(annotation) if (below := _step(member, part)) is not None), None
        )
        if annotation is None:
            return []
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return [f.alias or name for name, f in member.model_fields.items() if not f.exclude]
    return []


def _step(annotation: Any, part: str | int) -> Any:
    """The annotation one key (field, dict key or list index) below ``annotation``; None if none."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (list, tuple, set, frozenset) and args and isinstance(part, int):
        return args[0]
    return None


def _members(annotation: Any) -> Iterator[Any]:
    """``X`` for ``X``, ``Annotated[X, ...]``, and each non-None member of a union."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _members(get_args(annotation)[0])
    elif origin is Union or origin is types.UnionType:
        for arg in get_args(annotation):
            if arg is not type(None):
                yield from _members(arg)
    else:
        yield annotation
