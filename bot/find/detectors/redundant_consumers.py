"""``redundant-copy``'s copies whose only consumer takes the original just as well.

A *copy* here is ``list(C)``, ``tuple(C)`` (the unshadowed builtins, one positional
argument) or ``C[:]``, where ``C`` is surely a built-in container (``facts.kind``: a list,
tuple, str/bytes, dict, set, frozenset or range; for ``C[:]`` a list, tuple, str or range,
the types whose full slice is an equal object of the same type). Iterating such a ``C``
runs no user code, cannot fail, and yields the copy's items in the copy's order. Three
consumers read nothing but those items, once, at once:

- **Unpacking** ``a, b, c = list(range(3))`` → ``a, b, c = range(3)``: a single target
  that is a tuple or list pattern (starred too: a starred name gets a new list either
  way). Too many or too few items raise ``ValueError`` either way (for a list or tuple
  ``C`` with the same message; for the others the message may no longer say how many
  items there were).
- **Extending a list** ``xs += list(C)`` → ``xs += C``, ``xs.extend(list(C))`` →
  ``xs.extend(C)``, where ``xs`` is a name surely bound to a list (``facts.name_kind``;
  ``xs += c`` of a known container keeps it one). ``list.__iadd__`` and ``extend`` take
  any iterable and append its items in order; none of these types has a ``__radd__``
  that ``+=`` would ask first. ``xs += xs`` doubles the list like ``xs += list(xs)``.
- **Concatenation** ``X[:] + Y`` → ``X + Y`` (and ``Y + X[:]`` → ``Y + X``) when ``X`` is
  surely a list, tuple or str and ``Y`` surely a built-in container: ``+`` of two of these
  builds a new object from the items and keeps neither operand (a tuple's or str's full
  slice is the object itself anyway), and an unsupported pair raises the same
  ``TypeError``.

- **Reading it whole** ``sep.join(list(C))`` → ``sep.join(C)`` (``sep`` surely a str),
  ``sum(list(C))``, ``min(list(C))``, ``max(list(C))`` → without the copy, for *any* ``C``,
  generators too: these read every item first, in order, keep none of the iterable, and
  their result depends only on the items. An error from ``C`` comes before they have done
  anything visible, as it came from the copy. ``min``/``max`` with a second positional
  argument (which compares the list itself) are left alone.

Silent for everything else. An iterator or generator ``C`` (``xs += list(gen)``,
``a, b = list(it)``): ``list()`` consumes it all before the first item lands, the
consumer stops early (unpacking reads one item past the targets) or leaves ``xs`` partly
extended when an item raises, and ``xs += (x for x in xs)`` never ends. An ``xs`` or
``X`` of unknown type (``self.items += list(r)``, ``self.meta[:] + self.head``): a numpy
array adds element-wise, a ``deque`` has no slices, and a class whose ``__getitem__``
returns a list may add differently from that list (or keep its operand). A ``Y`` of
unknown type: its ``__radd__`` would receive ``X`` itself instead of a copy and could
keep it. ``X[:] += Y`` (a slice assignment), several targets (``t = a, b = list(r)``
keeps the list in ``t``), and displays (``list((a, b))``, ruff's C409/C410).
"""

from __future__ import annotations

import ast

from bot.find.detectors import facts, reading, scope
from bot.find.detectors.core import Positions
from bot.model import TextEdit

Found = tuple[ast.expr, tuple[tuple[TextEdit, ...], str, str]]  # spanned node, and as ever
_SLICEABLE = frozenset({"list", "tuple", "str", "range"})
_ADDABLE = frozenset({"list", "tuple", "str"})
_DISPLAYS = (ast.List, ast.Tuple, ast.ListComp, ast.Set, ast.SetComp, ast.Dict, ast.DictComp)


def shape(node: ast.AST) -> bool:
    """A cheap first look: an unpacking, ``+=`` or ``.extend`` of a call or slice, or a ``+``."""
    match node:
        case ast.Assign(targets=[ast.Tuple() | ast.List()], value=ast.Call() | ast.Subscript()):
            return True
        case ast.AugAssign(target=ast.Name(), op=ast.Add(), value=ast.Call() | ast.Subscript()):
            return True
        case ast.Call(func=ast.Attribute(value=ast.Name(), attr="extend"), args=[_], keywords=[]):
            return True
        case ast.BinOp(op=ast.Add()):
            return _full_slice(node.left) is not None or _full_slice(node.right) is not None
        case ast.Call(func=ast.Attribute(attr="join") | ast.Name(id="sum" | "min" | "max")):
            return bool(node.args) and isinstance(node.args[0], ast.Call)
    return False


