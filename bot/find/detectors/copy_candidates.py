"""Cheap prefilter for the agent recipe: copies that *might* be unnecessary. No edits.

Whether ``items.copy()`` or ``list(rows)`` is needed depends on what happens to the copy
and to the original afterwards, in this function and beyond it: that is for an agent to
judge (``fix.agent``). This detector only points at the spellings worth a look, inside
functions (the agent is shown the enclosing function):

- ``x.copy()``, ``x[:]``, ``copy.copy(x)``, ``copy.deepcopy(x)`` (also when imported by name)
- ``list(x)``, ``dict(x)``, ``set(x)`` of an existing collection (a name, attribute, item, or
  ``d.keys()``/``d.values()``/``d.items()``, or ``x or ()``), not of a generator or a call's
  fresh result
- ``seq[i:].index(v)``, ``seq[i:].count(v)``: a slice made only to search it
- ``x = x + [...]`` inside a loop (a new list on every pass; with anything but a list display
  or comprehension added, ``x`` may be a str or a number)

Candidates that the deterministic detectors already prove removable (``copy-before-iteration``,
``copy-before-read-only-loop``, ``list-concat-in-loop``, ``copy-for-lookup``,
``redundant-copy``, ``list-for-truth``, ``slice-to-match``, ``slice-to-search``,
``unchanged-snapshot``, ``unmutated-local-copy``) are left to them, so one piece of code
never gets two pull requests.
"""

from __future__ import annotations

import ast

from bot.find.detectors import (
    copy_before_iteration,
    copy_for_lookup,
    list_concat_in_loop,
    list_for_truth,
    needed_copy,
    read_only_loop,
    redundant_copy,
    scope,
    slice_to_match,
    slice_to_search,
    unchanged_snapshot,
    unmutated_local_copy,
)
from bot.find.detectors.core import BOM, Match, Positions, parse

name = "copy-candidates"
summary = "candidate copies (`.copy()`, `list(x)`, `x[:]`, `deepcopy`, ...) for an agent to judge"
explanation = (
    "An agent read the function around this copy and found nothing that needs a separate "
    "object: the copy is not changed, returned, stored or handed to code it cannot see, and "
    "the original does not change while the copy is in use. Cost: a copy of the whole "
    "collection each time the line runs (on every pass, inside a loop)."
)
needs_agent = True  # finds candidates only; a recipe using it must have fix.agent

