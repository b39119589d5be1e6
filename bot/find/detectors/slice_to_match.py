"""``pat.match(text[pos:])`` copies the rest of ``text`` to match at ``pos``: pass ``pos`` instead.

``pat.match(text[pos:])``, ``pat.search(...)``, ``pat.fullmatch(...)`` and
``pat.findall(...)`` become ``pat.match(text, pos)`` and so on: the compiled pattern's
methods take the position to start at, and match the same characters without the copy.

The two spellings differ in what the pattern can see *before* ``pos`` and in the positions
of the result, so the detector proves neither matters:

- ``pat`` is a name bound exactly once in the module, by a top-level
  ``pat = re.compile("literal", flags)``, or once in the same function (a plain local, see
  ``scope.local_name``); ``re`` is imported as a module; the pattern is one string literal
  (implicit concatenation is fine, f-strings and ``%``-formatting are not) and the flags, if
  any, are ``re.I``, ``re.M``, ``re.S``, ``re.X`` (or their long names), ``re.A``, ``re.U`` or
  ``0``, joined with ``|``.
- The pattern, parsed by Python's own regular-expression parser with those flags, holds
  nothing that looks at the text before ``pos``. It stays silent on ``^`` (matches at the
  real start of the string, or with MULTILINE after a newline, never "at pos"), ``\\A``,
  look-behind ``(?<=...)`` and ``(?<!...)``, and ``\\b`` and ``\\B`` anywhere in the pattern
  (a word boundary looks at the previous character). ``$``, ``\\Z``, look-ahead and
  everything else that only reads forward are fine: the end of the text is unchanged.
  Anything the parser reports that is not on a short list of known forward-only
  constructs keeps it silent too.
- ``pos`` is surely a non-negative ``int`` (``nonnegative``): ``text[-3:]`` is the
  last three characters, but ``pat.match(text, -3)`` starts at 0. Literals, ``len(...)``,
  ``m.end()``, sums of those, and locals only ever bound to such values qualify; a
  parameter never does.
- The result reads no position: ``start()``, ``end()``, ``span()``, ``pos``, ``endpos``,
  ``string`` and ``regs`` of the match object would all change (they become relative to
  the whole string). So the call's value must be only tested for truth (``if``, ``not``,
  ``is None``), or read through ``.group(...)``, ``.groups(...)``, ``.groupdict(...)``,
  ``.expand(...)``, ``[i]``, ``.lastindex``, ``.lastgroup`` or ``.re``, either directly or
  through a plain local ``m = pat.match(text[pos:])`` all of whose reads are such. Any
  other read (``return m``, ``f(m)``, ``m.end()``, a walrus) keeps it silent.
  ``findall`` returns strings only, so its result may go anywhere.

``pat.split(text[pos:], 1)`` has no position argument and is left alone. The one thing
assumed is that ``text`` is a ``str`` (what a ``str`` pattern accepts): any other object
raises ``TypeError`` from ``re`` either way, unless its slices are strings.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable

from bot.find.detectors import scope
from bot.find.detectors.core import BOM, Match, Positions, parse
from bot.model import TextEdit

try:  # Python's own parser of regular expressions (private; without it, stay silent)
    import re._parser as _re_parser
except ImportError:  # every supported Python (3.11+) has it
    _re_parser = None

name = "slice-to-match"
summary = "`pat.match(text[pos:])` copies the rest of the string; pass `pos` to the pattern"
explanation = (
    "`pat.match(text[pos:])` copies everything after `pos` only to match at its start; "
    "`pat.match(text, pos)` matches at the same place, with the same groups, and the "
    "pattern has no anchor or look-behind that sees the difference. Cost: a copy of the "
    "rest of the text per call; once per token, quadratic in the text's length."
)

_METHODS = frozenset({"match", "search", "fullmatch", "findall"})
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
# Reads of a match object that do not depend on where the matched text started.
_POSITION_FREE_METHODS = frozenset({"group", "groups", "groupdict", "expand"})
_POSITION_FREE_ATTRS = frozenset({"lastindex", "lastgroup", "re"})

_HINT = re.compile(r":[\s\\]*\]")


def detect(source: str, path: str) -> list[Match]:
    if "compile" not in source or not _HINT.search(source):
        return []
    tree = parse(source)
    if tree is None:
        return []
    calls = [n for n in ast.walk(tree) if _sliced_call(n) is not None]
    if not calls:
        return []
    info = scope.ModuleInfo(tree)
    positions = Positions(source)
    text = source.removeprefix(BOM)
    matches: list[Match] = []
    for call in calls:
        match = _match(call, info, positions, text)
        if match is not None:
            matches.append(match)
    return sorted(matches, key=lambda m: (m.start_line, m.start_col))


def _sliced_call(node: ast.AST) -> tuple[ast.Name, str, ast.Subscript] | None:
    """``(pat, method, text[pos:])`` if ``node`` is ``pat.method(text[pos:])``."""
    match node:
        case ast.Call(
            func=ast.Attribute(value=ast.Name() as pattern, attr=method),
            args=[ast.Subscript(slice=ast.Slice(lower=ast.expr(), upper=None, step=None)) as arg],
            keywords=[],
        ) if method in _METHODS:
            return pattern, method, arg
    return None


def _match(call: ast.Call, info: scope.ModuleInfo, positions: Positions, text: str) -> Match | None:
    found = _sliced_call(call)
    func = scope.enclosing_function(call, info)
    if found is None or func is None:
        return None
    pattern, method, arg = found
    assert isinstance(arg.slice, ast.Slice) and arg.slice.lower is not None
    start = arg.slice.lower
    compiled = _compiled(pattern.id, func, info)
    if compiled is None or not _reads_forward_only(compiled):
        return None
    if not nonnegative(start, func, info):
        return None
    if method != "findall" and not _result_position_free(call, func, info):
        return None
    edit = _edit(arg, start, positions, text)
    if edit is None:
        return None
    subject = ast.get_source_segment(text, arg.value) or "text"
    offset = ast.get_source_segment(text, start) or "pos"
    message = (
        f"`{pattern.id}.{method}({subject}[{offset}:])` copies the rest of `{subject}` "
        f"to match at `{offset}`; `{pattern.id}.{method}({subject}, {offset})` does not"
    )
    return positions.match(call, message, (edit,), f"Pass `{offset}` to `{pattern.id}.{method}`")


def _edit(arg: ast.Subscript, start: ast.expr, positions: Positions, text: str) -> TextEdit | None:
    """Replace ``[pos:]`` by ``, pos``, when nothing else (parentheses, comments) is there."""
    lines = text.splitlines(keepends=True)

    def between(a: tuple[int, int], b: tuple[int, int]) -> str:
        (la, ca), (lb, cb) = a, b
        if la == lb:
            return lines[la - 1][ca - 1 : cb - 1]
        return lines[la - 1][ca - 1 :] + "".join(lines[la : lb - 1]) + lines[lb - 1][: cb - 1]

    value_end, start_begin = positions.end(arg.value), positions.start(start)
    start_end, arg_end = positions.end(start), positions.end(arg)
    if not re.fullmatch(r"\s*\[\s*", between(value_end, start_begin)):
        return None
    if not re.fullmatch(r"\s*:\s*\]", between(start_end, arg_end)):
        return None
    offset = between(start_begin, start_end)
    if "#" in offset or "\n" in offset:
        return None
    return positions.edit(value_end, arg_end, f", {offset}")


def _compiled(pattern: str, func: scope.Function, info: scope.ModuleInfo) -> tuple[str, int] | None:
    """``(source, flags)`` of the literal ``re.compile`` that ``pattern`` surely names."""
    local = scope.local_name(func, pattern, info)
    if local is not None and local.bindings:
        if len(local.bindings) != 1 or not isinstance(local.bindings[0], ast.Assign):
            return None
        if not info.is_module_import("re"):
            return None
        call = re_compile_call(local.bindings[0].value)
    elif local is not None:  # not bound in the function: a global
        call = module_compile(pattern, info)
    else:
        return None
    if call is None:
        return None
    match call:
        case ast.Call(args=[ast.Constant(value=str(source))], keywords=[]):
            return _checked(source, 0)
        case (
            ast.Call(args=[ast.Constant(value=str(source)), flags], keywords=[])
            | ast.Call(
                args=[ast.Constant(value=str(source))],
                keywords=[ast.keyword(arg="flags", value=flags)],
            )
        ):
            value = _flags(flags)
            return None if value is None else _checked(source, value)
    return None


def _flags(node: ast.expr) -> int | None:
    match node:
        case ast.Constant(value=0) if not isinstance(node.value, bool):
            return 0
        case ast.Attribute(value=ast.Name(id="re"), attr=attr) if attr in _FLAGS:
            return _FLAGS[attr]
        case ast.BinOp(left=left, op=ast.BitOr(), right=right):
            a, b = _flags(left), _flags(right)
            return None if a is None or b is None else a | b
    return None


def _checked(source: str, flags: int) -> tuple[str, int] | None:
    """The pattern, if it compiles (with the flags) without warnings or errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            re.compile(source, flags)
    except (re.error, Warning, ValueError, TypeError, OverflowError, RecursionError):
        return None
    return source, flags