def find(
    node: ast.AST,
    func: scope.Function | None,
    info: scope.ModuleInfo,
    text: reading.Segments,
    positions: Positions,
) -> Found | None:
    match node:
        case ast.Assign(targets=[ast.Tuple() | ast.List()], value=value):
            return _replace(value, func, info, text, positions, "is unpacked at once")
        case ast.AugAssign(target=ast.Name() as target, op=ast.Add(), value=value):
            if facts.name_kind(target, func, info) == "list":
                return _replace(value, func, info, text, positions, f"only extends `{target.id}`")
        case ast.Call(
            func=ast.Attribute(value=ast.Name() as target, attr="extend"), args=[value], keywords=[]
        ):
            if facts.kind(target, func, info) == "list":
                return _replace(value, func, info, text, positions, f"only extends `{target.id}`")
        case ast.BinOp(left=left, op=ast.Add(), right=right):
            return _concatenated(left, right, func, info, text, positions) or _concatenated(
                right, left, func, info, text, positions
            )
        case ast.Call(func=ast.Attribute(value=separator, attr="join"), args=[value], keywords=[]):
            if facts.kind(separator, func, info) == "str":
                return _read_whole(value, True, info, text, positions, "is only joined")
        case ast.Call(func=ast.Name(id="sum" | "min" | "max" as reader), args=[value, *rest]):
            if info.is_builtin(reader) and (reader == "sum" or not rest) and len(rest) <= 1:
                alone = not rest and not node.keywords
                return _read_whole(
                    value, alone, info, text, positions, f"is only read by `{reader}()`"
                )
    return None


def _read_whole(
    copy: ast.expr,
    alone: bool,
    info: scope.ModuleInfo,
    text: reading.Segments,
    positions: Positions,
    consumer: str,
) -> Found | None:
    """``list(C)``/``tuple(C)`` whose consumer reads any iterable whole, once, at once.

    ``str.join``, ``sum``, ``min`` and ``max`` first read every item of the iterable they are
    given, in order, and keep none of it: the copy only reads ``C`` one step earlier.
    ``C`` may be anything, a generator too: it is read whole either way, and an error from it
    comes before the consumer has done anything that could be seen. Their results do not
    depend on the iterable's type, only on its items.
    """
    arg = _constructor_arg(copy, info)
    if arg is None:
        return None
    inner = text(arg)
    if isinstance(arg, ast.GeneratorExp):
        # Its source includes the call's parentheses: kept beside other arguments
        # (`sum((x for x in y), 0)`), dropped when it is the only one (`max(x for x in y)`).
        if alone and inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1]
    elif isinstance(arg, ast.NamedExpr):
        inner = f"({inner})"
    edit = positions.edit(positions.start(copy), positions.end(copy), inner)
    message = f"copies `{text(arg)}`, which {consumer}: it can read `{text(arg)}` itself"
    return copy, ((edit,), message, "Drop a copy that is only read once")


def _constructor_arg(copy: ast.expr, info: scope.ModuleInfo) -> ast.expr | None:
    """``C`` if ``copy`` is ``list(C)`` or ``tuple(C)`` (the builtins) of no display."""
    match copy:
        case ast.Call(func=ast.Name(id="list" | "tuple" as builtin), args=[arg], keywords=[]):
            if not isinstance(arg, (ast.Starred, *_DISPLAYS)) and info.is_builtin(builtin):
                return arg
    return None


def _copied(copy: ast.expr, func: scope.Function | None, info: scope.ModuleInfo) -> ast.expr | None:
    """``C`` if ``copy`` is ``list(C)``, ``tuple(C)`` or ``C[:]`` of a known container."""
    arg = _constructor_arg(copy, info)
    if arg is not None:
        return arg if facts.kind(arg, func, info) in facts.CONTAINERS else None
    sliced = _full_slice(copy)
    if sliced is None or facts.kind(sliced, func, info) not in _SLICEABLE:
        return None
    return sliced


def _full_slice(node: ast.expr) -> ast.expr | None:
    match node:
        case ast.Subscript(value=value, slice=ast.Slice(None, None, None), ctx=ast.Load()):
            return value
    return None


def _replace(
    copy: ast.expr,
    func: scope.Function | None,
    info: scope.ModuleInfo,
    text: reading.Segments,
    positions: Positions,
    consumer: str,
) -> Found | None:
    copied = _copied(copy, func, info)
    if copied is None:
        return None
    inner = text(copied)
    if isinstance(copied, ast.NamedExpr):
        inner = f"({inner})"
    edit = positions.edit(positions.start(copy), positions.end(copy), inner)
    message = f"copies `{text(copied)}`, which {consumer}: it can take `{text(copied)}` itself"
    return copy, ((edit,), message, "Drop a copy that is only iterated once")


def _concatenated(
    copy: ast.expr,
    other: ast.expr,
    func: scope.Function | None,
    info: scope.ModuleInfo,
    text: reading.Segments,
    positions: Positions,
) -> Found | None:
    """``X[:] + Y`` (``copy`` is ``X[:]``, ``other`` is ``Y``) of a known X and Y."""
    sliced = _full_slice(copy)
    if sliced is None or facts.kind(sliced, func, info) not in _ADDABLE:
        return None
    if facts.kind(other, func, info) not in facts.CONTAINERS:
        return None
    inner = reading.as_primary(sliced, text(sliced))
    edit = positions.edit(positions.start(copy), positions.end(copy), inner)
    message = f"copies `{inner}` into `+`, which builds a new object anyway"
    return copy, ((edit,), message, "Drop a copy that `+` makes anyway")
