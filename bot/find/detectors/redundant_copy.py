"""A copy of a value that is already a new object of the same type: drop the copy.

Three spellings:

- ``list(E)``, ``set(E)``, ``dict(E)`` (the builtins, one positional argument) where ``E``
  surely builds a *new* object of that very type: ``s.split()``, ``s.rsplit()``,
  ``s.splitlines()`` of a str/bytes, ``sorted(...)``, ``re.findall``, ``re.split``, a
  slice or ``.copy()`` of a list, ``a + b`` of two lists, ``a | b`` (``&``, ``-``, ``^``)
  of two sets, a set comprehension, ``.copy()`` of a dict or set, ``dict.fromkeys(...)``.
  ``E`` becomes the value itself. Nothing else can hold a reference to a value that was
  just built, so nothing can tell the copy from the original; the type is the same, and
  so are the items and their order. (``list(sorted(x))`` is ruff's C413, left out of the
  recipe because the same rule also rewrites ``reversed(sorted(x))``; the copies that
  ruff's selected rules remove, ``list([...])``, ``set(list(x))``, ``dict({...})``, are
  left to them.)
- ``[a] + list(rest)`` → ``[a, *rest]``, ``list(a) + [b]`` → ``[*a, b]``,
  ``list(a) + list(b)`` → ``[*a, *b]``: one new list instead of two or three. The items
  are evaluated and iterated in the same order, and a non-iterable raises ``TypeError``
  either way. Inside ``sorted(list(a) + [b])`` this gives ``sorted([*a, b])``.
- ``len(set(d) & names)`` → ``len(d.keys() & names)`` (also ``|``, ``-``, ``^``, and in a
  truth test) when ``d`` is surely a dict and ``names`` surely a set or frozenset: a dict's
  keys view is already set-like. Only the size or truth is used because the two results
  can hold different (equal) objects, and iterate in a different order.

- A copy whose consumer takes the original as well: ``a, b = list(range(2))``,
  ``xs += list(r)``, ``xs.extend(list(d))``, ``x[:] + y`` (see ``redundant_consumers``).

Also outside functions (module level, class bodies), where ``facts`` knows a name only
from the statement just before its read, and expressions that need no name everywhere;
a class statement with keywords (``metaclass=``) is skipped (see ``_scope``).

Stays silent when the type is not proven: ``list(x.split())`` of an unknown ``x`` (for
``os.path.split`` it turns a tuple into a list), ``set(obj.prop)`` (a property can return a
shared set, and a subclass can override it), ``list(d.keys())`` (a new list of a view),
``tuple(s.split())`` (a type change), a set whose iteration order reaches the output.
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import facts, reading, redundant_consumers, scope
from bot.find.detectors.core import Match, Positions
from bot.model import TextEdit

name = "redundant-copy"
summary = "`list(s.split())` copies a value that is already a new list; use the value itself"
explanation = (
    "The value is already a new object that nothing else refers to, or what receives the "
    "copy (an unpacking, `+=`, `extend`, `+`) reads the original just as well, so the copy "
    "only builds a second object with the same items. Cost: twice the time and memory for "
    "that expression on every call (on every pass, inside a loop)."
)

_HINT = re.compile(r"\b(?:list|set|dict|tuple)\s*\(|\[\s*:\s*\]")
Found = tuple[tuple[TextEdit, ...], str, str]  # edits, message, fix title
_SET_OPS = (ast.BitAnd, ast.BitOr, ast.Sub, ast.BitXor)


def detect(source: str, path: str) -> list[Match]:
    module = reading.read(source, _HINT)
    if module is None:
        return []
    tree, info, positions, text = module
    matches: list[Match] = []
    for node in ast.walk(tree):
        if not (_shape(node) or redundant_consumers.shape(node)):
            continue
        analysable, func = _scope(node, info)
        if not analysable:
            continue
        found = redundant_consumers.find(node, func, info, text, positions)
        if found is None:
            own = (
                _fresh_copy(node, func, info, text, positions)
                or _concatenation(node, info, text, positions)
                or _keys_view(node, func, info, text, positions)
            )
            found = None if own is None or not isinstance(node, ast.expr) else (node, own)
        if found is None:
            continue
        spanned, (edits, message, title) = found
        segment = text(spanned)
        if "#" in segment:
            continue  # a comment inside would be lost
        matches.append(positions.match(spanned, f"`{segment}` {message}", edits, title))
    return reading.disjoint(matches)


def _scope(node: ast.AST, info: scope.ModuleInfo) -> tuple[bool, scope.Function | None]:
    """Whether ``node`` may be analysed, and the function whose locals ``facts`` may use.

    Outside functions (module level, class bodies, lambdas and comprehensions at those
    levels) ``facts`` knows names only in the narrow module-level way, and expressions
    that need none. A class body that passes keywords to its class statement (a
    ``metaclass=``) is skipped: its namespace may answer even ``list`` or ``range``.
    """
    func = scope.enclosing_function(node, info)
    if func is not None:
        return True, func
    for parent in info.ancestors(node):
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            break
        if isinstance(parent, ast.ClassDef) and parent.keywords:
            return False, None
    return True, None


def _shape(node: ast.AST) -> bool:
    """A cheap first look: a one-argument call of a copying builtin, or a ``+``/set operator."""
    match node:
        case ast.Call(func=ast.Name(id="list" | "set" | "dict"), args=[_], keywords=[]):
            return True
        case ast.BinOp(op=ast.Add() | ast.BitAnd() | ast.BitOr() | ast.Sub() | ast.BitXor()):
            return isinstance(node.left, ast.Call | ast.List)
    return False


def _copy_of(node: ast.AST, info: scope.ModuleInfo, names: set[str]) -> ast.expr | None:
    match node:
        case ast.Call(func=ast.Name(id=func), args=[arg], keywords=[]) if (
            func in names and not isinstance(arg, ast.Starred) and info.is_builtin(func)
        ):
            return arg
    return None


def _fresh_copy(
    node: ast.AST,
    func: scope.Function | None,
    info: scope.ModuleInfo,
    text: reading.Segments,
    positions: Positions,
) -> Found | None:
    """``list(E)`` / ``set(E)`` / ``dict(E)`` of a new ``E`` of the same type."""
    value = _copy_of(node, info, {"list", "set", "dict"})
    if value is None or not _builds_new(value, func, info):
        return None
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    if facts.kind(value, func, info) != node.func.id:
        return None
    inner = text(value) or ""
    message = f"copies `{inner}`, which is already a new {node.func.id}"
    edit = positions.edit(positions.start(node), positions.end(node), inner)
    return (edit,), message, f"Drop the `{node.func.id}()` copy of a new {node.func.id}"


def _builds_new(value: ast.expr, func: scope.Function | None, info: scope.ModuleInfo) -> bool:
    """Whether ``value`` builds a new object that nothing else references.

    Displays, list/dict comprehensions and copies of copies are ruff's (C410, C411, C414,
    C418) and are left out here.
    """
    match value:
        case ast.SetComp():
            return True
        case ast.Call(func=ast.Name(id="sorted")):
            return True  # kind() checks that it is the builtin
        case ast.Call(func=ast.Attribute(value=ast.Name(id="re"), attr="findall" | "split")):
            return True  # kind() checks that `re` is the module
        case ast.Call(func=ast.Attribute(value=ast.Name(id="dict"), attr="fromkeys")):
            return True
        case ast.Call(func=ast.Attribute(value=receiver, attr=attr), keywords=keywords):
            of = facts.kind(receiver, func, info)
            if attr in facts.STR_TO_LIST:
                return of == "str"
            return attr == "copy" and of in {"list", "dict", "set"} and not keywords
        case ast.Subscript(slice=ast.Slice()):
            return True  # a slice of a list is a new list (kind() proves the list)
        case ast.BinOp(op=ast.Add() | ast.BitAnd() | ast.BitOr() | ast.Sub() | ast.BitXor()):
            return True  # kind() proves both operands are lists (sets)
    return False


def _concatenation(
    node: ast.AST,
    info: scope.ModuleInfo,
    text: reading.Segments,
    positions: Positions,
) -> Found | None:
    """``[a] + list(b)``, ``list(a) + [b]``, ``list(a) + list(b)`` as one list display."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    left, right = node.left, node.right
    left_copy, right_copy = _copy_of(left, info, {"list"}), _copy_of(right, info, {"list"})
    if not (
        (left_copy is not None or isinstance(left, ast.List))
        and (right_copy is not None or isinstance(right, ast.List))
        and (left_copy is not None or right_copy is not None)
    ):
        return None
    start, end = positions.start(node), positions.end(node)
    if left_copy is not None and right_copy is not None:
        both = f"[{_starred(left_copy, text)}, {_starred(right_copy, text)}]"
        edits = (positions.edit(start, end, both),)
    elif left_copy is not None:
        assert isinstance(right, ast.List)
        # `list(a) + [b, c]`: `list(a) + [` becomes `[*a, `; the rest of `[b, c]` stays.
        if not right.elts:
            edits = (positions.edit(start, end, f"[{_starred(left_copy, text)}]"),)
        else:
            opening = positions.start(right)
            after_bracket = (opening[0], opening[1] + 1)
            space = " " if right.elts[0].lineno == right.lineno else ""  # none before a break
            edits = (positions.edit(start, after_bracket, f"[{_starred(left_copy, text)},{space}"),)
    else:
        assert isinstance(left, ast.List) and right_copy is not None
        # `[a, b] + list(c)`: from after `b` to the end becomes `, *c]`.
        if not left.elts:
            edits = (positions.edit(start, end, f"[{_starred(right_copy, text)}]"),)
        else:
            last = positions.end(left.elts[-1])
            edits = (positions.edit(last, end, f", {_starred(right_copy, text)}]"),)
    message = "builds a list only to copy it into another one"
    return edits, message, "Build one list instead of two"


