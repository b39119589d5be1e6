"""Findings, text edits and fingerprints: the pure data every stage passes along."""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import accumulate


@dataclass(frozen=True)
class TextEdit:
    """Replace the text between two positions with ``content``.

    Positions are 1-based lines and 1-based *character* columns (ruff's JSON convention);
    the end position is exclusive.
    """

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    content: str


@dataclass(frozen=True)
class Finding:
    """One targeted improvement a finder saw, with the edit that would make it."""

    recipe: str
    rule: str  # "ruff:C414" or "nightcrew:list-concat-in-loop"
    path: str  # POSIX path relative to the repository root
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    message: str
    edits: tuple[TextEdit, ...] = ()
    fix_title: str = ""  # what the edit does, e.g. "Remove outer `list()` call"
    applicability: str = "safe"  # ruff's word: safe | unsafe | display-only
    no_fix_reason: str = ""  # why a finder withheld the edit, when it did
    url: str | None = None
    snippet: str = ""  # normalised offending code, filled by assign_fingerprints
    occurrence: int = 0
    fingerprint: str = ""

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:8]

    @property
    def rule_code(self) -> str:
        return self.rule.split(":", 1)[-1]


class EditError(ValueError):
    """An edit does not fit the text it is applied to."""


# Python and ruff end lines at \n, \r\n or \r only; str.splitlines() would also split at
# form feeds and other separators, and misplace every edit below them.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split the way Python's tokenizer and ruff count them."""
    return _LINE.findall(text)


_BREAK = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=8)  # few files at a time; each entry keeps a whole text alive
def line_starts(text: str) -> tuple[int, ...]:
    """Offset of the first character of each line (the lines of :func:`split_lines`).

    Cached by content: every fix of a file with many findings reads its own copy of the
    same text, and hashing a copy is much cheaper than finding its lines again.
    """
    if "\r" in text:
        starts = [0, *(m.end() for m in _BREAK.finditer(text))]
    else:  # the common case, done by str methods at C speed rather than a regex per line
        pieces = text.split("\n")
        starts = list(accumulate(map((1).__add__, map(len, pieces[:-1])), initial=0))
    if starts[-1] == len(text):  # no line starts at the very end
        starts.pop()
    return tuple(starts)


class LineIndex:
    """A text's line starts, found once, so (line, column) positions convert in O(1)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)

    def offset(self, line: int, col: int) -> int:
        """The offset of a 1-based (line, character column); raise EditError if outside."""
        count = len(self.starts)
        if line < 1 or line > count + 1:
            raise EditError(f"line {line} is outside the file ({count} lines)")
        if line == count + 1:
            if col != 1:
                raise EditError(f"column {col} is past the end of the file")
            return len(self.text)
        start = self.starts[line - 1]
        end = self.starts[line] if line < count else len(self.text)
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        if col < 1 or col > end - start + 1:
            raise EditError(f"column {col} is outside line {line}")
        return start + col - 1

    def span(self, start_line: int, start_col: int, end_line: int, end_col: int) -> str:
        """The text between two positions; empty when they do not fit."""
        try:
            return self.text[self.offset(start_line, start_col) : self.offset(end_line, end_col)]
        except EditError:
            return ""


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits to ``text``; raise EditError if they do not fit."""
    index = LineIndex(text)
    spans = sorted(
        (
            (index.offset(e.start_line, e.start_col), index.offset(e.end_line, e.end_col), e)
            for e in edits
        ),
        key=lambda s: (s[0], s[1]),
    )
    out: list[str] = []
    pos = 0
    for start, end, edit in spans:
        if start < pos or end < start:
            raise EditError("edits overlap or run backwards")
        out.append(text[pos:start])
        out.append(edit.content)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# Line breaks as Python's tokenizer and ruff see them, and as str.splitlines() sees them.
