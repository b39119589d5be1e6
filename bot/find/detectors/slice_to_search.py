"""``seq[start:]`` copied only to search the rest: pass ``start`` to the search instead.

Two shapes, each rewritten only when it is exactly that shape:

- ``start + seq[start:].index(v)`` (or ``seq[start:].index(v) + start``) becomes
  ``seq.index(v, start)``. ``list.index``, ``tuple.index``, ``str.index``, ``bytes.index``
  and ``collections.abc.Sequence.index`` all take the position to start at and return the
  index in the whole sequence, which is ``start`` plus the index in the slice; when ``v``
  is not there, both spellings raise ``ValueError`` (with the same message).
- ``needle in text[i:]`` becomes ``text.find(needle, i) != -1`` (``not in``: ``== -1``),
  when ``text`` is surely a ``str`` (or ``bytes``) and ``needle`` a non-empty string
  literal: ``find`` looks for it from ``i`` on, in place.

Why each is safe, and when the detector stays silent:

- The offset is surely a non-negative ``int`` (``offsets.nonnegative``: literals,
  ``len(...)``, ``m.end()``, sums, locals only ever bound to such values). With a negative
  start the slice counts from the end and the sum no longer gives an index of ``seq``,
  and ``text[-1:]`` is one character where ``find(needle, -1)`` also starts at the end: the
  two agree there, but a parameter or ``len(x) - 1`` is never accepted.
- For ``index``, the sum's offset and the slice's are the same expression, built only from
  names, literals, ``+``, ``*``, ``len(name)`` and ``m.start()``/``m.end()``, and ``seq`` and
  ``v`` are names, attributes or constant items (no call): evaluating the offset once
  instead of twice changes nothing. ``seq`` must not be known to be a ``range`` (its
  ``index`` takes one argument), a ``dict`` or a set (they have no slices). An unknown
  ``seq`` (``self.tokens``) is the common case and is accepted: the assumption is that a
  sliceable object with an ``index`` method follows the sequence protocol, whose
  ``index(value, start)`` is the one above; a class whose ``index`` takes one argument
  would raise ``TypeError`` (the night's test run catches it when the line runs).
- One difference is real: ``"".index("", 5)`` raises where ``""[5:].index("")`` is 0 (an
  empty needle is found at the end of an empty slice, but a start beyond the string finds
  nothing). So for a ``seq`` known to be a ``str``, ``v`` must be a non-empty literal, and
  for an unknown ``seq``, ``v`` must not be an empty or otherwise known string. ``in`` has
  the same edge (``"" in s[9:]`` is True, ``s.find("", 9)`` is -1), hence the non-empty
  literal needle.
- ``text`` is a ``str`` when ``facts.kind`` proves it (literals, ``str`` methods, locals
  bound to such values), or when it is a parameter annotated ``str`` (or ``bytes``) that the
  function never rebinds: the assumption is that callers honour the annotation (a list of
  strings would answer ``in`` but has no ``find``). Mixing ``str`` and ``bytes`` raises
  ``TypeError`` either way.
- The rewrite is rebuilt from the expression's parts, so a comment, a parenthesis or a
  line break inside it keeps the detector silent.
"""

from __future__ import annotations

import ast
import re

from bot.find.detectors import facts, reading, scope
from bot.find.detectors.core import BOM, Match, Positions, parse
from bot.find.detectors.offsets import between, nonnegative
from bot.model import TextEdit

name = "slice-to-search"
summary = "`start + seq[start:].index(v)` and `x in text[i:]` copy the rest; search in place"
explanation = (
    "`seq[start:]` copies everything after `start` only to search it once; "
    "`seq.index(v, start)` and `text.find(needle, i)` search the same items in place and "
    "give the same answer, since the start is never negative. Cost: a copy of the rest of "
    "the sequence per call; once per item or token, quadratic in its length."
)