def _starred(copied: ast.expr, text: reading.Segments) -> str:
    return reading.as_starred(copied, text(copied))


def _keys_view(
    node: ast.AST,
    func: scope.Function | None,
    info: scope.ModuleInfo,
    text: reading.Segments,
    positions: Positions,
) -> Found | None:
    """``set(d) & names`` whose size or truth only is used: ``d.keys() & names``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, _SET_OPS)):
        return None
    copied = _copy_of(node.left, info, {"set"})
    if copied is None or not isinstance(node.right, ast.Name):
        return None
    parent = info.parents.get(node)
    measured = (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Name)
        and parent.func.id == "len"
        and parent.args == [node]
        and not parent.keywords
        and info.is_builtin("len")
    )
    if not (measured or facts.in_truth_context(node, info)):
        return None
    match copied:
        case ast.Call(func=ast.Attribute(value=mapping, attr="keys"), args=[], keywords=[]):
            pass
        case _:
            mapping = copied
    if not isinstance(mapping, ast.Name) or facts.kind(mapping, func, info) != "dict":
        return None
    if facts.kind(node.right, func, info) not in {"set", "frozenset"}:
        return None
    message = f"copies the keys of `{mapping.id}` into a set; its keys view is set-like already"
    edit = positions.edit(
        positions.start(node.left), positions.end(node.left), f"{mapping.id}.keys()"
    )
    return (edit,), message, f"Use `{mapping.id}.keys()` instead of a set copy"
