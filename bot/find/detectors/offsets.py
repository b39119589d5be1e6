"""Facts for detectors that pass a start position instead of slicing (``text[pos:]``). Pure.

- ``nonnegative``: an offset surely evaluates to an ``int >= 0`` (``text[-3:]`` and
  ``pat.match(text, -3)`` differ).
- ``constant_string``: the ``str`` a pattern expression surely evaluates to, folded from
  literals and module-level constants without running any of the module's code.
- ``reads_forward_only``: a regular expression never looks at the text before the
  position it starts at, checked with Python's own parser of regular expressions.
- ``between``: the source text between two positions, to check that nothing (a comment,
  parentheses) would be lost when a detector rebuilds an expression from its parts.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable

from bot.find.detectors import scope

try:  # Python's own parser of regular expressions (private; without it, stay silent)
    import re._parser as _re_parser
except ImportError:  # every supported Python (3.11+) has it
    _re_parser = None

_FLAGS = {
    flag: int(getattr(re, flag))
    for flag in ("I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "X", "VERBOSE", "A", "U")
}
# What the parser may report and still read nothing before the start position.
_FORWARD_OPS = frozenset(
    {"LITERAL", "NOT_LITERAL", "ANY", "IN", "MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
    | {"SUBPATTERN", "BRANCH", "ATOMIC_GROUP", "GROUPREF", "GROUPREF_EXISTS"}
)
_END_ANCHORS = frozenset({"AT_END", "AT_END_STRING", "AT_END_LINE"})
_MATCH_METHODS = frozenset({"match", "search", "fullmatch"})
_MAX_DEPTH = 24
_MAX_CONSTANT = 100_000  # characters: a folded pattern longer than this is not checked


# --- patterns ------------------------------------------------------------------------------


def flags_value(node: ast.expr) -> int | None:
    """The value of ``re.I | re.M ...`` (or ``0``) as flags of ``re.compile``, else None."""
    match node:
        case ast.Constant(value=0) if not isinstance(node.value, bool):
            return 0
        case ast.Attribute(value=ast.Name(id="re"), attr=attr) if attr in _FLAGS:
            return _FLAGS[attr]
        case ast.BinOp(left=left, op=ast.BitOr(), right=right):
            a, b = flags_value(left), flags_value(right)
            return None if a is None or b is None else a | b
    return None


def checked(source: str, flags: int) -> tuple[str, int] | None:
    """The pattern, if it compiles (with the flags) without warnings or errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            re.compile(source, flags)
    except (re.error, Warning, ValueError, TypeError, OverflowError, RecursionError):
        return None
    return source, flags


def reads_forward_only(compiled: tuple[str, int]) -> bool:
    """Whether the pattern never reads the text before the position it starts at.

    Silent (False) on ``^``, ``\\A``, look-behind, ``\\b`` and ``\\B`` anywhere, and on
    anything the parser reports that is not on a short list of forward-only constructs.
    """
    if _re_parser is None:
        return False
    source, flags = compiled
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _forward(_re_parser.parse(source, flags))
    except Exception:  # a private parser: any surprise means "don't know"
        return False


def _forward(items: Iterable[tuple[object, object]]) -> bool:
    for item in items:  # a parsed SubPattern, or a list of (op, argument) pairs
        op, av = item
        op_name = str(op)
        if op_name == "AT":
            if str(av) not in _END_ANCHORS:
                return False
        elif op_name in ("ASSERT", "ASSERT_NOT"):
            direction, sub = av
            if direction < 0 or not _forward(sub):
                return False
        elif op_name == "IN":
            continue  # a character class reads one character, the current one
        elif op_name not in _FORWARD_OPS or not all(map(_forward, _subpatterns(av))):
            return False
    return True


def _subpatterns(av: object) -> list[object]:
    """The parsed sub-patterns inside an operation's argument (nested in tuples and lists)."""
    if _re_parser is not None and isinstance(av, _re_parser.SubPattern):
        return [av]
    if isinstance(av, tuple | list):
        return [sub for part in av for sub in _subpatterns(part)]
    return []


