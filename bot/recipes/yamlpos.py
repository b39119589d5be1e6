"""YAML -> plain Python values plus the line of every field, so errors can point at it.

A field path is a tuple of mapping keys and list indices: ``("find", "ruff", "select", 1)``.
The line of a mapping entry is the line of its key; of a list item, the line the item starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from bot.errors import UserError

FieldPath = tuple[str | int, ...]

# Aliases can make a small file expand into a huge value ("billion laughs"); a recipe has
# a few hundred nodes at most.
_MAX_NODES = 100_000
# PyYAML composes nodes recursively: a few hundred nested brackets exhaust Python's stack.
# Recipes and configs nest five or six levels; the limit leaves room and stays far below.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its value and where each field is."""

    data: Any
    file: str  # as shown in messages
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line(self, path: Sequence[str | int]) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: Sequence[str | int], message: str) -> UserError:
        """A UserError at ``path``: ``file:line: field: message``."""
        return UserError(message, self.file, self.line(path), format_path(path) or None)


def format_path(path: Sequence[str | int]) -> str:
    """``("find", "ruff", "select", 1)`` -> ``find.ruff.select[1]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def display_path(path: Path) -> str:
    """``path`` relative to the current directory when it is below it, else as given."""
    try:
        resolved, cwd = path.resolve(), Path.cwd().resolve()
    except OSError:
        return str(path)
    return str(resolved.relative_to(cwd)) if resolved.is_relative_to(cwd) else str(path)


def load_yaml(path: Path, display: str | None = None) -> Document:
    """Read and parse the YAML file at ``path``; every failure is a UserError naming it."""
    shown = display or display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError("no such file", shown) from None
    except IsADirectoryError:
        raise UserError("is a directory, not a YAML file", shown) from None
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", shown) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UserError("is not UTF-8 text: save it as UTF-8", shown, line) from None
    return parse_yaml(text, shown)


# libyaml's parser when PyYAML was built with it: several times faster, the same events,
# nodes and marks. A document it refuses is parsed again by PyYAML's own parser, whose
# messages are the ones users are shown.
_FAST = getattr(yaml, "CSafeLoader", None)


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document from ``text``; ``file`` names it in errors."""
    node: yaml.Node | None = None
    try:
        if _FAST is None:
            raise yaml.YAMLError("no libyaml")
        _check_depth(text, file, _FAST)
        node = yaml.compose(text, Loader=_FAST)
    except yaml.YAMLError:
        node = _compose(text, file)
    except RecursionError:
        raise UserError(_TOO_DEEP, file) from None
    return _document(node, text, file)


def _compose(text: str, file: str) -> yaml.Node | None:
    try:
        _check_depth(text, file, yaml.SafeLoader)
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, file, text) from None
    except yaml.YAMLError as exc:  # ReaderError (control characters) has no mark
        raise UserError(f"invalid YAML: {str(exc).splitlines()[0]}", file) from None
    except RecursionError:  # the depth check should have caught it; never a traceback
        raise UserError(_TOO_DEEP, file) from None


def _document(node: yaml.Node | None, text: str, file: str) -> Document:
    lines: dict[FieldPath, int] = {}
    if node is None:
        return Document(None, file, lines)
    builder = _Builder(file, lines)
    try:
        data = builder.value(node, ())
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, file, text) from None
    except RecursionError:  # the depth checks should have caught it; never a traceback
        raise UserError(_TOO_DEEP, file) from None
    return Document(data, file, lines)


_TOO_DEEP = f"YAML nested more than {MAX_DEPTH} levels deep: flatten it"


def _check_depth(text: str, file: str, loader: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH at the line where it happens, before composing.

    PyYAML's event parser is iterative, so walking its events costs no stack. The field
    named is the run of keys that leads into the deep value (``scope.include``).
    """
    # One frame per open collection: [is_mapping, expecting_key, index, last_key].
    frames: list[list[Any]] = []
    path: list[str | int | None] = []  # how each open collection below the root was entered
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            if frames:
                is_mapping, expecting_key, index, key = frames[-1]
                path.append((None if expecting_key else key) if is_mapping else index)
            frames.append([isinstance(event, yaml.MappingStartEvent), True, 0, None])
            if len(frames) > MAX_DEPTH:
                keys = list(takewhile(lambda part: isinstance(part, str), path))[:3]
                field_ = format_path(keys) or None
                raise UserError(_TOO_DEEP, file, event.start_mark.line + 1, field_)
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            frames.pop()
            if path:
                path.pop()
        elif not isinstance(event, yaml.ScalarEvent | yaml.AliasEvent) or not frames:
            continue
        elif frames[-1][0] and frames[-1][1]:  # a mapping's key
            frames[-1][3] = event.value if isinstance(event, yaml.ScalarEvent) else None
        if frames:  # one node of the enclosing collection is complete
            frame = frames[-1]
            if frame[0]:
                frame[1] = not frame[1]
            else:
                frame[2] += 1


def _yaml_error(exc: yaml.MarkedYAMLError, file: str, text: str) -> UserError:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark and mark and mark.index >= len(text.rstrip()):
        mark = exc.context_mark  # "unexpected end of file": point at what was left open
    problem = exc.problem or "cannot parse"
    context = f" ({exc.context})" if exc.context and exc.problem else ""
    return UserError(f"invalid YAML: {problem}{context}", file, mark.line + 1 if mark else None)


class _Builder:
    """Turns composed nodes into plain values, recording lines and refusing duplicate keys."""

    def __init__(self, file: str, lines: dict[FieldPath, int]) -> None:
        self.file = file
        self.lines = lines
        self.constructor = SafeConstructor()
        self.seen = 0
        self.stack: set[int] = set()

    def value(self, node: yaml.Node, path: FieldPath) -> Any:
        self.seen += 1
        if self.seen > _MAX_NODES:
            raise UserError("too many YAML nodes (are aliases expanding?)", self.file)
        if id(node) in self.stack:
            raise UserError("an alias refers to itself", self.file, node.start_mark.line + 1)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            value = self.constructor.construct_object(node, deep=True)
            if isinstance(value, float) and not math.isfinite(value):
                # No field wants .nan or .inf, and a NaN slips past every "more than 0"
                # check (NaN > 0 is false, and so is NaN <= 0): a timeout of .nan is none.
                raise UserError(
                    f"must be a finite number, got {node.value}",
                    self.file,
                    node.start_mark.line + 1,
                    format_path(path) or None,
                )
            return value
        if len(path) >= MAX_DEPTH:  # aliases of aliases nest deeper than the text shows
            raise UserError(_TOO_DEEP, self.file, node.start_mark.line + 1, format_path(path[:1]))
        self.stack.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
        finally:
            self.stack.discard(id(node))
        raise AssertionError(node)

    def mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            where = format_path(path) or None
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise UserError(
                    "YAML merge keys (<<) are not supported: write the keys out",
                    self.file,
                    line,
                    where,
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise UserError(
                    "a key must be plain text, not a list or mapping", self.file, line, where
                )
            key = str(key_node.value)
            if key in out:
                raise UserError(
                    f"duplicate key {key!r} (first on line {first_line[key]}): keep only one",
                    self.file,
                    line,
                    where,
                )
            first_line[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.value(value_node, (*path, key))
        return out
