"""The policy file as YAML: its values, and the node tree that says on which line each one is.

PyYAML's `safe_load` forgets where things were; composing the node tree first keeps every node's
mark, so a problem found later (by pydantic, at a path like `rules.1.match.tags`) can be pointed
at its line. The tree also shows what `safe_load` hides: a key given twice, whose second value
silently replaces the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["Parsed", "YamlSyntaxError", "duplicate_keys", "line_of", "null_values", "parse_yaml"]

_NULL = "tag:yaml.org,2002:null"

Path = Sequence[str | int]


class YamlSyntaxError(Exception):
    """The text is not one YAML document; `line` is 1-based, or None when PyYAML gives none."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Parsed:
    """What the file says (`data`), and its node tree (`root`, None for an empty document)."""

    data: Any
    root: Node | None


def parse_yaml(text: str) -> Parsed:
    """Compose then construct one document with the safe loader; raise YamlSyntaxError."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        words = " ".join(part for part in (exc.context, exc.problem) if part)
        raise YamlSyntaxError(
            words or "not valid YAML", mark.line + 1 if mark is not None else None
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(" ".join(str(exc).split()), None) from None
    finally:
        loader.dispose()
    return Parsed(data=data, root=root)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def line_of(root: Node | None, path: Path) -> int | None:
    """The line of the deepest node on `path` that exists (a key's line for mapping entries).

    A path may go on past what the file holds (a missing field, or the extra steps pydantic adds
    inside a union): the answer is then the line of the last part that is there.
    """
    if root is None:
        return None
    node, line = root, _line(root)
    for part in path:
        if isinstance(node, MappingNode):
            entry = _entry(node, part)
            if entry is None:
                break
            key, node = entry
            line = _line(key)
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = _line(node)
        else:
            break
    return line


def _entry(node: MappingNode, part: str | int) -> tuple[Node, Node] | None:
    # The last entry wins, as it does for the constructed value.
    found = None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == str(part):
            found = (key, value)
    return found


def null_values(root: Node | None) -> Iterator[tuple[tuple[str | int, ...], int]]:
    """Each mapping entry whose value is null (`key:` with nothing, `~`): its path and line."""
    for path, _mapping, key, value in _entries(root):
        if isinstance(value, ScalarNode) and value.tag == _NULL:
            yield path, _line(key)


def duplicate_keys(root: Node | None) -> Iterator[tuple[tuple[str | int, ...], int]]:
    """Each key given a second time in one mapping: its path and the line of the repeat."""
    seen: set[tuple[int, str]] = set()
    for path, mapping, key, _value in _entries(root):
        if (id(mapping), key.value) in seen:
            yield path, _line(key)
        seen.add((id(mapping), key.value))


def _entries(
    root: Node | None,
) -> Iterator[tuple[tuple[str | int, ...], MappingNode, ScalarNode, Node]]:
    """Every mapping entry with a text key, depth first in file order: path, its mapping, key,
    value."""
    if root is None:
        return
    stack: list[tuple[tuple[str | int, ...], Node]] = [((), root)]
    visited: set[int] = set()
    while stack:
        path, node = stack.pop()
        # Aliases share nodes; visit each once.
        if id(node) in visited:
            continue
        visited.add(id(node))
        children: list[tuple[tuple[str | int, ...], Node]] = []
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    yield (*path, key.value), node, key, value
                    children.append(((*path, key.value), value))
        elif isinstance(node, SequenceNode):
            children = [((*path, index), item) for index, item in enumerate(node.value)]
        stack.extend(reversed(children))
