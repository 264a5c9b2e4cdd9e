"""JSON the way Toxiproxy's Go server reads and writes it.

Clients of the real server see Go's ``encoding/json`` behaviour, so the embedded server copies the
parts a client can observe:

* decoding reads ONE value and ignores trailing bytes (``json.Decoder.Decode``);
* object keys match struct fields case-insensitively (the last duplicate wins);
* ``null`` leaves a field at its current value;
* a wrong type is an error naming the Go struct field and type, and integer fields reject
  ``1.5`` and ``1e3`` (the literal is kept to say so);
* errors read like Go's (``EOF``, ``unexpected EOF``, ``invalid character 'x' ...``);
* encoding is compact, escapes ``<``, ``>``, ``&`` like Go, and prints float32 values with the
  shortest representation (``0.2``, not ``0.20000000298023224``).

Written by hand because no Python library reproduces Go's error texts, which the API returns.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from decimal import Decimal
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FLOAT32_MAX = 3.4028234663852886e38


class GoJSONError(ValueError):
    """A decode error whose text is what Go's encoding/json would say."""


class RawFloat(float):
    """A JSON number with a fraction or exponent, remembering its literal text."""

    literal: str


class RawInt(int):
    """A JSON integer literal, remembering its text (Go echoes it in overflow errors)."""

    literal: str


def _keep_literal(cls: type[RawFloat] | type[RawInt], convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(literal: str) -> Any:
        value = cls(convert(literal))
        value.literal = literal
        return value

    return parse


_DECODER = json.JSONDecoder(
    parse_float=_keep_literal(RawFloat, float),
    parse_int=_keep_literal(RawInt, int),
    parse_constant=lambda name: _raise_constant(name),
)
_WHITESPACE = b" \t\r\n"


def _raise_constant(name: str) -> Any:
    raise GoJSONError(f"invalid character '{name[0]}' looking for beginning of value")


def decode(body: bytes) -> Any:
    """Decode the first JSON value of ``body`` like ``json.NewDecoder(body).Decode``."""
    text = body.decode("utf-8", errors="replace")
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise GoJSONError("EOF")
    try:
        value, _end = _DECODER.raw_decode(stripped)
    except json.JSONDecodeError as exc:
        raise GoJSONError(_syntax_message(stripped, exc.pos)) from None
    return value


def _syntax_message(text: str, pos: int) -> str:
    """Go's scanner message for the syntax error that Python found at ``pos``."""
    if pos >= len(text):
        return "unexpected EOF"
    # Python reports a literal's start; Go reports the first wrong character inside it.
    for literal in ("null", "true", "false"):
        if text[pos] == literal[0]:
            for index, expected in enumerate(literal[1:], start=1):
                if pos + index >= len(text):
                    return "unexpected EOF"
                found = text[pos + index]
                if found != expected:
                    return f"invalid character {_quote_char(found)} in literal {literal} (expecting '{expected}')"
    char = text[pos]
    before = text[:pos].rstrip()
    if before.endswith(("{", ",")):
        if before.endswith("{") and char == "}":
            pass
        else:
            return f"invalid character {_quote_char(char)} looking for beginning of object key string"
    if before.endswith((":", "[")) or not before:
        return f"invalid character {_quote_char(char)} looking for beginning of value"
    if _inside_object(before):
        if _after_key(before):
            return f"invalid character {_quote_char(char)} after object key"
        return f"invalid character {_quote_char(char)} after object key:value pair"
    return f"invalid character {_quote_char(char)} after array element"


def _inside_object(before: str) -> bool:
    depth: list[str] = []
    in_string = escaped = False
    for char in before:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth.append(char)
        elif char in "}]" and depth:
            depth.pop()
    return bool(depth) and depth[-1] == "{"


def _after_key(before: str) -> bool:
    """True when the text ends with an object key that has no colon yet."""
    if not before.endswith('"'):
        return False
    head = before[:-1]
    start = head.rfind('"')
    return start >= 0 and head[:start].rstrip().endswith(("{", ","))


def _quote_char(char: str) -> str:
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    if char.isprintable():
        return f"'{char}'"
    return repr(char)


def json_kind(value: Any) -> str:
    """The JSON type name Go uses in 'cannot unmarshal X into ...'."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def fields(obj: dict[str, Any]) -> dict[str, Any]:
    """Keys folded to lower case, as Go matches them to struct fields (the last duplicate wins)."""
    return {key.lower(): value for key, value in obj.items()}


def type_error(value: Any, where: str, go_type: str) -> GoJSONError:
    kind = json_kind(value)
    if kind == "number" and go_type.startswith(("int", "uint", "float")):
        # Go names the literal only when a number does not fit a numeric field.
        literal = getattr(value, "literal", repr(value))
        kind = f"number {literal}"
    return GoJSONError(f"json: cannot unmarshal {kind} into Go {where} of type {go_type}")


def as_string(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    raise type_error(value, where, "string")


def as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise type_error(value, where, "bool")


def as_int(value: Any, where: str, go_type: str = "int64") -> int:
    """An integer field: floats (``1.5``, ``1e3``) and out-of-range values are rejected like Go."""
    if isinstance(value, int) and not isinstance(value, bool) and not isinstance(value, RawFloat):
        if INT64_MIN <= value <= INT64_MAX:
            return int(value)
    raise type_error(value, where, go_type)


def as_float32(value: Any, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if abs(float(value)) <= FLOAT32_MAX:
            return to_float32(float(value))
    raise type_error(value, where, "float32")


def to_float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


class Float32(float):
    """A float32 value; :func:`encode` prints it the way Go prints a float32."""


def _format_float32(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError("unsupported value")
    target = to_float32(value)
    for digits in range(1, 10):
        candidate = f"{target:.{digits}g}"
        if to_float32(float(candidate)) == target:
            break
    absolute = abs(target)
    if absolute != 0 and (absolute < 1e-6 or absolute >= 1e21):
        mantissa, exponent = f"{float(candidate):.{digits - 1}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        sign, number = exponent[0], exponent[1:].lstrip("0") or "0"
        # strconv pads the exponent to two digits; encoding/json then trims "e-07" to "e-7".
        if len(number) < 2 and sign != "-":
            number = "0" + number
        return f"{mantissa}e{'-' if sign == '-' else '+'}{number}"
    text = format(Decimal(candidate), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text != "-0" else "-0"


def encode(value: Any) -> bytes:
    """Compact JSON with Go's HTML escaping and float32 formatting."""
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    if isinstance(value, Float32):
        return _format_float32(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, float) and math.isfinite(value) and not isinstance(value, bool):
        # Go prints float64 1.0 as 1 (shortest form, no exponent below 1e21).
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return json.dumps(value)


def _string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    return (
        encoded.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
