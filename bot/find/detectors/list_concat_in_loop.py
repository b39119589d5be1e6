"""``x = x + [a]`` inside a loop copies the whole list on every pass: append in place instead.

``x = x + [a]`` becomes ``x.append(a)``; with several (or starred) items,
``x = x + [a, b]`` becomes ``x += [a, b]``, which keeps the list display (and any comments
in it) byte for byte and still extends in place. Rebinding to a new list and mutating the
old one differ only if another reference to the old list exists, so the detector proves
there is none: ``x`` is a plain local, every binding of it is a fresh list, and no read of
it can hand the object out (see ``scope.escapes``).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict

from bot.find.detectors import scope
from bot.find.detectors.core import Match, Positions, parse

name = "list-concat-in-loop"
summary = "`x = x + [item]` in a loop copies the list on every pass; append in place instead"
explanation = (
    "`x = x + [item]` builds a new list, a copy of all of `x` plus the new items, on every "
    "pass of the loop and drops the old one; `x.append(item)` (or `x += [...]`) adds to the "
    "same list. Nothing else holds the old list (`x` is a local no other code can reach, "
    "bound only to fresh lists), so only the copying goes. Cost: quadratic: the n-th pass "
    "copies n items, about n²/2 item copies for a loop of n passes."
)


# Outside brackets only blanks or a line continuation can separate `+` from `[`; a file
# without this text cannot match, and is not parsed.
_HINT = re.compile(r"\+[\s\\]*\[")


def detect(source: str, path: str) -> list[Match]:
    if not _HINT.search(source):
        return []
    tree = parse(source)
    if tree is None:
        return []
    statements = [n for n in ast.walk(tree) if _pattern_target(n) is not None]
    if not statements:
        return []
    info = scope.ModuleInfo(tree)
    positions = Positions(source)
    groups: dict[tuple[scope.Function, str], list[ast.Assign]] = defaultdict(list)
    for statement in statements:
        func = scope.enclosing_function(statement, info)
        var = _pattern_target(statement)
        if func is not None and var is not None and _in_loop_body(statement, func, info):
            assert isinstance(statement, ast.Assign)
            groups[func, var].append(statement)
    matches: list[Match] = []
    for (func, var), group in groups.items():
        if _safe_local(func, var, group, info):
            for statement in group:
                match = _match(statement, var, positions, info, func)
                if match is not None:
                    matches.append(match)
    return sorted(matches, key=lambda m: (m.start_line, m.start_col))


def _pattern_target(node: ast.AST) -> str | None:
    """``x`` if ``node`` is ``x = x + [...]`` (a list display on the right), else None."""
    match node:
        case ast.Assign(
            targets=[ast.Name(id=target)],
            value=ast.BinOp(left=ast.Name(id=left), op=ast.Add(), right=ast.List()),
        ) if target == left:
            return target
    return None


def _in_loop_body(node: ast.AST, func: scope.Function, info: scope.ModuleInfo) -> bool:
    child = node
    for parent in info.ancestors(node):
        if parent is func:
            return False
        if isinstance(parent, ast.For | ast.AsyncFor | ast.While) and child in parent.body:
            return True
        child = parent
    return False


def _safe_local(
    func: scope.Function, var: str, statements: list[ast.Assign], info: scope.ModuleInfo
) -> bool:
    """Whether mutating ``var``'s list in place cannot be observed through another reference."""
    local = scope.local_name(func, var, info)
    if local is None:
        return False
    after = max(scope.end_of(scope.outermost_loop(s, func, info)) for s in statements)
    if scope.escapes(local, info, after=after):
        return False
    for binding in local.bindings:
        if isinstance(binding, ast.AugAssign):
            if not isinstance(binding.op, ast.Add):
                return False
        elif scope.fresh_kind(binding.value, var, info) != "list":
            return False
    for use in local.uses:
        kind = scope.use_kind(use, info)
        loop = info.parents.get(use)
        # Appending to the list a loop is walking over would never end.
        if kind == "iter" and any(scope.within(s, loop, info) for s in statements if loop):
            return False
        # After `return x`, a `finally:` block could still change the returned list.
        if kind == "return" and any(
            isinstance(n, ast.Try | ast.TryStar) and n.finalbody for n in scope.own_nodes(func)
        ):
            return False
    return True


def _match(
    statement: ast.Assign,
    var: str,
    positions: Positions,
    info: scope.ModuleInfo,
    func: scope.Function,
) -> Match | None:
    assert isinstance(statement.value, ast.BinOp) and isinstance(statement.value.right, ast.List)
    items = statement.value.right
    if not items.elts:
        return None
    if positions.end(items) != positions.end(statement):
        return None  # parenthesised: `x = (x + [a])`
    for parent in info.ancestors(statement):
        if parent is func:
            break
        if isinstance(parent, ast.For | ast.AsyncFor) and scope.mentions(parent.iter, var):
            return None
    start, open_end = positions.start(statement), positions.start(items)
    close_start, close_end = positions.end(items), positions.end(items)
    close_start = (close_start[0], close_start[1] - 1)
    if len(items.elts) == 1 and not isinstance(items.elts[0], ast.Starred):
        edits = (
            positions.edit(start, (open_end[0], open_end[1] + 1), f"{var}.append("),
            positions.edit(close_start, close_end, ")"),
        )
        title = f"Append to `{var}` in place"
    else:
        edits = (positions.edit(start, open_end, f"{var} += "),)
        title = f"Extend `{var}` in place with `+=`"
    message = f"`{var} = {var} + [...]` in a loop copies `{var}` on every pass"
    return positions.match(statement, message, edits, title)
