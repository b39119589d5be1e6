"""A module read for a detector, and the text helpers its rewrites share. Pure.

``read`` parses a module once for a detector (its tree, scope facts, positions and source
segments); ``as_primary`` and ``as_starred`` put an expression's source where a rewrite
needs it; ``disjoint`` keeps a detector's matches from overlapping.
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

from bot.find.detectors import scope
from bot.find.detectors.core import BOM, Match, Positions, parse

# Expressions that can stand before `[...]`, `.attr` or `(...)` without parentheses.
_PRIMARY = (
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Call,
    ast.List,
    ast.ListComp,
    ast.Dict,
    ast.DictComp,
    ast.Set,
    ast.SetComp,
    ast.GeneratorExp,
    ast.JoinedStr,
)


def as_primary(expr: ast.expr, segment: str) -> str:
    """``segment`` (the source of ``expr``), parenthesised unless it is a primary already."""
    if isinstance(expr, _PRIMARY) or (
        isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes)
    ):
        return segment
    if isinstance(expr, ast.Tuple) and segment.startswith("(") and segment.endswith(")"):
        return segment
    return f"({segment})"


def as_starred(expr: ast.expr, segment: str) -> str:
    """``*segment``, parenthesised where a display's ``*`` would bind less than ``expr``."""
    if isinstance(expr, ast.BoolOp | ast.Compare | ast.IfExp | ast.Lambda | ast.NamedExpr) or (
        isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not)
    ):
        return f"*({segment})"
    return f"*{segment}"


class Segments:
    """Source text of nodes, like ``ast.get_source_segment`` without re-splitting each time."""

    def __init__(self, text: str) -> None:
        self._lines = [line.encode("utf-8") for line in text.splitlines(keepends=True)]

    def indent(self, line: int) -> str:
        """The blanks that start ``line`` (1-based)."""
        text = self._lines[line - 1].decode("utf-8", "replace")
        return text[: len(text) - len(text.lstrip(" \t"))]

    def __call__(self, node: ast.AST) -> str:
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if start is None or end is None or end > len(self._lines):
            return ""
        first, last = node.col_offset, node.end_col_offset
        if start == end:
            return self._lines[start - 1][first:last].decode("utf-8", "replace")
        parts = [self._lines[start - 1][first:], *self._lines[start : end - 1]]
        parts.append(self._lines[end - 1][:last])
        return b"".join(parts).decode("utf-8", "replace")


def disjoint(matches: list[Match]) -> list[Match]:
    """The matches in source order, without any that overlaps one found before it.

    Detectors walk the tree outside-in, so an enclosing rewrite wins; the night detects
    again after each fix, and finds the inner one then if it is still there.
    """
    kept: list[Match] = []
    for match in matches:
        start, end = (match.start_line, match.start_col), (match.end_line, match.end_col)
        if not any(
            start < (k.end_line, k.end_col) and (k.start_line, k.start_col) < end for k in kept
        ):
            kept.append(match)
    return sorted(kept, key=lambda m: (m.start_line, m.start_col))


class Module(NamedTuple):
    """A module ready for a detector: its tree, scope facts, positions and source segments."""

    tree: ast.Module
    info: scope.ModuleInfo
    positions: Positions
    text: Segments


def read(source: str, hint: re.Pattern[str]) -> Module | None:
    """``source`` parsed for a detector, or None when ``hint`` (a cheap text test for the
    spellings it looks for) finds nothing or the module does not parse."""
    if not hint.search(source):
        return None
    tree = parse(source)
    if tree is None:
        return None
    return Module(
        tree, scope.ModuleInfo(tree), Positions(source), Segments(source.removeprefix(BOM))
    )
