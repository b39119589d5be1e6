"""``pat.match(text[pos:])`` copies the rest of ``text`` to match at ``pos``: pass ``pos`` instead.

``pat.match(text[pos:])``, ``pat.search(...)``, ``pat.fullmatch(...)`` and
``pat.findall(...)`` become ``pat.match(text, pos)`` and so on: the compiled pattern's
methods take the position to start at, and match the same characters without the copy.
The module functions ``re.match(P, text[pos:])`` (and ``re.search``, ``re.fullmatch``,
``re.findall``, with flags or not) become ``re.compile(P).match(text, pos)``: ``re.match``
itself compiles ``P`` through the same cache of compiled patterns, so the only cost that
changes is the copy.

The two spellings differ in what the pattern can see *before* ``pos`` and in the positions
of the result, so the detector proves neither matters:

- The pattern is surely known. ``pat`` is a name bound exactly once in the module, by a
  top-level ``pat = re.compile(P, flags)``, or once in the same function (a plain local,
  see ``scope.local_name``); for ``re.match(P, ...)``, ``P`` is the pattern itself. ``re``
  is imported as a module. ``P`` folds to one ``str`` without running code
  (``offsets.constant_string``): literals, ``+``, ``%`` and f-strings of such strings, and
  names bound once in the module, at top level, to such an expression. The flags, if any,
  are ``re.I``, ``re.M``, ``re.S``, ``re.X`` (or their long names), ``re.A``, ``re.U`` or
  ``0``, joined with ``|``.
- The pattern, parsed by Python's own regular-expression parser with those flags, holds
  nothing that looks at the text before ``pos`` (``offsets.reads_forward_only``). It stays
  silent on ``^`` (matches at the real start of the string, or with MULTILINE after a
  newline, never "at pos"), ``\\A``, look-behind ``(?<=...)`` and ``(?<!...)``, and ``\\b``
  and ``\\B`` anywhere in the pattern (a word boundary looks at the previous character).
  ``$``, ``\\Z``, look-ahead and everything else that only reads forward are fine: the end
  of the text is unchanged. Anything the parser reports that is not on a short list of
  known forward-only constructs keeps it silent too.
- ``pos`` is surely a non-negative ``int`` (``offsets.nonnegative``): ``text[-3:]`` is the
  last three characters, but ``pat.match(text, -3)`` starts at 0. Literals, ``len(...)``,
  ``m.end()``, sums of those, and locals only ever bound to such values (also by nested
  functions, through ``nonlocal``) qualify; a parameter never does.
- The result reads no position: ``start()``, ``end()``, ``span()``, ``pos``, ``endpos``,
  ``string`` and ``regs`` of the match object would all change (they become relative to
  the whole string). So the call's value must be only tested for truth (``if``, ``not``,
  ``is None``), or read through ``.group(...)``, ``.groups(...)``, ``.groupdict(...)``,
  ``.expand(...)``, ``[i]``, ``.lastindex``, ``.lastgroup`` or ``.re``, either directly or
  through a plain local ``m = pat.match(text[pos:])`` all of whose reads are such. Any
  other read (``return m``, ``f(m)``, ``m.end()``, a walrus) keeps it silent.
  ``findall`` returns strings only, so its result may go anywhere.

The rewrite is rebuilt from the call's parts, so any comment, parenthesis, keyword or
line break inside a part keeps it silent. ``pat.split(text[pos:], 1)`` has no position
argument and is left alone. The one thing assumed is that ``text`` is a ``str`` (what a
``str`` pattern accepts): any other object raises ``TypeError`` from ``re`` either way,
unless its slices are strings.
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import scope
from bot.find.detectors.core import BOM, Match, Positions, parse
from bot.find.detectors.offsets import (
    between,
    checked,
    constant_string,
    flags_value,
    module_compile,
    nonnegative,
    re_compile_call,
    reads_forward_only,
)
from bot.model import TextEdit

name = "slice-to-match"
summary = "`pat.match(text[pos:])` copies the rest of the string; pass `pos` to the pattern"
explanation = (
    "`pat.match(text[pos:])` (or `re.match(P, text[pos:])`) copies everything after `pos` "
    "only to match at its start; `pat.match(text, pos)` matches at the same place, with the "
    "same groups, and the pattern has no anchor or look-behind that sees the difference. "
    "Cost: a copy of the rest of the text per call; once per token, quadratic in the "
    "text's length."
)

_METHODS = frozenset({"match", "search", "fullmatch", "findall"})
# Reads of a match object that do not depend on where the matched text started.
_POSITION_FREE_METHODS = frozenset({"group", "groups", "groupdict", "expand"})
_POSITION_FREE_ATTRS = frozenset({"lastindex", "lastgroup", "re"})

_HINT = re.compile(r":[\s\\]*\]")
_OPEN = re.compile(r"\s*\[\s*")


def detect(source: str, path: str) -> list[Match]:
    if not _HINT.search(source) or ("compile" not in source and "re." not in source):
        return []
    tree = parse(source)
    if tree is None:
        return []
    calls = [n for n in ast.walk(tree) if _sliced_call(n) or _sliced_re_call(n)]
    if not calls:
        return []
    info = scope.ModuleInfo(tree)
    positions = Positions(source)
    text = source.removeprefix(BOM)
    lines = text.splitlines(keepends=True)
    matches: list[Match] = []
    for call in calls:
        match = _match(call, info, positions, text, lines)
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
        ) if method in _METHODS and pattern.id != "re":
            return pattern, method, arg
    return None


def _sliced_re_call(node: ast.AST) -> tuple[ast.expr, str, ast.Subscript, ast.expr | None] | None:
    """``(P, method, text[pos:], flags)`` if ``node`` is ``re.method(P, text[pos:], flags)``
    (flags positional, as ``flags=``, or absent: then None)."""
    match node:
        case ast.Call(
            func=ast.Attribute(value=ast.Name(id="re"), attr=method),
            args=[
                pattern,
                ast.Subscript(slice=ast.Slice(lower=ast.expr(), upper=None, step=None)) as arg,
                *flags,
            ],
            keywords=keywords,
        ) if method in _METHODS and len(flags) + len(keywords) <= 1:
            if keywords and keywords[0].arg != "flags":
                return None
            given = [*flags, *(k.value for k in keywords)]
            if any(isinstance(a, ast.Starred) for a in (pattern, *given)):
                return None
            return pattern, method, arg, given[0] if given else None
    return None


def _match(
    call: ast.Call, info: scope.ModuleInfo, positions: Positions, text: str, lines: list[str]
) -> Match | None:
    func = scope.enclosing_function(call, info)
    if func is None:
        return None
    found = _sliced_call(call)
    if found is not None:
        pattern, method, arg = found
        compiled = _compiled(pattern.id, func, info)
        owner, flags = pattern.id, None
    else:
        module_call = _sliced_re_call(call)
        if module_call is None or not info.is_module_import("re"):
            return None
        pattern_expr, method, arg, flags = module_call
        compiled = _literal_compile(pattern_expr, flags, info)
        owner = ""
    assert isinstance(arg.slice, ast.Slice) and arg.slice.lower is not None
    start = arg.slice.lower
    if compiled is None or not reads_forward_only(compiled):
        return None
    if not nonnegative(start, func, info):
        return None
    if method != "findall" and not _result_position_free(call, func, info):
        return None
    subject = ast.get_source_segment(text, arg.value) or "text"
    offset = ast.get_source_segment(text, start) or "pos"
    if owner:
        edit = _edit(arg, start, positions, lines)
        new = f"{owner}.{method}"
    else:
        edit, new = _module_edit(call, arg, start, flags, positions, lines)
    if edit is None:
        return None
    old = f"{owner}.{method}({subject}[{offset}:])" if owner else _source(call, text)
    message = (
        f"`{old}` copies the rest of `{subject}` to match at `{offset}`; "
        f"`{new}({subject}, {offset})` does not"
    )
    return positions.match(call, message, (edit,), f"Pass `{offset}` to `{new}`")


def _source(node: ast.expr, text: str) -> str:
    segment = " ".join((ast.get_source_segment(text, node) or "").split())
    return segment if len(segment) <= 80 else segment[:77] + "..."


def _edit(
    arg: ast.Subscript, start: ast.expr, positions: Positions, lines: list[str]
) -> TextEdit | None:
    """Replace ``[pos:]`` by ``, pos``, when nothing else (parentheses, comments) is there."""
    value_end, start_begin = positions.end(arg.value), positions.start(start)
    start_end, arg_end = positions.end(start), positions.end(arg)
    if not _OPEN.fullmatch(between(lines, value_end, start_begin)):
        return None
    if not re.fullmatch(r"\s*:\s*\]", between(lines, start_end, arg_end)):
        return None
    offset = between(lines, start_begin, start_end)
    if "#" in offset or "\n" in offset:
        return None
    return positions.edit(value_end, arg_end, f", {offset}")


def _module_edit(
    call: ast.Call,
    arg: ast.Subscript,
    start: ast.expr,
    flags: ast.expr | None,
    positions: Positions,
    lines: list[str],
) -> tuple[TextEdit | None, str]:
    """``re.compile(P[, flags]).method(text, pos)`` in place of the whole call, built from
    its parts when the call holds nothing but them (no comment, no line break in a part)."""
    assert isinstance(call.func, ast.Attribute)
    pattern = call.args[0]
    parts: list[ast.expr] = [pattern, arg.value, start, *([flags] if flags is not None else [])]
    texts = [between(lines, positions.start(p), positions.end(p)) for p in parts]
    keyword = bool(call.keywords)
    gaps = [
        (positions.start(call), positions.start(pattern), r"re\s*\.\s*\w+\s*\(\s*"),
        (positions.end(pattern), positions.start(arg.value), r"\s*,\s*"),
        (positions.end(arg.value), positions.start(start), _OPEN.pattern),
    ]
    if flags is None:
        gaps.append((positions.end(start), positions.end(call), r"\s*:\s*\]\s*\)"))
    else:
        comma = r"\s*:\s*\]\s*,\s*" + (r"flags\s*=\s*" if keyword else "")
        gaps.append((positions.end(start), positions.start(flags), comma))
        gaps.append((positions.end(flags), positions.end(call), r"\s*\)"))
    if any("\n" in t for t in texts) or "#" in texts[2]:
        return None, ""
    if not all(re.fullmatch(rx, between(lines, a, b)) for a, b, rx in gaps):
        return None, ""
    compiled = f"re.compile({texts[0]}" + (f", {texts[3]})" if flags is not None else ")")
    new = f"{compiled}.{call.func.attr}"
    edit = positions.edit(
        positions.start(call), positions.end(call), f"{new}({texts[1]}, {texts[2]})"
    )
    return edit, new


def _literal_compile(
    pattern: ast.expr, flags: ast.expr | None, info: scope.ModuleInfo
) -> tuple[str, int] | None:
    """``(source, flags)`` of ``re.compile(pattern, flags)`` if both fold to constants."""
    source = constant_string(pattern, info)
    value = 0 if flags is None else flags_value(flags)
    return None if source is None or value is None else checked(source, value)


def _compiled(pattern: str, func: scope.Function, info: scope.ModuleInfo) -> tuple[str, int] | None:
    """``(source, flags)`` of the constant ``re.compile`` that ``pattern`` surely names."""
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
    match call:
        case ast.Call(args=[source], keywords=[]):
            return _literal_compile(source, None, info)
        case (
            ast.Call(args=[source, flags], keywords=[])
            | ast.Call(args=[source], keywords=[ast.keyword(arg="flags", value=flags)])
        ):
            return _literal_compile(source, flags, info)
    return None


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
