"""A list built only to be tested for truth: ask the question without building the list.

Two spellings, wherever only the truth of the value is used (``if``/``while``/``assert``
tests, ``not``, a conditional expression's test, a comprehension's ``if``, ``and``/``or``
inside one of these, ``bool(...)``):

- ``[e for t in s if p]`` → ``any(p for t in s)``: the list is non-empty exactly when some
  item passes the filter, whatever ``e`` is, so ``any`` of the filter gives the same truth
  (``not [...]`` becomes ``not any(...)``). One ``for`` and one ``if`` only.
- ``list(x)`` / ``tuple(x)`` → ``x``, and ``list(d.keys())`` (``values()``, ``items()``) →
  ``d``, when ``x`` is surely a list, tuple, str/bytes, dict, set, frozenset or range and
  ``d`` surely a dict: a built-in container is true exactly when it is not empty.

Why ``any`` is the same program here: it evaluates the filter on the same items in the
same order and stops at the first that passes, where the list went on to the end. So it
evaluates a prefix of what the list evaluated; that is only observable through side
effects or exceptions of the later evaluations, or through the iterable itself. Hence the
detector requires that ``s`` is surely a container (``facts.kind``; a slice ``x[a:b]``
counts as a sequence), never an iterator that something else goes on reading nor a
generator with work of its own, and that ``e`` and ``p`` are *quiet*: names, constants,
attribute and item reads, comparisons, ``and``/``or``/``not``, arithmetic, and calls of
``isinstance``, ``issubclass``, ``len``, ``callable``, ``type`` and of str predicates
(``c.isdigit()``, ``s.startswith(...)``...). No ``:=``, ``await`` or ``yield``. With those,
the only difference left is that code which raised on a later item (``c.isdigit()`` of a
non-str) now returns its answer instead: the rewrite never raises where the original did
not, and never changes a result the original computed.

Stays silent for unknown iterables (``tokens[i]``, a parameter, a call), filters that call
anything else (``if check(x)`` may log, count or raise on purpose), several ``for``/``if``
clauses, a shadowed ``any``, and lists whose value is used (``x = [...] or default``).
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import facts, reading, scope
from bot.find.detectors.core import Match

name = "list-for-truth"
summary = "`if not [c for c in s if p(c)]` builds a list only to test it; use `any(...)`"
explanation = (
    "The list is built only to ask whether it is empty: `any()` (or the container itself) "
    "answers the same question without keeping the items, and stops at the first match. "
    "Cost: every item evaluated and a list allocated for each test; inside a loop, on every "
    "pass."
)

_HINT = re.compile(r"\bif\b|\bwhile\b|\bassert\b|\bnot\b|\bbool\b")
_QUIET_BUILTINS = frozenset({"isinstance", "issubclass", "len", "callable", "type"})
_STR_PREDICATES = frozenset(
    {"isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "istitle"}
    | {"isdecimal", "isnumeric", "isidentifier", "isprintable", "isascii"}
    | {"startswith", "endswith"}
)
_ITERABLE_KINDS = facts.CONTAINERS | {"sequence"}
_TRUTH_KINDS = facts.CONTAINERS
_VIEWS = frozenset({"keys", "values", "items"})
_PLAIN_TARGET = (ast.Name, ast.Tuple, ast.List, ast.Starred, ast.Store)


def detect(source: str, path: str) -> list[Match]:
    module = reading.read(source, _HINT)
    if module is None:
        return []
    tree, info, positions, text = module
    matches: list[Match] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ListComp | ast.Call) or not facts.in_truth_context(node, info):
            continue
        func = scope.enclosing_function(node, info)
        if func is None:
            continue
        if isinstance(node, ast.ListComp):
            found = _comprehension(node, func, info, text)
        else:
            found = _container_copy(node, func, info, text)
        segment = text(node)
        if found is None or "#" in segment:
            continue  # a comment inside would be lost
        replacement, message, title = found
        edit = positions.edit(positions.start(node), positions.end(node), replacement)
        matches.append(positions.match(node, f"`{segment}` {message}", (edit,), title))
    return reading.disjoint(matches)


def _comprehension(
    node: ast.ListComp, func: scope.Function, info: scope.ModuleInfo, text: reading.Segments
) -> tuple[str, str, str] | None:
    if len(node.generators) != 1 or not info.is_builtin("any"):
        return None
    generator = node.generators[0]
    if generator.is_async or len(generator.ifs) != 1:
        return None
    condition = generator.ifs[0]
    if not (_quiet(node.elt, info) and _quiet(condition, info)):
        return None
    if not all(isinstance(n, _PLAIN_TARGET) for n in ast.walk(generator.target)):
        return None  # `for self.x in s` or `for d[k] in s` writes as it goes
    if facts.kind(generator.iter, func, info) not in _ITERABLE_KINDS:
        return None
    parts = [text(n) for n in (condition, generator.target, generator.iter)]
    if not all(parts):
        return None
    separator = " "
    if node.lineno != node.end_lineno:
        # Keep it on several lines: `for` goes where the filter's line started.
        separator = "\n" + text.indent(condition.lineno)
    replacement = f"any({parts[0]}{separator}for {parts[1]} in {parts[2]})"
    message = "builds a list only to test whether any item passes the filter"
    return replacement, message, "Ask `any()` instead of building a list"


def _container_copy(
    node: ast.Call, func: scope.Function, info: scope.ModuleInfo, text: reading.Segments
) -> tuple[str, str, str] | None:
    match node:
        case ast.Call(func=ast.Name(id="list" | "tuple" as constructor), args=[arg], keywords=[]):
            if isinstance(arg, ast.Starred) or not info.is_builtin(constructor):
                return None
        case _:
            return None
    tested = arg
    match arg:
        case ast.Call(func=ast.Attribute(value=mapping, attr=attr), args=[], keywords=[]) if (
            attr in _VIEWS and facts.kind(mapping, func, info) == "dict"
        ):
            tested = mapping
    if tested is arg and facts.kind(arg, func, info) not in _TRUTH_KINDS:
        return None
    inner = text(tested)
    if not inner:
        return None
    message = f"copies `{text(arg)}` only to test whether it is empty"
    return reading.as_primary(tested, inner), message, f"Test `{inner}` itself"


def _quiet(expr: ast.expr, info: scope.ModuleInfo) -> bool:
    """Whether evaluating ``expr`` reads only: no calls beyond a few pure ones (see above)."""
    for node in ast.walk(expr):
        match node:
            case ast.NamedExpr() | ast.Await() | ast.Yield() | ast.YieldFrom() | ast.Lambda():
                return False
            case (
                ast.ListComp() | ast.SetComp() | ast.DictComp() | ast.GeneratorExp() | ast.Starred()
            ):
                return False
            case ast.Call(func=ast.Name(id=func)):
                if func not in _QUIET_BUILTINS or not info.is_builtin(func):
                    return False
            case ast.Call(func=ast.Attribute(attr=attr)):
                if attr not in _STR_PREDICATES:
                    return False
            case ast.Call():
                return False
    return True
