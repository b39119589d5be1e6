"""``saved = self.opts.copy() ... self.opts = saved.copy()``: the second copy is not needed.

The first copy is the snapshot (``self.opts`` may change in between) and stays. The second
one copies an object that only ``saved`` refers to, and after it ``saved`` is never read
again: handing over the object itself (``self.opts = saved``) is indistinguishable from
handing over a fresh copy of it, because nothing else can ever see, or change, the original.

The detector proves that: ``saved`` is a plain local (``scope.local_name``: not a parameter,
not global, not seen by any nested function, lambda or comprehension) bound exactly once,
by ``saved = <copy>``, where the copy is fresh: a list, dict, set or tuple display,
comprehension or builtin constructor call (``scope.fresh_kind``), ``x.copy()``,
``copy.copy(x)`` or ``copy.deepcopy(x)``. Never ``x[:]`` (a NumPy slice is a view, not a
copy). The restore is ``saved.copy()``, ``copy.copy(saved)``, ``saved[:]``, ``list(saved)``,
``dict(saved)`` or ``set(saved)``, and only where it gives the same type as ``saved``
(``list(saved)`` only if ``saved`` was built as a list, ``saved[:]`` only for a list or
tuple, ``.copy()`` not after ``deepcopy`` or ``copy.copy``: a dict subclass's ``.copy()``
is a plain dict). It stays silent when:

- any other read of ``saved`` could hand the object out (``scope.escapes``: ``y = saved``,
  ``f(saved)``, ``yield saved``, ...), or comes *after* the restore, or in the same
  statement (the restore must be its last use);
- the restore is inside a loop (a ``while`` condition counts, a ``for`` loop's iterable,
  evaluated once, does not), unless ``saved = <copy>`` is a statement of that (innermost)
  loop's own body, before the restore, and every other read of ``saved`` lies between the
  two: then every pass takes a new snapshot before it reads ``saved`` again. A snapshot
  taken only on some passes (inside an ``if``), or before the loop, keeps the copy: the
  same object would be handed over twice.

A copy a ``for`` loop iterates over is left to ``copy-before-iteration`` (and ruff's
``PERF101``), so one piece of code never gets two findings.

Changing ``saved`` between the two (``saved["k"] = v``, ``saved.update(...)``) does not
matter: the restore copies whatever ``saved`` holds then. The one assumption is that a
copy's ``.copy()`` is an equal object of the same type, as for every standard collection
(``list``, ``dict``, ``set``, ``OrderedDict``, ``defaultdict``, ``Counter``, ``deque``).
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import scope
from bot.find.detectors.core import BOM, Match, Positions, parse

name = "unchanged-snapshot"
summary = "`self.x = saved.copy()` copies a snapshot that is never used again; hand it over"
explanation = (
    "The snapshot is copied a second time to restore it, although nothing else refers to it "
    "and it is never used afterwards, so the object itself can be handed back. Cost: a copy "
    "as large as the collection on every restore."
)

# Which restore spellings give an object of the same type as the snapshot, per how the
# snapshot was made (a kind from scope.fresh_kind, or the copy spelling that made it).
_RESTORES = {
    "list": frozenset({"method", "slice", "copy", "list"}),
    "dict": frozenset({"method", "copy", "dict"}),
    "set": frozenset({"method", "copy", "set"}),
    "tuple": frozenset({"slice", "copy"}),
    "method": frozenset({"method", "copy"}),
    "copy": frozenset({"copy"}),
    "deepcopy": frozenset({"copy"}),
}
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_HINT = re.compile(r"copy|:[\s\\]*\]|list|dict|set")


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
        for call, use in restores(func, info):
            segment = ast.get_source_segment(text, call) or "#"
            if "#" in segment:
                continue
            edit = positions.edit(positions.start(call), positions.end(call), use.id)
            message = (
                f"`{segment}` copies `{use.id}`, which nothing else refers to "
                "and which is not used again"
            )
            matches.append(positions.match(call, message, (edit,), f"Hand over `{use.id}`"))
    return sorted(matches, key=lambda m: (m.start_line, m.start_col))


def restores(func: scope.Function, info: scope.ModuleInfo) -> list[tuple[ast.expr, ast.Name]]:
    """Every removable restore copy in ``func``: the copy call and the read of ``saved`` in it.

    Other detectors use this to stay clear of names whose restore this one rewrites.
    """
    found: list[tuple[ast.expr, ast.Name]] = []
    for node in scope.own_nodes(func):
        if not isinstance(node, ast.expr):
            continue
        spelled = scope.copy_of(node, info)
        if spelled is None or not isinstance(spelled[1], ast.Name):
            continue
        spelling, use = spelled
        assert isinstance(use, ast.Name)
        parent = info.parents.get(node)
        if isinstance(parent, ast.For | ast.AsyncFor) and parent.iter is node:
            continue  # `for v in saved.copy():` is copy-before-iteration's (and PERF101's)
        if _removable(func, node, spelling, use, info):
            found.append((node, use))
    return found


def _snapshot_kind(value: ast.expr | None, name: str, info: scope.ModuleInfo) -> str | None:
    kind = scope.fresh_kind(value, name, info)
    if kind is not None:
        return kind
    match value:
        case ast.Call(
            func=ast.Attribute(value=ast.Name(id="copy"), attr="deepcopy"), args=[arg], keywords=[]
        ) if not isinstance(arg, ast.Starred) and info.is_module_import("copy"):
            return "deepcopy"
    spelled = scope.copy_of(value, info)
    if spelled is not None and spelled[0] in ("method", "copy"):
        return spelled[0]
    return None


def _statement(node: ast.AST, info: scope.ModuleInfo) -> ast.stmt:
    while not isinstance(node, ast.stmt):
        node = info.parents[node]
    return node


def _removable(
    func: scope.Function,
    call: ast.expr,
    spelling: str,
    use: ast.Name,
    info: scope.ModuleInfo,
) -> bool:
    local = scope.local_name(func, use.id, info)
    if local is None or len(local.bindings) != 1:
        return False
    (snapshot,) = local.bindings
    if not isinstance(snapshot, ast.Assign):
        return False
    kind = _snapshot_kind(snapshot.value, use.id, info)
    if kind is None or spelling not in _RESTORES[kind]:
        return False
    restore = _statement(call, info)
    if scope.end_of(snapshot) > scope.start_of(restore):
        return False
    others = [u for u in local.uses if u is not use]
    if any(
        scope.within(u, restore, info) or scope.start_of(u) > scope.start_of(restore)
        for u in others
    ):
        return False
    if scope.escapes(local, info, ignore=frozenset({use})):
        return False
    loop = _innermost_loop(call, func, info)
    if loop is None:
        return True
    if info.parents.get(snapshot) is not loop or snapshot not in loop.body:
        return False
    return all(scope.start_of(u) >= scope.end_of(snapshot) for u in others)


def _innermost_loop(
    node: ast.expr, func: scope.Function, info: scope.ModuleInfo
) -> ast.For | ast.AsyncFor | ast.While | None:
    """The innermost loop that may evaluate ``node`` more than once (a ``while`` test does;
    a ``for`` loop's iterable does not)."""
    child: ast.AST = node
    for parent in info.ancestors(node):
        if parent is func:
            return None
        if isinstance(parent, ast.While) or (
            isinstance(parent, ast.For | ast.AsyncFor) and child is not parent.iter
        ):
            return parent
        child = parent
    return None
