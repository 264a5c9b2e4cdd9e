"""Hostile JSON is bad input: deep nesting or a huge file is one ConfigError naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.core import jsonfile
from interlock.core.errors import ConfigError
from interlock.core.jsonfile import MAX_DEPTH, load_json, nesting_depth, parse_json


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 20_000])
def test_deep_nesting_is_one_config_error(depth: int) -> None:
    with pytest.raises(ConfigError, match=r"^p.json: invalid JSON: nested more than 200 levels deep$"):
        parse_json("[" * depth + "]" * depth, Path("p.json"))


def test_deep_objects_count_too() -> None:
    text = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    with pytest.raises(ConfigError, match="nested more than"):
        parse_json(text, Path("p.json"))


def test_nesting_within_the_limit_parses() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, Path("p.json")) is not None


def test_brackets_inside_strings_do_not_nest() -> None:
    value = {"s": "[" * 5000 + '\\"{{' + "\\", "t": ['"[[', "\\\\[["]}
    assert parse_json(json.dumps(value), Path("p.json")) == value


def test_invalid_json_names_the_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"^p.json:2: not valid JSON: "):
        parse_json('{"a": 1,\n oops}', Path("p.json"))


def test_a_file_over_the_size_bound_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonfile, "MAX_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text(json.dumps(["x" * 2000]))
    with pytest.raises(
        ConfigError, match=r"big.json: too large: 0 MB \(interlock reads JSON files up to 0 MB\)"
    ):
        load_json(big)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pact file not found"):
        load_json(tmp_path / "nope.json", missing="pact file not found")


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n'),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(alphabet='[]{}"\\k'), children, max_size=4)
    ),
    max_leaves=30,
)


@given(_json_values)
def test_the_measured_depth_is_the_real_depth(value: Any) -> None:
    assert nesting_depth(json.dumps(value).encode()) == _depth(value)
    assert nesting_depth(json.dumps(value, ensure_ascii=False, indent=1).encode()) == _depth(value)