_HINT = re.compile(r":[\s\\]*\]")
_NOT_SEQUENCES = frozenset({"range", "dict", "set", "frozenset"})
_PLAIN = (ast.Name, ast.Attribute, ast.Constant)
_OPEN, _CLOSE = r"\s*\[\s*", r"\s*:\s*\]"
_INDEX_CALL = _CLOSE + r"\s*\.\s*index\s*\(\s*"


def detect(source: str, path: str) -> list[Match]:
    if not _HINT.search(source) or (".index" not in source and " in " not in source):
        return []
    tree = parse(source)
    if tree is None:
        return []
    info = scope.ModuleInfo(tree)
    positions = Positions(source)
    text = source.removeprefix(BOM)
    lines = text.splitlines(keepends=True)
    matches: list[Match] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            match = _index_match(node, info, positions, lines)
        elif isinstance(node, ast.Compare):
            match = _in_match(node, info, positions, lines)
        else:
            continue
        if match is not None:
            matches.append(match)
    return reading.disjoint(sorted(matches, key=lambda m: (m.start_line, m.start_col)))


def _sliced(node: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """``(seq, start)`` if ``node`` is ``seq[start:]``."""
    match node:
        case ast.Subscript(
            value=seq, slice=ast.Slice(lower=ast.expr() as start, upper=None, step=None)
        ) if isinstance(node.ctx, ast.Load):
            return seq, start
    return None


# --- start + seq[start:].index(v) ----------------------------------------------------------


def _index_match(
    node: ast.BinOp, info: scope.ModuleInfo, positions: Positions, lines: list[str]
) -> Match | None:
    for offset, call, offset_first in (
        (node.left, node.right, True),
        (node.right, node.left, False),
    ):
        match call:
            case ast.Call(
                func=ast.Attribute(value=sliced, attr="index"), args=[needle], keywords=[]
            ) if not isinstance(needle, ast.Starred):
                found = _sliced(sliced)
                if found is not None and ast.dump(found[1]) == ast.dump(offset):
                    seq, start = found
                    return _index_fix(
                        node, offset, seq, start, needle, offset_first, info, positions, lines
                    )
    return None


def _index_fix(
    node: ast.BinOp,
    offset: ast.expr,
    seq: ast.expr,
    start: ast.expr,
    needle: ast.expr,
    offset_first: bool,
    info: scope.ModuleInfo,
    positions: Positions,
    lines: list[str],
) -> Match | None:
    func = scope.enclosing_function(node, info)
    if func is None or not _pure_offset(offset) or not nonnegative(offset, func, info):
        return None
    if not (_simple(seq) and _simple(needle)):
        return None
    seq_kind = facts.kind(seq, func, info)
    if seq_kind in _NOT_SEQUENCES:
        return None
    if not _needle_safe(needle, seq_kind, func, info):
        return None
    if offset_first:
        parts = [offset, seq, start, needle]
        gaps = ["", r"\s*\+\s*", _OPEN, _INDEX_CALL, r"\s*\)"]
    else:
        parts = [seq, start, needle, offset]
        gaps = ["", _OPEN, _INDEX_CALL, r"\s*\)\s*\+\s*", ""]
    texts = _parts(node, parts, gaps, positions, lines)
    if texts is None:
        return None
    seq_text, needle_text, start_text = (
        texts[parts.index(seq)],
        texts[parts.index(needle)],
        texts[parts.index(start)],
    )
    seq_text = reading.as_primary(seq, seq_text)
    new = f"{seq_text}.index({needle_text}, {start_text})"
    edit = TextEdit(*positions.start(node), *positions.end(node), new)
    message = (
        f"`{seq_text}[{start_text}:]` copies the rest of `{seq_text}` only to search it; "
        f"`{new}` searches in place and gives the same index"
    )
    return positions.match(node, message, (edit,), f"Search `{seq_text}` from `{start_text}`")


def _pure_offset(expr: ast.expr) -> bool:
    """Built only of names, literals, ``+``/``*``, ``len(name)`` and ``m.start()``/``m.end()``:
    evaluating it twice or once gives the same value and does nothing else."""
    match expr:
        case ast.Name() | ast.Constant():
            return True
        case ast.BinOp(left=left, op=ast.Add() | ast.Mult(), right=right):
            return _pure_offset(left) and _pure_offset(right)
        case ast.Call(func=ast.Name(id="len"), args=[arg], keywords=[]):
            return _simple(arg)
        case ast.Call(func=ast.Attribute(value=ast.Name(), attr="start" | "end"), args=[]):
            return not expr.keywords
    return False


def _simple(expr: ast.expr) -> bool:
    """A name, a constant, an attribute of one, or an item of one at a constant: no call."""
    match expr:
        case ast.Name() | ast.Constant():
            return True
        case ast.Attribute(value=value):
            return _simple(value)
        case ast.Subscript(value=value, slice=ast.Constant()):
            return _simple(value)
    return False


def _needle_safe(
    needle: ast.expr, seq_kind: str | None, func: scope.Function, info: scope.ModuleInfo
) -> bool:
    """Whether ``v`` surely is not the empty string when ``seq`` may be a string."""
    if isinstance(needle, ast.Constant) and isinstance(needle.value, str | bytes):
        return bool(needle.value)
    if seq_kind == "str":
        return False
    return seq_kind in {"list", "tuple"} or facts.kind(needle, func, info) != "str"


# --- needle in text[i:] ---------------------------------------------------------------------


def _in_match(
    node: ast.Compare, info: scope.ModuleInfo, positions: Positions, lines: list[str]
) -> Match | None:
    match node:
        case ast.Compare(
            left=ast.Constant(value=str() | bytes()) as needle,
            ops=[ast.In() | ast.NotIn() as op],
            comparators=[ast.Subscript() as sliced],
        ) if needle.value:
            found = _sliced(sliced)
        case _:
            return None
    if found is None:
        return None
    text, start = found
    func = scope.enclosing_function(node, info)
    if func is None or not nonnegative(start, func, info) or facts.kind(text, func, info) != "str":
        return None
    negated = isinstance(op, ast.NotIn)
    keyword = r"\s*not\s+in\s*" if negated else r"\s*in\s*"
    texts = _parts(node, [needle, text, start], ["", keyword, _OPEN, _CLOSE], positions, lines)
    if texts is None:
        return None
    needle_text, text_text, start_text = texts
    text_text = reading.as_primary(text, text_text)
    new = f"{text_text}.find({needle_text}, {start_text}) {'==' if negated else '!='} -1"
    edit = TextEdit(*positions.start(node), *positions.end(node), new)
    message = (
        f"`{text_text}[{start_text}:]` copies the rest of `{text_text}` only to look for "
        f"{needle_text}; `{new}` looks in place"
    )
    return positions.match(node, message, (edit,), f"Search `{text_text}` from `{start_text}`")


# --- rebuilding from parts -------------------------------------------------------------------


def _parts(
    node: ast.expr,
    parts: list[ast.expr],
    gaps: list[str],
    positions: Positions,
    lines: list[str],
) -> list[str] | None:
    """The source of each part, if ``node`` holds nothing but the parts and gaps matching
    ``gaps`` (one before the first part, one between each two, one after the last)."""
    marks = [positions.start(node)]
    for part in parts:
        marks += [positions.start(part), positions.end(part)]
    marks.append(positions.end(node))
    texts = [between(lines, marks[2 * k + 1], marks[2 * k + 2]) for k in range(len(parts))]
    if any("\n" in t or "\r" in t for t in texts):
        return None
    for k, gap in enumerate(gaps):
        if marks[2 * k] > marks[2 * k + 1]:
            return None
        if not re.fullmatch(gap, between(lines, marks[2 * k], marks[2 * k + 1])):
            return None
    return texts