def constant_string(expr: ast.expr, info: scope.ModuleInfo, depth: int = 0) -> str | None:
    """The ``str`` that ``expr`` surely evaluates to, folded without running code; else None.

    String literals (implicitly concatenated too), ``a + b`` of such strings, f-strings
    whose fields are such strings with no conversion or format spec (``str`` of a ``str``
    is itself), ``a % b`` with ``b`` such a string or a tuple of them (``str`` formatting of
    ``str`` arguments runs no user code), and names bound exactly once in the module, by a
    top-level ``NAME = <such an expression>`` (``module_value``). Bytes are not strings here.
    """
    if depth > _MAX_DEPTH:
        return None
    deeper = depth + 1
    value: str | None = None
    match expr:
        case ast.Constant(value=str() as literal):
            value = literal
        case ast.BinOp(left=left, op=ast.Add(), right=right):
            a = constant_string(left, info, deeper)
            b = None if a is None else constant_string(right, info, deeper)
            value = None if a is None or b is None else a + b
        case ast.BinOp(left=left, op=ast.Mod(), right=right):
            value = _formatted(left, right, info, deeper)
        case ast.JoinedStr(values=parts):
            pieces = []
            for part in parts:
                if isinstance(part, ast.FormattedValue):
                    if part.conversion != -1 or part.format_spec is not None:
                        return None
                    part = part.value
                piece = constant_string(part, info, deeper)
                if piece is None:
                    return None
                pieces.append(piece)
            value = "".join(pieces)
        case ast.Name(id=name, ctx=ast.Load()):
            bound = module_value(name, info)
            value = None if bound is None else constant_string(bound, info, deeper)
    return value if value is None or len(value) <= _MAX_CONSTANT else None


def _formatted(left: ast.expr, right: ast.expr, info: scope.ModuleInfo, depth: int) -> str | None:
    template = constant_string(left, info, depth)
    if template is None:
        return None
    args: str | tuple[str, ...]
    if isinstance(right, ast.Tuple):
        parts = [constant_string(e, info, depth) for e in right.elts]
        if any(p is None for p in parts):
            return None
        args = tuple(p for p in parts if p is not None)
    else:
        single = constant_string(right, info, depth)
        if single is None:
            return None
        args = single
    try:
        return template % args
    except (TypeError, ValueError, KeyError, OverflowError):
        return None


def module_value(name: str, info: scope.ModuleInfo) -> ast.expr | None:
    """The value of the top-level ``name = value`` (or ``name: T = value``) if that statement
    is the only binding of ``name`` in the whole module (no ``global`` rebinds it); else None."""
    nodes = info.bindings.get(name, [])
    if info.star_import or len(nodes) != 1:
        return None
    statement = info.parents.get(nodes[0])
    if info.parents.get(statement) is not info.tree:
        return None
    match statement:
        case ast.Assign(targets=[target], value=value) if target is nodes[0]:
            return value
        case ast.AnnAssign(target=target, value=ast.expr() as value) if target is nodes[0]:
            return value
    return None


def module_compile(name: str, info: scope.ModuleInfo) -> ast.Call | None:
    """The ``re.compile(...)`` call if ``name`` is bound exactly once in the whole module,
    by a top-level ``name = re.compile(...)``; else None."""
    if not info.is_module_import("re"):
        return None
    return re_compile_call(module_value(name, info))


def re_compile_call(value: ast.expr | None) -> ast.Call | None:
    match value:
        case ast.Call(func=ast.Attribute(value=ast.Name(id="re"), attr="compile")):
            return value
    return None


def match_call(value: ast.expr | None, info: scope.ModuleInfo) -> bool:
    """Whether ``value`` is ``re.match(...)``-like: ``re.match``, ``re.search``,
    ``re.fullmatch`` (``re`` imported as a module), or ``p.match/search/fullmatch`` on a
    name ``p`` bound once in the module to ``re.compile(...)``. Its result is a match
    object or None; a match object's ``start()`` and ``end()`` are never negative."""
    match value:
        case ast.Call(func=ast.Attribute(value=ast.Name(id=owner), attr=method)) if (
            method in _MATCH_METHODS
        ):
            if owner == "re":
                return info.is_module_import("re")
            return module_compile(owner, info) is not None
    return False


# --- offsets -------------------------------------------------------------------------------


