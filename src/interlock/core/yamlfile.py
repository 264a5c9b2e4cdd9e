"""Load YAML while remembering the line of every key, so errors can say ``file:line``.

PyYAML's composer keeps a mark on every node; we walk the node tree next to the constructed
data and record the line of each path (a tuple of keys and list indexes). Duplicate keys,
which PyYAML silently resolves to the last one, are reported as errors.

Input files come from users and from other teams' repositories, so a document is measured
before anything walks it: aliases may repeat a node (a few hundred bytes can stand for billions
of nodes, the "billion laughs"), and nesting may be deeper than Python's stack. Either is a
ConfigError, in time and memory bounded by the file's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlock.core.errors import ConfigError

PathKey = tuple[str | int, ...]

#: The most nodes a document may have with its aliases expanded; interlock's files have hundreds.
MAX_NODES = 100_000
#: The deepest nesting of mappings and lists a document may have.
MAX_DEPTH = 200
#: The largest YAML file read. The reader keeps line numbers for every value and runs at about
#: 0.4 MB/s (benchmarks/large_inputs.py), so this bounds a load to about a minute; the largest real
#: YAML OpenAPI documents are a few MB, interlock's own files a few KB.
MAX_YAML_BYTES = 24 * 1024 * 1024


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
    """Parse ``path``; missing files, syntax errors, duplicate keys and a file over MAX_YAML_BYTES
    raise ConfigError."""
    try:
        size = path.stat().st_size
    except (OSError, ValueError):
        size = 0  # read_input names the problem
    if size > MAX_YAML_BYTES:
        raise ConfigError(
            f"too large: {size / 1024 / 1024:.0f} MB (interlock reads YAML files up to"
            f" {MAX_YAML_BYTES // 1024 // 1024} MB)",
            path,
        )
    return parse_yaml(read_input(path), path)


def parse_yaml(text: str, path: Path) -> YamlDocument:
    """Parse YAML text that came from ``path`` (used in messages only)."""
    try:
        # The reader checks the characters here already: a NUL byte is a ReaderError.
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}".splitlines()[0], path) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(path, None, {})
        _check_size(node, path)
        _keys_are_names(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", path, line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path) from None
    except RecursionError:  # PyYAML composes recursively: nesting deeper than the stack
        raise ConfigError(f"invalid YAML: nested more than {MAX_DEPTH} levels deep", path) from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    _record_lines(node, (), lines, path)
    return YamlDocument(path, data, lines)


def _check_size(root: yaml.Node, path: Path) -> None:
    """Reject a document deeper than MAX_DEPTH, or one whose aliases expand it past MAX_NODES values
    and past twice its own size.

    Sizes are computed once per distinct node (an alias is the same node object again), so this
    costs what the file's own nodes cost, however far its aliases would expand. A large file
    without aliases is as big expanded as written, so its size is the reader's concern (linear),
    never an alias bomb; a bomb is a few hundred nodes that stand for billions.
    """
    sizes: dict[int, int] = {}
    lines: dict[int, int] = {}
    # Iterative post-order walk: (node, depth, children done?).
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if id(node) in sizes:
            continue
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"invalid YAML: nested more than {MAX_DEPTH} levels deep", path, node.start_mark.line + 1
            )
        children = _children(node)
        if done:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            lines[id(node)] = node.start_mark.line + 1
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)
    limit = max(MAX_NODES, 2 * len(sizes))
    if sizes[id(root)] > limit:
        line = min(lines[key] for key, size in sizes.items() if size > limit)
        raise ConfigError(
            f"invalid YAML: more than {limit} values once its aliases are expanded (an alias bomb?)",
            path,
            line,
        )


_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"


def _keys_are_names(root: yaml.Node) -> None:
    """A plain ``on:``/``off:``/``yes:``/``no:`` key stays a string.

    YAML 1.1 (PyYAML) reads them as booleans, so ``on: checkout-payments`` would become
    ``{True: ...}``. Keys in interlock's files (and in the documents it reads) are names, never
    booleans; values are left as YAML reads them.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag == _BOOL_TAG and key.style is None:
                    key.tag = _STR_TAG
        stack.extend(_children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


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
