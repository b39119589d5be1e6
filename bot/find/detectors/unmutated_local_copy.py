"""``ys = list(xs)`` copies a local list that neither name ever changes: share the object.

``ys = list(xs)``, ``ys = xs.copy()``, ``ys = xs[:]``, ``ys = copy.copy(xs)`` and
``ys = dict(d)`` become ``ys = xs``. Two names for one object behave like two equal
objects as long as nobody changes it, compares identities, or gets hold of it. The detector
proves that with the scope analysis of ``scope.py``, for both names:

- ``xs`` is a plain local (``scope.local_name``: not a parameter, not global or nonlocal,
  not seen by any nested function, lambda, class or comprehension) that the function built
  itself: every binding is a fresh list (or every one a fresh dict): a display, a
  comprehension, ``list(...)``, ``sorted(...)``, ``dict(...)``, ``x + [...]``
  (``scope.fresh_kind``), or ``xs += ...``. Its kind must be the copy's kind: ``list(t)``
  of a tuple, ``dict(pairs)`` or a copy of a set (whose copy may iterate in another order)
  are left alone, and so is anything bound to a parameter, a call's result or a generator
  (``list(gen)`` is the evaluation of something lazy, not a copy).
- ``ys`` is a plain local bound only there.
- No read of ``xs``, anywhere in the function, can hand the object out (``scope.escapes``).
- From the copy on (from the start of the outermost loop around it, if any, since the next
  pass comes back), every read of ``xs`` and of ``ys`` only reads: ``v[i]``, ``len(v)``,
  ``i in v``, ``for i in v``, truth tests, builtins that consume it (``sorted(v)``, ...),
  and ``count``, ``index``, ``get``, ``keys``, ``values``, ``items``, ``copy``. Any method
  that changes it (``append``, ``remove`` while iterating, ...), ``v[i] = ...``,
  ``del v[i]``, ``xs += ...``, ``return``, ``yield``, passing it to a call, ``ys is xs`` or
  ``ys == xs``, or a second binding of ``ys`` keep the copy. ``xs`` may be rebound there to
  a new object: that changes no object.
- No ``unchanged-snapshot`` restore reads either name (that rewrite would hand the object
  out, and the two fixes could land together). When ``xs`` is not used after the copy at
  all, the copy is that detector's finding (``xs`` is then a snapshot handed over), not
  this one's.

Before the copy, ``xs`` may be built and changed freely: the copy is the point after which
nothing changes.
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import scope, unchanged_snapshot
from bot.find.detectors.core import BOM, Match, Positions, parse

name = "unmutated-local-copy"
summary = "`ys = list(xs)` copies a local that neither name changes afterwards; share it"
explanation = (
    "After the copy neither the copy nor the original is changed, returned or passed on, so "
    "one object can serve both names. Cost: a copy as large as the collection on every call "
    "(on every pass, inside a loop)."
)

# Copy spellings that give an object of the kind copied, per kind of the original.
_SPELLINGS = {
    "list": frozenset({"method", "slice", "copy", "list"}),
    "dict": frozenset({"method", "copy", "dict"}),
}
_READ_KINDS = frozenset({"len", "consumed", "membership", "iter", "truth"}) | {
    f"method:{m}" for m in scope.READ_ONLY_METHODS
}
_HINT = re.compile(r"copy|:[\s\\]*\]|list|dict")


def detect(source: str, path: str) -> list[Match]:
    if not _HINT.search(source):
        return []
    tree = parse(source)
    if tree is None:
        return []
    copies = [n for n in ast.walk(tree) if scope.may_copy_a_name(n)]
    if not copies:
        return []
    info = scope.ModuleInfo(tree)
    positions = Positions(source)
    text = source.removeprefix(BOM)
    matches: list[Match] = []
    functions = {scope.enclosing_function(n, info) for n in copies} - {None}
    for func in sorted(functions, key=lambda f: (f.lineno, f.col_offset)):
        restores: list[tuple[ast.expr, ast.Name]] | None = None
        for node in scope.own_nodes(func):
            copy = _copy(node, info)
            if copy is None:
                continue
            if restores is None:
                restores = unchanged_snapshot.restores(func, info)
            assert isinstance(node, ast.Assign)
            target, original = copy
            if any(call is node.value for call, _ in restores):
                continue  # the original is not used again: unchanged-snapshot's finding
            if any(use.id in (target.id, original.id) for _, use in restores):
                continue
            if not _shareable(func, node, target, original, info):
                continue
            segment = ast.get_source_segment(text, node.value) or "#"
            if "#" in segment:
                continue
            edit = positions.edit(
                positions.start(node.value), positions.end(node.value), original.id
            )
            message = (
                f"`{segment}` copies `{original.id}`, but neither `{target.id}` nor "
                f"`{original.id}` is changed or handed out afterwards"
            )
            matches.append(
                positions.match(node.value, message, (edit,), f"Use `{original.id}` itself")
            )
    return sorted(matches, key=lambda m: (m.start_line, m.start_col))


def _copy(node: ast.AST, info: scope.ModuleInfo) -> tuple[ast.Name, ast.Name] | None:
    """``(ys, xs)`` if ``node`` is ``ys = <copy of xs>``."""
    match node:
        case ast.Assign(targets=[ast.Name() as target], value=value):
            spelled = scope.copy_of(value, info)
            if spelled is not None and isinstance(spelled[1], ast.Name):
                original = spelled[1]
                if original.id != target.id:
                    return target, original
    return None


def _kind(local: scope.LocalName, info: scope.ModuleInfo) -> str | None:
    """``list`` or ``dict`` if every binding of the local makes (or extends) one of that kind."""
    kinds = {
        "+=" if isinstance(b, ast.AugAssign) else scope.fresh_kind(b.value, local.name, info)
        for b in local.bindings
    }
    kinds.discard("+=")
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    return kind if kind in _SPELLINGS else None


def _shareable(
    func: scope.Function,
    statement: ast.Assign,
    target: ast.Name,
    original: ast.Name,
    info: scope.ModuleInfo,
) -> bool:
    spelled = scope.copy_of(statement.value, info)
    assert spelled is not None
    spelling, copied = spelled
    xs = scope.local_name(func, original.id, info)
    ys = scope.local_name(func, target.id, info)
    if xs is None or ys is None or not xs.bindings or ys.bindings != (statement,):
        return False
    kind = _kind(xs, info)
    if kind is None or spelling not in _SPELLINGS[kind]:
        return False
    if any(
        isinstance(b, ast.AugAssign) and not (kind == "list" and isinstance(b.op, ast.Add))
        for b in xs.bindings
    ):
        return False  # `d |= ...` on a dict, `xs *= 2`: keep it simple
    if scope.escapes(xs, info, ignore=frozenset({copied})) or scope.escapes(ys, info):
        return False
    start = scope.start_of(scope.outermost_loop(statement, func, info))
    if any(isinstance(b, ast.AugAssign) and scope.start_of(b) >= start for b in xs.bindings):
        return False
    later = [u for u in xs.uses if u is not copied and scope.start_of(u) >= start]
    return all(_only_reads(u, info) for u in [*later, *ys.uses])


def _only_reads(use: ast.Name, info: scope.ModuleInfo) -> bool:
    kind = scope.use_kind(use, info)
    if kind == "subscript":
        parent = info.parents[use]
        return isinstance(getattr(parent, "ctx", None), ast.Load)
    return kind in _READ_KINDS
