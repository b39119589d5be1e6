"""The code an agent is shown first: the function around a finding, and the imports. Pure."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from bot.find.detectors.core import parse
from bot.model import split_lines

MAX_LINES = 160  # a longer function is shown as a window around the finding
MARGIN = 25  # lines either side when the finding is not in a function


@dataclass(frozen=True)
class CodeContext:
    first_line: int
    last_line: int
    code: str
    where: str  # "function f", "method Cls.f", "lines 10-60"
    imports: str  # the module's top-level imports, as written


def code_context(source: str, line: int) -> CodeContext:
    """The innermost function containing ``line`` (decorators included), or a window."""
    lines = split_lines(source.removeprefix("\ufeff"))
    tree = parse(source)
    func, owner = _innermost_function(tree, line) if tree is not None else (None, None)
    if func is not None:
        first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
        last = func.end_lineno or func.lineno
        where = f"method {owner}.{func.name}" if owner else f"function {func.name}"
    else:
        first, last = line - MARGIN, line + MARGIN
        where = ""
    if last - first + 1 > MAX_LINES:
        half = MAX_LINES // 2
        first, last = max(first, line - half), min(last, line + half)
        where += " (part)" if where else ""
    first, last = max(1, first), min(len(lines), last)
    where = where or f"lines {first}-{last}"
    code = "".join(lines[first - 1 : last])
    return CodeContext(first, last, code, where, _imports(tree, lines))


def _innermost_function(
    tree: ast.Module, line: int
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, str | None]:
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    owner: str | None = None
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while stack:
        node, cls = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                if start <= line <= (child.end_lineno or child.lineno):
                    best, owner = child, cls
                    stack.append((child, None))
            elif isinstance(child, ast.ClassDef):
                stack.append((child, child.name))
            else:
                stack.append((child, cls))
    return best, owner


def _imports(tree: ast.Module | None, lines: list[str]) -> str:
    if tree is None:
        return ""
    chunks = [
        "".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    return "".join(chunks)