def _reads_forward_only(compiled: tuple[str, int]) -> bool:
    """Whether the pattern never reads the text before the position it starts at."""
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


def _result_position_free(call: ast.Call, func: scope.Function, info: scope.ModuleInfo) -> bool:
    """Whether the match object (or None) that ``call`` returns is never asked a position."""
    parent = info.parents.get(call)
    if isinstance(parent, ast.Assign) and parent.value is call:
        if len(parent.targets) != 1 or not isinstance(parent.targets[0], ast.Name):
            return False
        local = scope.local_name(func, parent.targets[0].id, info)
        return local is not None and all(_position_free_read(u, info) for u in local.uses)
    return _position_free_read(call, info)


def _position_free_read(node: ast.expr, info: scope.ModuleInfo) -> bool:
    parent = info.parents.get(node)
    match parent:
        case ast.Attribute(value=value, attr=attr) if value is node:
            if attr in _POSITION_FREE_ATTRS:
                return True
            call = info.parents.get(parent)
            return (
                attr in _POSITION_FREE_METHODS
                and isinstance(call, ast.Call)
                and call.func is parent
            )
        case ast.Subscript(value=value, ctx=ast.Load()) if value is node:
            return True
        case ast.Compare(left=left, ops=[ast.Is() | ast.IsNot()], comparators=[ast.Constant(None)]):
            return left is node
    return scope.truth_tested(node, info)


