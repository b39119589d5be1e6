"""Findings, text edits and fingerprints: the pure data every stage passes along."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace


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


def _offset(lines: list[str], line: int, col: int) -> int:
    if line < 1 or line > len(lines) + 1:
        raise EditError(f"line {line} is outside the file ({len(lines)} lines)")
    if line == len(lines) + 1:
        if col != 1:
            raise EditError(f"column {col} is past the end of the file")
        return sum(len(x) for x in lines)
    text = lines[line - 1].rstrip("\r\n")
    if col < 1 or col > len(text) + 1:
        raise EditError(f"column {col} is outside line {line}")
    return sum(len(x) for x in lines[: line - 1]) + col - 1


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits to ``text``; raise EditError if they do not fit."""
    lines = split_lines(text)
    spans = sorted(
        (
            (_offset(lines, e.start_line, e.start_col), _offset(lines, e.end_line, e.end_col), e)
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


_WS = re.compile(r"\s+")


def span_text(text: str, start_line: int, start_col: int, end_line: int, end_col: int) -> str:
    """The source between two positions (same conventions as TextEdit)."""
    lines = split_lines(text)
    try:
        return text[_offset(lines, start_line, start_col) : _offset(lines, end_line, end_col)]
    except EditError:
        return ""


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
    result = []
    for f in ordered:
        snippet = normalise(
            span_text(sources.get(f.path, ""), f.start_line, f.start_col, f.end_line, f.end_col)
        )
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


def in_shard(path: str, shard: tuple[int, int] | None) -> bool:
    """Whether shard ``(I, N)`` owns ``path``: files are split by a stable hash of their path,
    so every shard of every night agrees (``None``: an unsharded night owns every file)."""
    if shard is None:
        return True
    index, count = shard
    digest = int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big")
    return digest % count == index - 1