_CONSTRUCTORS = frozenset({"list", "dict", "set"})
_VIEW_METHODS = frozenset({"keys", "values", "items"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SEARCHES = frozenset({"index", "count"})  # `seq[i:].index(v)`: `seq.index(v, i)` may do
_SEARCHED = "copies part of a sequence only to search it: could it search in place?"
_CONCAT = "builds a new list on every pass of the loop: could it grow in place?"


def detect(source: str, path: str) -> list[Match]:
    return [match for match, why in _judged(source, path) if why is None]


def needed(source: str, path: str) -> list[tuple[Match, str]]:
    """The candidates dropped as surely needed, each with the reason (``needed_copy``)."""
    return [(match, why) for match, why in _judged(source, path) if why is not None]


def _judged(source: str, path: str) -> list[tuple[Match, str | None]]:
    tree = parse(source)
    if tree is None:
        return []
    info = scope.ModuleInfo(tree)
    positions = Positions(source)
    text = source.removeprefix(BOM)
    proven = [
        ((m.start_line, m.start_col), (m.end_line, m.end_col))
        for detector in (
            copy_before_iteration,
            read_only_loop,
            list_concat_in_loop,
            copy_for_lookup,
            redundant_copy,
            list_for_truth,
            slice_to_match,
            slice_to_search,
            unchanged_snapshot,
            unmutated_local_copy,
        )
        for m in detector.detect(source, path)
    ]
    judged: list[tuple[Match, str | None]] = []
    for node in ast.walk(tree):
        candidate = _candidate(node, info)
        if candidate is None or not isinstance(node, ast.expr | ast.stmt):
            continue
        what, copied, deep = candidate
        if _function_of(node, info) is None:
            continue  # module or class level: no function for the agent to reason about
        start, end = positions.start(node), positions.end(node)
        if any(start < p_end and p_start < end for p_start, p_end in proven):
            continue
        segment = " ".join((ast.get_source_segment(text, node) or "").split())
        if len(segment) > 80:
            segment = segment[:77] + "..."
        why = None
        if copied is not None and isinstance(node, ast.expr):
            why = needed_copy.why_needed(node, copied, deep, info)
        judged.append((positions.match(node, f"`{segment}` {what}", (), ""), why))
    return sorted(judged, key=lambda j: (j[0].start_line, j[0].start_col))


Candidate = tuple[str, ast.expr | None, bool]  # what it is, what it copies, whether deeply


def _candidate(node: ast.AST, info: scope.ModuleInfo) -> Candidate | None:
    """What kind of copy ``node`` is (the end of a sentence), of what; None if it is none."""
    match node:
        case ast.Call(func=ast.Attribute(value=value, attr="copy"), args=[], keywords=[]):
            if _collection(value):
                return "copies a collection: is the copy needed?", value, False
        case ast.Subscript(value=value, slice=ast.Slice(None, None, None), ctx=ast.Load()):
            if _collection(value):
                return "copies a sequence with a full slice: is the copy needed?", value, False
        case ast.Call(func=func, args=[arg], keywords=[]) if _copy_function(func, info):
            deep = "deep" in ast.unparse(func)
            return f"makes a {'deep' if deep else 'shallow'} copy: is it needed?", arg, deep
        case ast.Call(func=ast.Name(id=ctor), args=[arg], keywords=[]) if ctor in _CONSTRUCTORS:
            if info.is_builtin(ctor) and (_collection(arg) or _view(arg)):
                return f"copies into a new {ctor}: is the copy needed?", arg, False
            if info.is_builtin(ctor) and (defaulted := _defaulted(arg)) is not None:
                return f"copies into a new {ctor}: is the copy needed?", defaulted, False
        case ast.Call(
            func=ast.Attribute(value=ast.Subscript(value=value, slice=ast.Slice()), attr=attr)
        ) if attr in _SEARCHES and _collection(value):
            return _SEARCHED, None, False
        case ast.Assign(
            targets=[ast.Name(id=target)],
            value=ast.BinOp(left=ast.Name(id=left), op=ast.Add(), right=right),
        ) if target == left and isinstance(right, ast.List | ast.ListComp) and _in_loop(node, info):
            return _CONCAT, None, False
    return None


def _defaulted(node: ast.expr) -> ast.expr | None:
    """``x`` of ``x or ()`` (``x or []``, ``x or {}``): an existing collection or an empty one."""
    match node:
        case ast.BoolOp(
            op=ast.Or(), values=[value, ast.Tuple(elts=[]) | ast.List(elts=[]) | ast.Dict(keys=[])]
        ):
            return value if _collection(value) else None
    return None


def _collection(node: ast.expr) -> bool:
    """A name, attribute or item: something that already exists (not a fresh result)."""
    return isinstance(node, ast.Name | ast.Attribute | ast.Subscript)


def _view(node: ast.expr) -> bool:
    match node:
        case ast.Call(func=ast.Attribute(value=value, attr=attr), args=[], keywords=[]):
            return attr in _VIEW_METHODS and _collection(value)
    return False


def _copy_function(func: ast.expr, info: scope.ModuleInfo) -> bool:
    """``copy.copy``, ``copy.deepcopy``, or ``copy``/``deepcopy`` imported from ``copy``."""
    match func:
        case ast.Attribute(value=ast.Name(id="copy"), attr="copy" | "deepcopy"):
            return info.is_module_import("copy")
        case ast.Name(id=("copy" | "deepcopy") as fname):
            return any(
                isinstance(b, ast.ImportFrom) and b.module == "copy"
                for b in info.bindings.get(fname, ())
            )
    return False


def _function_of(node: ast.AST, info: scope.ModuleInfo) -> scope.Function | None:
    """The nearest enclosing function, through comprehensions and lambdas."""
    for parent in info.ancestors(node):
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return parent
        if isinstance(parent, ast.ClassDef):
            return None
    return None


def _in_loop(node: ast.AST, info: scope.ModuleInfo) -> bool:
    for parent in info.ancestors(node):
        if isinstance(parent, _LOOPS):
            return True
        if isinstance(parent, scope.NESTED_SCOPES):
            return False
    return False
