"""What a detector is, what it returns, and how ``ast`` positions become edit positions."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Protocol

from bot import pysource
from bot.model import TextEdit

BOM = "\ufeff"
# str.splitlines() (which bot.model uses to place edits) also breaks lines at these
# characters; Python's tokenizer and ruff do not. Where they occur, line numbers disagree.
_EXTRA_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@dataclass(frozen=True)
class Match:
    """One place a detector would change, with the edits that change it (positions as TextEdit)."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    message: str
    edits: tuple[TextEdit, ...]
    fix_title: str


class Detector(Protocol):
    """A pure detector: source text in, matches out. Never raises on bad input."""

    name: str
    summary: str

    def detect(self, source: str, path: str) -> list[Match]: ...


def parse(source: str) -> ast.Module | None:
    """The module's AST, or None when it does not parse or its lines cannot be placed safely."""
    if _EXTRA_LINE_BREAKS.search(source):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings belong to the user's code
            return pysource.parse(source.removeprefix(BOM))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


class Positions:
    """Converts ``ast`` positions (1-based line, UTF-8 *byte* column) to character columns.

    A leading byte order mark is not counted, as in ruff's output: edits apply to the text
    without it.
    """

    def __init__(self, source: str) -> None:
        self._lines = _LINES.findall(source.removeprefix(BOM))

    def column(self, line: int, byte_col: int) -> int:
        """1-based character column of the UTF-8 byte offset ``byte_col`` on ``line``."""
        text = self._lines[line - 1].encode("utf-8")
        return len(text[:byte_col].decode("utf-8")) + 1

    def start(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        return node.lineno, self.column(node.lineno, node.col_offset)

    def end(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return node.end_lineno, self.column(node.end_lineno, node.end_col_offset)

    def edit(self, start: tuple[int, int], end: tuple[int, int], content: str) -> TextEdit:
        return TextEdit(start[0], start[1], end[0], end[1], content)

    def match(
        self,
        node: ast.expr | ast.stmt,
        message: str,
        edits: tuple[TextEdit, ...],
        fix_title: str,
    ) -> Match:
        """A match spanning ``node``."""
        (start_line, start_col), (end_line, end_col) = self.start(node), self.end(node)
        return Match(start_line, start_col, end_line, end_col, message, edits, fix_title)
