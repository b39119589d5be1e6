"""``list(xs)[-1]`` copies a whole sequence to read one item: read it from ``xs`` itself.

Four lookups on a ``list(xs)`` or ``tuple(xs)`` copy (the builtins, one positional argument)
are rewritten to the same lookup on ``xs``, when ``xs`` is surely a list, tuple, str/bytes
or range (see ``facts.kind``: a display, a comprehension, ``list(...)``, ``sorted(...)``,
``s.split()``, a slice of one of these, or a local whose reaching binding is one):

- ``list(xs)[k]`` → ``xs[k]`` for an int literal ``k`` (negative too); any index, slices
  included, when ``xs`` has the copy's own type (``list(xs)[1:]`` of a list is a new list
  either way; of a tuple it would become a tuple, so it is left alone);
- ``len(list(xs))`` → ``len(xs)`` (also for a dict, set or frozenset ``xs``);
- ``list(xs).index(v)`` and ``list(xs).count(v)`` → ``xs.index(v)``, ``xs.count(v)`` for a
  list, tuple (or, with one argument, a range): the same equality test, the same order,
  ``ValueError`` when missing;
- ``v in list(xs)`` → ``v in xs`` for a list, tuple or range.

Why this is the same program: iterating these built-in types runs no user code and reads
the items the copy would hold, in order; indexing them reads the same item, and an index
out of range raises ``IndexError`` either way. Mutating ``xs`` later, or aliases of it,
change nothing: the lookup reads ``xs`` at the same moment the copy would have.

Stays silent when ``xs``'s type is unknown (a parameter, an attribute, a call's result):
``list(node)[0]`` of an object with its own ``__getitem__`` may differ; for a str,
``v in s`` and ``s.index(v)`` search substrings where the list searched characters; for a
dict or set, ``v in d`` hashes ``v`` (``TypeError`` for an unhashable one, where the list
said False). ``list(d)[0]`` → ``next(iter(d))`` (ruff's RUF015) is never proposed: an empty
``d`` raises ``StopIteration`` instead of ``IndexError`` (inside a generator, a
``RuntimeError``). Neither is ``sorted(xs)[0]`` → ``min(xs)`` (``ValueError`` on empty),
``x in seq[:i]`` (an ``islice`` changes the result for a negative ``i``), nor
``seq.index([y for y in seq if p(y)][0])`` (``index`` finds the first *equal* item, which
need not be the first that passes ``p``).
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import facts, reading, scope
from bot.find.detectors.core import Match

name = "copy-for-lookup"
summary = "`list(xs)[-1]` copies a sequence to read one item of it; read it from `xs` directly"
explanation = (
    "The copy is built only to read one item or its length, or to search it, and the "
    "original answers the same question itself. Cost: all n items copied (time and memory) "
    "for each lookup; inside a loop, on every pass, which makes the loop quadratic."
)

_HINT = re.compile(r"\b(?:list|tuple)\s*\(")
_COPIES = {"list": "list", "tuple": "tuple"}
_INDEXABLE = frozenset({"list", "tuple", "str", "range"})
_MEASURABLE = facts.CONTAINERS
_SEARCHABLE = frozenset({"list", "tuple", "range"})


def detect(source: str, path: str) -> list[Match]:
    module = reading.read(source, _HINT)
    if module is None:
        return []
    tree, info, positions, text = module
    matches: list[Match] = []
    for node in ast.walk(tree):
        copied = _copy(node, info)
        if copied is None:
            continue
        func = scope.enclosing_function(node, info)
        if func is None:
            continue
        found = _lookup(node, copied, func, info)
        if found is None:
            continue
        site, what = found
        segment, inner = text(site), text(copied)
        if "#" in segment or not inner:
            continue  # a comment inside would be lost
        call_segment = text(node)
        edit = positions.edit(
            positions.start(node), positions.end(node), reading.as_primary(copied, inner)
        )
        message = f"`{call_segment}` copies `{inner}` only to {what}; `{inner}` can answer that"
        title = f"Use `{inner}` directly, without the copy"
        matches.append(positions.match(site, message, (edit,), title))
    return reading.disjoint(matches)


def _copy(node: ast.AST, info: scope.ModuleInfo) -> ast.expr | None:
    """``xs`` if ``node`` is ``list(xs)`` or ``tuple(xs)`` (the builtins), else None."""
    match node:
        case ast.Call(func=ast.Name(id=func), args=[arg], keywords=[]) if (
            func in _COPIES and not isinstance(arg, ast.Starred) and info.is_builtin(func)
        ):
            return arg
    return None


def _lookup(
    call: ast.Call, copied: ast.expr, func: scope.Function, info: scope.ModuleInfo
) -> tuple[ast.expr, str] | None:
    """The lookup on ``call`` that ``copied`` answers alike, and what it does; else None."""
    assert isinstance(call.func, ast.Name)
    parent = info.parents.get(call)
    of = facts.kind(copied, func, info)
    if of is None:
        return None
    match parent:
        case ast.Subscript(value=value, slice=index, ctx=ast.Load()) if value is call:
            if _int_literal(index) and of in _INDEXABLE:
                return parent, "read one item"
            if of == _COPIES[call.func.id]:
                return parent, "read from it"
        case ast.Call(func=ast.Name(id="len"), args=[arg], keywords=[]) if arg is call:
            if info.is_builtin("len") and of in _MEASURABLE:
                return parent, "measure it"
        case ast.Attribute(value=value, attr="index" | "count") if value is call:
            method_call = info.parents.get(parent)
            if not (isinstance(method_call, ast.Call) and method_call.func is parent):
                return None
            if any(isinstance(a, ast.Starred) for a in method_call.args) or method_call.keywords:
                return None
            if of in {"list", "tuple"} or (of == "range" and len(method_call.args) == 1):
                return method_call, "search it"
        case ast.Compare(ops=[ast.In() | ast.NotIn()], comparators=[right]) if right is call:
            if of in _SEARCHABLE:
                return parent, "search it"
    return None


def _int_literal(index: ast.expr) -> bool:
    match index:
        case ast.Constant(value=int() as value) if not isinstance(value, bool):
            return True
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() as value)) if (
            not isinstance(value, bool)
        ):
            return True
    return False
