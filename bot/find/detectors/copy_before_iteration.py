"""``for v in xs.copy():`` copies ``xs`` although nothing changes it during the loop.

Handles ``xs.copy()``, ``xs[:]`` and ``copy.copy(xs)``; ``list(xs)`` is left to ruff's
PERF101, which has the same check. A copy before a loop is there on purpose when the loop
changes the collection, so the detector proves it does not: ``xs`` is a plain local bound
only to fresh lists, dicts or tuples (never sets: a copied set may iterate in a different
order), nothing outside the function can reach it (see ``scope.escapes``), and the loop
only reads it (``xs[i]``, ``len(xs)``, ``v in xs``, read-only methods).
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import scope
from bot.find.detectors.core import BOM, Match, Positions, parse

name = "copy-before-iteration"
summary = "`for v in xs.copy():` copies a collection the loop never changes; iterate it directly"
explanation = (
    "The loop walks a copy of `xs` (`xs.copy()`, `xs[:]`, `copy.copy(xs)`) although nothing "
    "in it adds, removes or rebinds anything in `xs`, and no code outside the function can "
    "reach `xs`: walking `xs` itself visits the same items in the same order. Cost: a copy "
    "as long as the collection each time the loop starts."
)

# Which collection kinds each copy spelling works on (elsewhere it raises: keep it then).
_VALID_KINDS = {
    "xs.copy()": frozenset({"list", "dict"}),
    "xs[:]": frozenset({"list", "tuple"}),
    "copy.copy(xs)": frozenset({"list", "dict", "tuple"}),
}
_READ_KINDS = frozenset({"len", "consumed", "membership"}) | {
    f"method:{m}" for m in scope.READ_ONLY_METHODS
}


# Every copy spelling contains `copy` or `:` then `]`; a file without either is not parsed.
_HINT = re.compile(r"copy|:[\s\\]*\]")


def detect(source: str, path: str) -> list[Match]:
    if not _HINT.search(source):
        return []
    tree = parse(source)
    if tree is None:
        return []
    loops = [
        (n, copied)
        for n in ast.walk(tree)
        if isinstance(n, ast.For) and (copied := _copied(n.iter)) is not None
    ]
    if not loops:
        return []
    info = scope.ModuleInfo(tree)
    positions = Positions(source)
    text = source.removeprefix(BOM)
    matches: list[Match] = []
    for loop, (spelling, var) in loops:
        func = scope.enclosing_function(loop, info)
        segment = ast.get_source_segment(text, loop.iter) or "#"
        if func is None or "#" in segment or not _removable(func, loop, spelling, var, info):
            continue
        edit = positions.edit(positions.start(loop.iter), positions.end(loop.iter), var.id)
        message = (
            f"`{segment}` copies `{var.id}` only to iterate over it; the loop never changes it"
        )
        matches.append(
            positions.match(loop.iter, message, (edit,), f"Iterate over `{var.id}` directly")
        )
    return sorted(matches, key=lambda m: (m.start_line, m.start_col))


def _copied(iterable: ast.expr) -> tuple[str, ast.Name] | None:
    """Which copy spelling ``iterable`` is and the name it copies, or None."""
    match iterable:
        case ast.Call(
            func=ast.Attribute(value=ast.Name() as var, attr="copy"), args=[], keywords=[]
        ):
            return "xs.copy()", var
        case ast.Subscript(value=ast.Name() as var, slice=ast.Slice(None, None, None)):
            return "xs[:]", var
        case ast.Call(
            func=ast.Attribute(value=ast.Name(id="copy"), attr="copy"),
            args=[ast.Name() as var],
            keywords=[],
        ):
            return "copy.copy(xs)", var
    return None


def _removable(
    func: scope.Function, loop: ast.For, spelling: str, var: ast.Name, info: scope.ModuleInfo
) -> bool:
    if spelling == "copy.copy(xs)" and not info.is_module_import("copy"):
        return False
    local = scope.local_name(func, var.id, info)
    if local is None or not local.bindings:
        return False  # a name never bound here is a global
    kinds = {
        None if isinstance(b, ast.AugAssign) else scope.fresh_kind(b.value, var.id, info)
        for b in local.bindings
    }
    if None in kinds or not kinds <= _VALID_KINDS[spelling]:
        return False
    after = scope.end_of(scope.outermost_loop(loop, func, info))
    if scope.escapes(local, info, ignore=frozenset({var}), after=after):
        return False
    if any(scope.within(b, loop, info) for b in local.bindings):
        return False
    for use in local.uses:
        if use is var or not scope.within(use, loop, info):
            continue
        if scope.within(use, loop.target, info):
            return False  # `for xs[0] in ...` writes to it
        kind = scope.use_kind(use, info)
        parent = info.parents[use]
        reads_item = kind == "subscript" and isinstance(getattr(parent, "ctx", None), ast.Load)
        if not (reads_item or kind in _READ_KINDS):
            return False
    return True