# --- light type facts: the offset, and what names a compiled pattern ----------------------


def nonnegative(
    expr: ast.expr,
    func: scope.Function,
    info: scope.ModuleInfo,
    assumed: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``expr`` surely evaluates to an ``int`` that is ``>= 0`` (or raises).

    True for non-negative ``int`` literals, ``len(...)``, ``m.start()`` and ``m.end()``
    without arguments on a plain local ``m`` bound only to ``re.match``-like calls (see
    ``match_call``), sums and products of such values, and plain locals every binding of
    which is one (``n = 0`` ... ``n += len(tok)``). A local's own bindings may read it: by
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
            if local is None or not local.bindings:
                return False
            inner = assumed | {var}
            for binding in local.bindings:
                if isinstance(binding, ast.AugAssign) and not isinstance(
                    binding.op, ast.Add | ast.Mult
                ):
                    return False
                if binding.value is None or not nonnegative(binding.value, func, info, inner):
                    return False
            return True
    return False


_MATCH_METHODS = frozenset({"match", "search", "fullmatch"})


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


def module_compile(name: str, info: scope.ModuleInfo) -> ast.Call | None:
    """The ``re.compile(...)`` call if ``name`` is bound exactly once in the whole module,
    by a top-level ``name = re.compile(...)``; else None."""
    nodes = info.bindings.get(name, [])
    if info.star_import or len(nodes) != 1 or not info.is_module_import("re"):
        return None
    statement = info.parents.get(nodes[0])
    if not (
        isinstance(statement, ast.Assign)
        and statement.targets == [nodes[0]]
        and info.parents.get(statement) is info.tree
    ):
        return None
    return re_compile_call(statement.value)


def re_compile_call(value: ast.expr | None) -> ast.Call | None:
    match value:
        case ast.Call(func=ast.Attribute(value=ast.Name(id="re"), attr="compile")):
            return value
    return None
