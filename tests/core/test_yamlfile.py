"""YAML files load with the line of every key, and bad ones fail as one ``file:line`` ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.core.errors import ConfigError, ExitCode
from interlock.core.yamlfile import load_yaml, parse_yaml, read_input

TEXT = """\
version: 1
services:
  payments:
    run: python -m payments
    env:
      A: "1"
integrations:
  - name: checkout-payments
    pacts: [a.json, b.json]
"""


def test_every_path_has_its_line() -> None:
    doc = parse_yaml(TEXT, Path("interlock.yaml"))
    assert doc.data["services"]["payments"]["env"] == {"A": "1"}
    assert doc.lines[("version",)] == 1
    assert doc.lines[("services", "payments", "run")] == 4
    assert doc.lines[("services", "payments", "env", "A")] == 6
    assert doc.lines[("integrations", 0)] == 8
    assert doc.lines[("integrations", 0, "pacts", 1)] == 9


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    doc = parse_yaml(TEXT, Path("interlock.yaml"))
    assert doc.line_of(("services", "payments", "port")) == 3
    assert doc.line_of(("nowhere", "at", "all")) == 1  # the document itself
    error = doc.error(("services", "payments", "env", "B"), "bad env")
    assert str(error) == "interlock.yaml:5: bad env"
    assert error.exit_code == ExitCode.USAGE


def test_duplicate_keys_are_errors_at_the_second_one() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", Path("x.yaml"))
    assert (raised.value.message, raised.value.line) == ("duplicate key 'c'", 4)


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", Path("x.yaml"))
    assert raised.value.message.startswith("invalid YAML: ")
    assert raised.value.line is not None and raised.value.line >= 2
    assert str(raised.value).startswith(f"x.yaml:{raised.value.line}: invalid YAML")


def test_an_empty_document_is_none() -> None:
    doc = parse_yaml("# only a comment\n", Path("x.yaml"))
    assert doc.data is None and doc.lines == {}
    assert doc.line_of(("a",)) is None


def test_load_yaml_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("items:\n  - 1\n  - 2\n")
    doc = load_yaml(path)
    assert (doc.path, doc.data, doc.line_of(("items", 1))) == (path, {"items": [1, 2]}, 3)


def test_missing_and_unreadable_inputs_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pact file not found") as raised:
        read_input(tmp_path / "nope.json", missing="pact file not found")
    assert raised.value.path == tmp_path / "nope.json"
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="cannot read pact file: "):
        read_input(binary, kind="pact file")
    with pytest.raises(ConfigError, match="cannot read file: "):
        read_input(tmp_path)  # a directory


def test_plain_on_off_yes_no_keys_stay_names_and_values_stay_booleans(tmp_path: Path) -> None:
    """YAML 1.1 reads ``on:`` as True: a blast-radius fault's ``on: checkout-payments`` must stay a key."""
    path = tmp_path / "x.yaml"
    path.write_text("faults:\n  - on: checkout-payments\n    off: 1\n    down: yes\n")
    doc = load_yaml(path)
    assert doc.data == {"faults": [{"on": "checkout-payments", "off": 1, "down": True}]}
    assert doc.line_of(("faults", 0, "on")) == 2
