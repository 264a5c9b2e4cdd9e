"""The one way interlock reads its YAML files into models.

Every file kind (manifest, suite, experiment, policy, load profile) is a tree of :class:`Strict`
pydantic models: unknown keys are errors (a typo must not be silently ignored), and models are
frozen. :func:`validate_model` turns pydantic's first error into one ``file:line`` ConfigError,
so every file kind reports bad input the same way.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from interlock.core.yamlfile import PathKey, YamlDocument


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def validate_model(model: type[BaseModel], data: Any, doc: YamlDocument, prefix: PathKey = ()) -> Any:
    """``model.model_validate(data)``, with the first problem as a ConfigError at its line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc: PathKey = (*prefix, *(p for p in first["loc"] if not (isinstance(p, str) and "[" in p)))
        where = ".".join(str(p) for p in loc)
        if first["type"] == "extra_forbidden":
            key = str(loc[-1])
            allowed = _fields_at(model, first["loc"][:-1])
            close = difflib.get_close_matches(key, allowed, n=1)
            message = f"unknown key '{key}'" + (f" (did you mean '{close[0]}'?)" if close else "")
            if len(loc) > 1:
                message += f" in {'.'.join(str(p) for p in loc[:-1])}"
        elif first["type"] == "missing":
            message = f"missing required key '{loc[-1]}'" + (
                f" in {'.'.join(str(p) for p in loc[:-1])}" if len(loc) > 1 else ""
            )
        else:
            msg = first["msg"].removeprefix("Value error, ")
            message = f"{where}: {msg}" if where else msg
            if "input" in first and not isinstance(first["input"], dict | list):
                message += f" (got {first['input']!r})"
        raise doc.error(loc, message) from None


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (and aliases) of the sub-model at ``loc``, for 'did you mean' hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = (
            current.model_fields.get(part)
            if isinstance(current, type) and issubclass(current, BaseModel)
            else None
        )
        if field is None:
            return []
        current = _model_in(field.annotation)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [f.alias or name for name, f in current.model_fields.items() if name != "path"]


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
