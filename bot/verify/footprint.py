"""Grouped verification, the pure part: which fixes may share a test run, and who to blame.

Fixes whose edits touch disjoint code are applied together and the suite runs once. If
something new fails, the failing tests' tracebacks (and, failing that, what the failing
test files import) name the suspects; the rest of the group is re-run without them.
"""

from __future__ import annotations

import ast
import difflib
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot import pysource
from bot.model import changed_region, line_starts, split_lines

# Lines of context `git apply` needs around a hunk: closer fixes cannot share a tree.
APPLY_CONTEXT = 3


@dataclass(frozen=True)
class Footprint:
    """Where a fix changes code: per file, the changed line range and enclosing functions."""

    spans: Mapping[str, tuple[int, int]]  # path -> (first, last) changed line in the base
    units: frozenset[tuple[str, str]]  # (path, function qualname or "<module>")

    def conflicts(self, other: Footprint) -> bool:
        shared = self.units & other.units
        if any(unit != "<module>" for _path, unit in shared):
            return True
        for path, (a0, a1) in self.spans.items():
            if path in other.spans:
                b0, b1 = other.spans[path]
                if a0 - APPLY_CONTEXT - 1 <= b1 and b0 - APPLY_CONTEXT - 1 <= a1:
                    return True
        return False


def function_at(tree: ast.Module, line: int) -> str:
    """The qualified name of the innermost function or class around ``line``."""
    best, best_size = "<module>", None

    def visit(node: ast.AST, prefix: str) -> None:
        nonlocal best, best_size
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                end = child.end_lineno or child.lineno
                if start <= line <= end and (best_size is None or end - start < best_size):
                    best, best_size = name, end - start
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return best


def units_by_line(tree: ast.Module) -> list[str]:
    """:func:`function_at` for every line at once: item ``n - 1`` is the unit of line ``n``.

    Lines past the last function or class are missing (they are ``<module>``).
    """
    spans: list[tuple[int, int, int, str]] = []  # (size, order, first line, name)

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                end = child.end_lineno or child.lineno
                spans.append((end - start, len(spans), start, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    table = ["<module>"] * max((size + start for size, _o, start, _n in spans), default=0)
    # Paint the biggest first so the innermost wins; of two the same size, the first found
    # (function_at keeps the first of equal size too).
    for size, _order, start, name in sorted(spans, key=lambda s: (-s[0], -s[1])):
        table[start - 1 : start + size] = [name] * (size + 1)
    return table


@lru_cache(maxsize=8)  # each entry keeps a whole text alive
def _units_of(text: str) -> tuple[str, ...] | None:
    """Units per line of a file's base text, parsed once however many fixes it has."""
    try:
        return tuple(units_by_line(pysource.parse(text)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def changed_lines(old: str, new: str) -> list[int]:
    """1-based lines of ``old`` that the change replaces or touches (insertions: the line after)."""
    # Diff only what lies between the lines both texts share: linear in the change, not
    # in the file, so each of a file's many fixes costs little.
    start, old_middle, new_middle = changed_region(old, new)
    first = bisect_left(line_starts(old), start)  # lines before the region
    lines = []
    matcher = difflib.SequenceMatcher(
        None, split_lines(old_middle), split_lines(new_middle), autojunk=False
    )
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            lines.extend(range(first + i1 + 1, first + max(i2, i1 + 1) + 1))
    return lines


def footprint(changes: Mapping[str, tuple[str, str]]) -> Footprint:
    """``changes`` maps path -> (old text, new text)."""
    spans, units = {}, set()
    for path, (old, new) in changes.items():
        lines = changed_lines(old, new)
        if not lines:
            continue
        spans[path] = (min(lines), max(lines))
        table = _units_of(old)
        if table is None:
            units.add((path, "<module>"))
            continue
        units.update((path, table[n - 1] if n <= len(table) else "<module>") for n in lines)
    return Footprint(spans, frozenset(units))


def plan_groups(footprints: Sequence[Footprint], max_size: int = 64) -> list[list[int]]:
    """Greedy colouring: each fix joins the first group it conflicts with nothing in."""
    groups: list[list[int]] = []
    for i, fp in enumerate(footprints):
        for group in groups:
            if len(group) < max_size and not any(fp.conflicts(footprints[j]) for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


_FRAME = re.compile(r"([\w./\\-]+\.py):(\d+)")


def frames(text: str) -> list[tuple[str, int]]:
    """(path, line) of every traceback frame a test failure's text mentions."""
    return [(m.group(1).replace("\\", "/"), int(m.group(2))) for m in _FRAME.finditer(text)]


def names_used(source: str, function: str) -> frozenset[str]:
    """Names a test function mentions, and those of the module's own helpers it calls.

    ``function`` is a pytest test id's tail: ``test_x``, ``TestY::test_x`` or ``test_x[param]``.
    """
    try:
        tree = pysource.parse(source)
    except (SyntaxError, ValueError):
        return frozenset()
    wanted = function.split("[", 1)[0].split("::")
    helpers = {
        n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    scope: list[ast.AST] = [tree]
    for part in wanted:
        found = next(
            (
                n
                for node in scope
                for n in ast.iter_child_nodes(node)
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == part
            ),
            None,
        )
        if found is None:
            return frozenset()
        scope = [found]
    names: set[str] = set()
    todo, seen = list(scope), set()
    while todo:
        node = todo.pop()
        for inner in ast.walk(node):
            name = (
                inner.id
                if isinstance(inner, ast.Name)
                else inner.attr
                if isinstance(inner, ast.Attribute)
                else None
            )
            if name is None:
                continue
            names.add(name)
            if name in helpers and name not in seen:
                seen.add(name)
                todo.append(helpers[name])
    return frozenset(names)


def suspects(
    failures: Mapping[str, str],
    fixes: Mapping[int, Footprint],
    unit_at: Callable[[str, int], tuple[str, str] | None],
    reach_of_test: Callable[[str], Iterable[str]],
    names_of_test: Callable[[str], Iterable[str]] = lambda test_id: (),
) -> set[int]:
    """Fixes a group's new failures point at; empty when nothing points anywhere.

    For each failure, the first of these that names any fix: a traceback frame inside code
    a fix changed (same file and function, as ``unit_at`` maps a frame to a unit of the
    group's tree); a changed function the failing test calls by name; a changed file the
    failing test imports.
    """
    found: set[int] = set()
    for test_id, text in failures.items():
        hit = set()
        for path, line in frames(text):
            unit = unit_at(path, line)
            if unit is None:
                continue
            hit |= {i for i, fp in fixes.items() if unit in fp.units}
        if not hit:
            used = set(names_of_test(test_id))
            hit = {
                i
                for i, fp in fixes.items()
                if any(unit.rsplit(".", 1)[-1] in used for _path, unit in fp.units)
            }
        if not hit:
            reached = set(reach_of_test(test_id))
            hit = {i for i, fp in fixes.items() if reached & fp.spans.keys()}
        found |= hit
    return found
