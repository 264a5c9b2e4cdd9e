"""Go's encoding/json as a Toxiproxy client sees it: field type errors and encoding of values."""

from __future__ import annotations

import math

import pytest

from interlock.proxy import gojson


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (True, "bool"),
        (1, "number"),
        (1.5, "number"),
        ("s", "string"),
        ([], "array"),
        ({}, "object"),
        (None, "null"),
    ],
)
def test_json_kind(value: object, kind: str) -> None:
    assert gojson.json_kind(value) == kind


def test_type_errors_name_the_field_and_go_type() -> None:
    where = "struct field Proxy.enabled"
    assert gojson.as_bool(True, where) is True
    with pytest.raises(gojson.GoJSONError) as raised:
        gojson.as_bool("yes", where)
    assert (
        str(raised.value) == "json: cannot unmarshal string into Go struct field Proxy.enabled of type bool"
    )
    assert gojson.as_string("x", "value") == "x"
    with pytest.raises(
        gojson.GoJSONError, match=r"^json: cannot unmarshal number into Go value of type string$"
    ):
        gojson.as_string(gojson.decode(b"5"), "value")
    with pytest.raises(
        gojson.GoJSONError, match=r"^json: cannot unmarshal bool into Go value of type int64$"
    ):
        gojson.as_int(True, "value")


def test_integer_fields() -> None:
    assert gojson.as_int(gojson.decode(b"-9223372036854775808"), "f") == gojson.INT64_MIN
    assert type(gojson.as_int(gojson.decode(b"42"), "f")) is int
    with pytest.raises(gojson.GoJSONError, match=r"cannot unmarshal number 1.5 into Go f of type uint32"):
        gojson.as_int(gojson.decode(b"1.5"), "f", "uint32")


def test_float32_fields_round_to_float32_and_reject_overflow() -> None:
    assert gojson.as_float32(gojson.decode(b"0.1"), "f") == gojson.to_float32(0.1) != 0.1
    assert gojson.as_float32(3, "f") == 3.0
    with pytest.raises(gojson.GoJSONError, match="cannot unmarshal number 1e39 into Go f of type float32"):
        gojson.as_float32(gojson.decode(b"1e39"), "f")
    with pytest.raises(gojson.GoJSONError, match="cannot unmarshal bool into Go f of type float32"):
        gojson.as_float32(False, "f")


def test_nan_and_infinity_literals_are_syntax_errors() -> None:
    for body, char in ((b"NaN", "N"), (b"Infinity", "I")):
        with pytest.raises(
            gojson.GoJSONError, match=f"invalid character '{char}' looking for beginning of value"
        ):
            gojson.decode(body)


def test_encoding_values() -> None:
    assert gojson.encode({"n": 2.0, "f": 0.25, "big": 1e21, "t": (1, "\u2028")}) == (
        b'{"n":2,"f":0.25,"big":1e+21,"t":[1,"\\u2028"]}'
    )
    assert gojson.encode("é") == '"é"'.encode()  # not \u-escaped, like Go
    assert gojson.encode(gojson.Float32(-0.0)) == b"-0"
    with pytest.raises(ValueError, match="unsupported value"):
        gojson.encode(gojson.Float32(math.inf))
