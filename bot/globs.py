"""Glob patterns for recipe scopes and protected paths, matched against repo-relative paths.

Patterns match the *whole* path, with ``/`` as separator on every platform (wcmatch flags):

- ``GLOBSTAR``: ``**`` spans any number of directories, including none (``**/*.py``
  matches ``a.py`` and ``x/y/a.py``).
- ``DOTGLOB``: ``*`` and ``**`` also match names starting with a dot, so an exclude or a
  protected pattern such as ``config/**`` cannot be dodged by a hidden file or folder.
- ``BRACE``: ``**/*.{py,pyi}``.
- ``FORCEUNIX`` and ``CASE``: the same answer on every OS, case-sensitive like git.

There is no basename matching: ``conftest.py`` matches only the top-level file; write
``**/conftest.py`` for every one. A folder is matched by its contents: ``tests/**``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from wcmatch import glob

FLAGS = glob.GLOBSTAR | glob.DOTGLOB | glob.BRACE | glob.FORCEUNIX | glob.CASE


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable repo-relative glob, or None if it is fine."""
    if not pattern.strip():
        return "empty pattern: remove it, or write a glob such as '**/*.py'"
    if pattern != pattern.strip():
        return f"pattern {pattern!r} has leading or trailing spaces: remove them"
    if pattern.startswith("/") or (len(pattern) > 1 and pattern[1] == ":"):
        return (
            f"pattern {pattern!r} is absolute: patterns are relative to the repository root, "
            f"write {pattern.lstrip('/')!r}"
        )
    parts = pattern.split("/")
    if ".." in parts:
        return f"pattern {pattern!r} contains '..': patterns cannot leave the repository"
    if parts[0] == ".":
        return f"pattern {pattern!r} starts with './': write {pattern[2:]!r}"
    if pattern.endswith("/"):
        return (
            f"pattern {pattern!r} ends with '/' and would match no file: "
            f"write {pattern + '**'!r} for everything under that folder"
        )
    if unclosed_bracket(pattern):
        return (
            f"pattern {pattern!r} opens a '[' that no ']' closes in the same folder name: "
            "close the set (e.g. '[ab]'), or write '[[]' for a literal '['"
        )
    try:
        glob.translate(pattern, flags=FLAGS)
    except Exception as exc:  # wcmatch raises several types; each means "bad pattern"
        return f"pattern {pattern!r} cannot be compiled: {exc}"
    return None


@lru_cache(maxsize=256)
def _matcher(patterns: tuple[str, ...]) -> glob.WcMatcher:
    """The compiled patterns: compiling costs far more than matching, and the guard asks
    about the same few pattern lists for every fix of the night."""
    return glob.compile(list(patterns), flags=FLAGS)


def unclosed_bracket(pattern: str) -> bool:
    """Whether a ``[`` opens a set that no ``]`` closes before the next ``/``.

    wcmatch then reads the ``[`` as a plain character: ``src/[`` matches only a file named
    ``[``, which is never what a scope or protected path meant.
    """
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] in "!^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":  # "[]...]": the first ] is a member
                j += 1
            while j < len(pattern) and pattern[j] not in "]/":
                j += 2 if pattern[j] == "\\" else 1
            if j >= len(pattern) or pattern[j] == "/":
                return True
            i = j
        i += 1
    return False


def matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether the repo-relative ``path`` matches any of ``patterns``."""
    patterns = tuple(patterns)
    return bool(patterns) and _matcher(patterns).match(path)


def in_scope(path: str, include: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """Whether ``path`` matches an include pattern and no exclude pattern."""
    return matches(path, include) and not matches(path, exclude)


def example_path(
    include: Iterable[str], exclude: Iterable[str] = (), stem: str = "example"
) -> str | None:
    """A short path that ``include`` takes and ``exclude`` does not, or None if none is found.

    For a recipe fixture that names no path: ``**/*.py`` gives ``example.py``,
    ``src/**/*.py`` gives ``src/example.py``, ``**/test_*.py`` gives ``test_example.py``.
    Each guess is checked with ``in_scope``, so a wrong guess is never returned.
    """
    include, exclude = tuple(include), tuple(exclude)
    for pattern in include:
        for candidate in _guesses(pattern, stem):
            if in_scope(candidate, include, exclude):
                return candidate
    return None


_BRACES = re.compile(r"\{([^{}]*)\}")


def _guesses(pattern: str, stem: str) -> list[str]:
    """Paths ``pattern`` may match: braces expanded, wildcards filled, ``**`` as no folder
    or as one folder named ``pkg``."""
    found: list[str] = []
    for expanded in _expand_braces(pattern)[:8]:
        parts = expanded.split("/")
        for folder in (None, "pkg"):
            out: list[str] = []
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                if part == "**":
                    out.append(f"{stem}.py" if last else folder or "")
                else:
                    out.append(_fill(part, f"{stem}.py" if last and part == "*" else stem))
            guess = "/".join(p for p in out if p)
            if guess and guess not in found:
                found.append(guess)
    return found


def _expand_braces(pattern: str) -> list[str]:
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [
        expanded
        for choice in match.group(1).split(",")
        for expanded in _expand_braces(head + choice + tail)
    ]


def _fill(part: str, stem: str) -> str:
    """One folder or file name of a pattern with each wildcard replaced by something it takes."""
    out, i = "", 0
    while i < len(part):
        char = part[i]
        if char == "\\" and i + 1 < len(part):
            out, i = out + part[i + 1], i + 2
        elif char == "*":
            out, i = out + (stem if not out.endswith(stem) else ""), i + 1
        elif char == "?":
            out, i = out + "x", i + 1
        elif char == "[" and (end := part.find("]", i + 2)) != -1:
            members = part[i + 1 : end]
            if members[:1] in ("!", "^"):
                out += next(c for c in "xyz_0" if c not in members)
            else:
                out += members[0]
            i = end + 1
        else:
            out, i = out + char, i + 1
    return out