PYTHON_BREAKS = "\r\n"
SPLITLINES_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _common_prefix(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share, compared in growing chunks."""
    limit = min(len(a), len(b))
    lo, step = 0, 256
    while lo < limit:
        hi = min(lo + step, limit)
        if a[lo:hi] != b[lo:hi]:
            while hi - lo > 1:  # a[:lo] == b[:lo] and a[lo:hi] != b[lo:hi]
                mid = (lo + hi) // 2
                if a[lo:mid] == b[lo:mid]:
                    lo = mid
                else:
                    hi = mid
            return lo
        lo, step = hi, min(step * 2, 32768)  # big slices cost page faults, not compares
    return limit


def _common_suffix(a: str, b: str, limit: int) -> int:
    """How many trailing characters ``a`` and ``b`` share, at most ``limit``."""
    la, lb = len(a), len(b)
    lo, step = 0, 256
    while lo < limit:
        hi = min(lo + step, limit)
        if a[la - hi : la - lo] != b[lb - hi : lb - lo]:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
                    lo = mid
                else:
                    hi = mid
            return lo
        lo, step = hi, min(step * 2, 32768)  # big slices cost page faults, not compares
    return limit


def _last_break_before(text: str, end: int, breaks: re.Pattern[str]) -> int:
    """Offset just after the last line-break character in ``text[:end]``; 0 if none."""
    width = 256
    while True:
        start = max(0, end - width)
        found = breaks.match(text, start, end)  # greedy: runs to the last break
        if found:
            return found.end()
        if start == 0:
            return 0
        width *= 2


_BREAK_SETS = (PYTHON_BREAKS, SPLITLINES_BREAKS)
_LAST_BREAK = {chars: re.compile(f".*[{chars}]", re.DOTALL) for chars in _BREAK_SETS}
_ANY_BREAK = {chars: re.compile(f"[{chars}]") for chars in _BREAK_SETS}


def _starts_line(text: str, at: int, breaks: str) -> bool:
    """Whether a line starts at offset ``at`` (or the text ends there)."""
    if at == 0 or at == len(text):
        return True
    before = text[at - 1]
    return before in breaks and not (before == "\r" and text[at] == "\n")


def changed_region(old: str, new: str, breaks: str = PYTHON_BREAKS) -> tuple[int, str, str]:
    """``(start, old_middle, new_middle)``: the texts less the whole lines they share.

    Both texts are ``prefix + middle + suffix`` with the same prefix and suffix, each made
    of whole lines (``breaks`` says which characters end a line); ``start`` is where the
    middles begin. Diffing only the middles keeps a small fix in a big file cheap: the
    shared lines are found by comparing strings, not by a line diff over the whole file.
    """
    if old == new:
        return len(old), "", ""
    k = _common_prefix(old, new)
    # A line start at or before k that both texts share: after a break, except a "\r"
    # right at k, which may be the first half of a "\r\n" in one text and not the other.
    start = _last_break_before(old, k, _LAST_BREAK[breaks])
    if k and start == k and old[k - 1] == "\r":
        start = _last_break_before(old, k - 1, _LAST_BREAK[breaks])
    shared = _common_suffix(old, new, min(len(old), len(new)) - start)
    end = len(old) - shared
    if not (_starts_line(old, end, breaks) and _starts_line(new, len(new) - shared, breaks)):
        # The first line start inside the shared tail: after its first break, keeping
        # "\r\n" whole (both characters are in the shared tail, so the texts agree).
        found = _ANY_BREAK[breaks].search(old, end)
        end = len(old)
        if found:
            end = found.end()
            if old[end - 1] == "\r" and old[end : end + 1] == "\n":
                end += 1
    tail = len(old) - end
    return start, old[start:end], new[start : len(new) - tail]


_WS = re.compile(r"\s+")


def span_text(text: str, start_line: int, start_col: int, end_line: int, end_col: int) -> str:
    """The source between two positions (same conventions as TextEdit)."""
    return LineIndex(text).span(start_line, start_col, end_line, end_col)


def normalise(code: str) -> str:
    """Whitespace-insensitive form of a code snippet, for fingerprints."""
    return _WS.sub(" ", code).strip()


def fingerprint(recipe: str, rule: str, path: str, snippet: str, occurrence: int) -> str:
    """Stable identity of a finding: independent of line numbers, unique per occurrence."""
    key = "\0".join((recipe, rule, path, snippet, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def assign_fingerprints(findings: Iterable[Finding], sources: dict[str, str]) -> list[Finding]:
    """Fill snippet, occurrence and fingerprint; ``sources`` maps path -> file text.

    Identical snippets in one file are told apart by their order of appearance, so adding
    unrelated lines above a finding keeps its fingerprint while two copies of the same
    code still get two.
    """
    ordered = sorted(findings, key=lambda f: (f.path, f.start_line, f.start_col, f.rule))
    seen: dict[tuple[str, str, str, str], int] = defaultdict(int)
    indexes: dict[str, LineIndex] = {}  # one per file: a file's findings share its line starts
    result = []
    for f in ordered:
        if f.path not in indexes:
            indexes[f.path] = LineIndex(sources.get(f.path, ""))
        snippet = normalise(indexes[f.path].span(f.start_line, f.start_col, f.end_line, f.end_col))
        key = (f.recipe, f.rule, f.path, snippet)
        occurrence = seen[key]
        seen[key] += 1
        result.append(
            replace(
                f,
                snippet=snippet,
                occurrence=occurrence,
                fingerprint=fingerprint(f.recipe, f.rule, f.path, snippet, occurrence),
            )
        )
    return result


Position = tuple[int, int]  # (line, column)


class SpanSet:
    """Half-open ``(start, end)`` spans that answer "does any overlap this one?" in log time.

    Kept sorted by start with the running maximum of ends, so a query is one bisection:
    some span starting before ``end`` reaches past ``start``. Spans added in order of
    start (the usual case) append; one added out of order re-sorts the tail.
    """

    def __init__(self) -> None:
        self._starts: list[Position] = []
        self._ends: list[Position] = []
        self._reach: list[Position] = []  # _reach[i]: the furthest end of spans 0..i

    def add(self, start: Position, end: Position) -> None:
        at = bisect_right(self._starts, start)
        self._starts.insert(at, start)
        self._ends.insert(at, end)
        del self._reach[at:]
        for i in range(at, len(self._ends)):
            self._reach.append(max(self._reach[i - 1], self._ends[i]) if i else self._ends[i])

    def overlaps(self, start: Position, end: Position) -> bool:
        before = bisect_left(self._starts, end)  # spans that start before ``end``
        return before > 0 and self._reach[before - 1] > start


def in_shard(path: str, shard: tuple[int, int] | None) -> bool:
    """Whether shard ``(I, N)`` owns ``path``: files are split by a stable hash of their path,
    so every shard of every night agrees (``None``: an unsharded night owns every file)."""
    if shard is None:
        return True
    index, count = shard
    digest = int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big")
    return digest % count == index - 1
