"""Hostile YAML is bad input: an alias bomb or deep nesting is one ConfigError, in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from interlock.core import yamlfile
from interlock.core.errors import ConfigError
from interlock.core.yamlfile import MAX_DEPTH, parse_yaml

# 353 bytes that stand for 10**9 strings once every alias is expanded.
BILLION_LAUGHS = """\
version: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_an_alias_bomb_is_rejected_quickly_with_its_line() -> None:
    started = time.monotonic()
    with pytest.raises(
        ConfigError, match=r"interlock.yaml:\d+: invalid YAML: more than 100000 values"
    ) as info:
        parse_yaml(BILLION_LAUGHS, Path("interlock.yaml"))
    assert time.monotonic() - started < 5
    assert "alias bomb" in str(info.value)


def test_aliases_that_stay_small_are_fine() -> None:
    doc = parse_yaml("base: &b {retries: 2}\none: *b\ntwo: *b\n", Path("p.yaml"))
    assert doc.data == {"base": {"retries": 2}, "one": {"retries": 2}, "two": {"retries": 2}}
    assert doc.line_of(("two", "retries")) == 1  # the alias' own node, where it was written


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 20_000])
def test_deep_nesting_is_one_config_error(depth: int) -> None:
    text = "version: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(ConfigError, match=r"p.yaml(:\d+)?: invalid YAML: nested more than 200 levels deep"):
        parse_yaml(text, Path("p.yaml"))


def test_nesting_within_the_limit_parses() -> None:
    depth = MAX_DEPTH - 2
    doc = parse_yaml("version: " + "[" * depth + "]" * depth + "\n", Path("p.yaml"))
    assert isinstance(doc.data["version"], list)


def test_a_recursive_anchor_is_rejected() -> None:
    with pytest.raises(ConfigError, match="invalid YAML"):
        parse_yaml("a: &a [1, *a]\n", Path("p.yaml"))


def test_a_character_yaml_does_not_allow_is_one_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^p.yaml: invalid YAML: unacceptable character #x0000"):
        parse_yaml("\x00version: 1\n", Path("p.yaml"))


def test_a_large_file_without_aliases_is_no_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound is on what aliases add: a big file as written is read (linearly), a bomb is not."""
    monkeypatch.setattr(yamlfile, "MAX_NODES", 100)
    plain = tmp_path / "plain.yaml"
    plain.write_text("".join(f"key{i}: [a, b, c]\n" for i in range(200)))  # ~1000 values, no alias
    assert len(yamlfile.load_yaml(plain).data) == 200
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    )
    with pytest.raises(ConfigError, match="aliases are expanded"):
        yamlfile.load_yaml(bomb)


def test_a_yaml_file_over_the_size_bound_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlfile, "MAX_YAML_BYTES", 1000)
    big = tmp_path / "interlock.yaml"
    big.write_text("version: 1\n" + "# padding\n" * 200)
    with pytest.raises(ConfigError, match=r"too large: 0 MB \(interlock reads YAML files up to 0 MB\)"):
        yamlfile.load_yaml(big)
