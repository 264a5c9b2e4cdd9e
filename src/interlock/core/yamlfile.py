"""Load YAML while remembering the line of every key, so errors can say ``file:line``.

PyYAML's composer keeps a mark on every node; we walk the node tree next to the constructed
data and record the line of each path (a tuple of keys and list indexes). Duplicate keys,
which PyYAML silently resolves to the last one, are reported as errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlock.core.errors import ConfigError

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document and the 1-based line of each path in it."""

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, loc: PathKey) -> int | None:
        """The line of ``loc``, or of its nearest ancestor that exists in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def error(self, loc: PathKey, message: str) -> ConfigError:
        """A ConfigError pointing at ``loc`` in this file."""
        return ConfigError(message, self.path, self.line_of(loc))


def read_input(path: Path, *, missing: str = "no such file", kind: str = "file") -> str:
    """The text of an input file; a missing or unreadable one is a ConfigError naming it (exit 2)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(missing, path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {kind}: {exc}", path) from None


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; missing files, syntax errors and duplicate keys raise ConfigError."""
    return parse_yaml(read_input(path), path)


def parse_yaml(text: str, path: Path) -> YamlDocument:
    """Parse YAML text that came from ``path`` (used in messages only)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(path, None, {})
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", path, line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path) from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    _record_lines(node, (), lines, path)
    return YamlDocument(path, data, lines)


def _record_lines(node: yaml.Node, loc: PathKey, lines: dict[PathKey, int], path: Path) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ConfigError(f"duplicate key '{key}'", path, key_node.start_mark.line + 1)
            seen.add(key)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*loc, index), lines, path)