def nonnegative(
    expr: ast.expr,
    func: scope.Function,
    info: scope.ModuleInfo,
    assumed: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``expr`` surely evaluates to an ``int`` that is ``>= 0`` (or raises).

    True for non-negative ``int`` literals, ``len(...)``, ``m.start()`` and ``m.end()``
    without arguments on a plain local ``m`` bound only to ``re.match``-like calls (see
    ``match_call``), sums and products of such values, and locals every binding of which
    is one (``n = 0`` ... ``n += len(tok)``), also when nested functions rebind them
    through ``nonlocal`` (``cell_bindings``). A local's own bindings may read it: by
    induction over the order they run in, each keeps it non-negative.
    """
    match expr:
        case ast.Constant(value=int(value)) if not isinstance(value, bool):
            return value >= 0
        case ast.Call(func=ast.Name(id="len"), args=[arg], keywords=[]) if not isinstance(
            arg, ast.Starred
        ):
            return info.is_builtin("len")
        case ast.BinOp(left=left, op=ast.Add() | ast.Mult(), right=right):
            return nonnegative(left, func, info, assumed) and nonnegative(
                right, func, info, assumed
            )
        case ast.Call(
            func=ast.Attribute(value=ast.Name(id=var), attr="start" | "end"), args=[], keywords=[]
        ):
            local = scope.local_name(func, var, info)
            return (
                local is not None
                and bool(local.bindings)
                and all(
                    isinstance(b, ast.Assign) and match_call(b.value, info) for b in local.bindings
                )
            )
        case ast.Name(id=var):
            if var in assumed:
                return True
            local = scope.local_name(func, var, info)
            if local is not None:
                bindings = [(b, func) for b in local.bindings]
            else:
                bindings = cell_bindings(func, var, info) or []
            if not bindings:
                return False
            inner = assumed | {var}
            for binding, owner in bindings:
                if isinstance(binding, ast.AugAssign) and not isinstance(
                    binding.op, ast.Add | ast.Mult
                ):
                    return False
                if binding.value is None or not nonnegative(binding.value, owner, info, inner):
                    return False
            return True
    return False


Binding = ast.Assign | ast.AnnAssign | ast.AugAssign


def cell_bindings(
    func: scope.Function, name: str, info: scope.ModuleInfo
) -> list[tuple[Binding, scope.Function]] | None:
    """Every binding of a local ``name`` of ``func`` that nested functions share through
    ``nonlocal name``, each with the function it is in; None if ``name`` is anything else.

    ``func`` must bind ``name`` only by plain assignments, not as a parameter, ``global`` or
    ``nonlocal``, and not reach its frame. A nested scope may read ``name`` freely; one that
    binds it must be a function directly in ``func`` declaring ``nonlocal name``, binding it
    only by plain assignments, and with no scope of its own mentioning it.
    """
    if scope.introspects(func) or _is_parameter(func, name):
        return None
    if any(isinstance(n, ast.NamedExpr) and scope.mentions(n.target, name) for n in ast.walk(func)):
        return None  # a walrus in a comprehension binds in the function around it
    found = _plain_bindings(func, func, name, info, allow_nested=True)
    if found is None:
        return None
    return [(b, owner) for b, owner in found if b.value is not None]  # `name: int` binds nothing


def _plain_bindings(
    func: scope.Function,
    owner: scope.Function,
    name: str,
    info: scope.ModuleInfo,
    *,
    allow_nested: bool,
) -> list[tuple[Binding, scope.Function]] | None:
    found: list[tuple[Binding, scope.Function]] = []
    for node in scope.own_nodes(owner):
        if isinstance(node, scope.NESTED_SCOPES):
            if not any(name in scope.bound_names(n) for n in ast.walk(node)):
                continue  # only reads it (or never mentions it)
            if not allow_nested or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return None
            if _is_parameter(node, name) or not _declares_nonlocal(node, name):
                return None
            inner = _plain_bindings(func, node, name, info, allow_nested=False)
            if inner is None:
                return None
            found.extend(inner)
        elif isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            binding = scope.simple_binding(node, info)
            if binding is None:
                return None
            found.append((binding, owner))
        elif isinstance(node, ast.Nonlocal) and owner is not func and name in node.names:
            continue
        elif name in scope.bound_names(node):
            return None
    return found


def _is_parameter(func: scope.Function, name: str) -> bool:
    args = func.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return any(p is not None and p.arg == name for p in params)


def _declares_nonlocal(func: scope.Function, name: str) -> bool:
    return any(isinstance(n, ast.Nonlocal) and name in n.names for n in scope.own_nodes(func))


# --- source text ---------------------------------------------------------------------------


def between(lines: list[str], a: tuple[int, int], b: tuple[int, int]) -> str:
    """The text from position ``a`` to ``b`` (1-based lines and character columns)."""
    (la, ca), (lb, cb) = a, b
    if la == lb:
        return lines[la - 1][ca - 1 : cb - 1]
    return lines[la - 1][ca - 1 :] + "".join(lines[la : lb - 1]) + lines[lb - 1][: cb - 1]
