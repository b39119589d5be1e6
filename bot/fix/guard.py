"""The diff guard: may this fix be proposed at all? Pure; runs before any test.

A cleanup fix only modifies existing text files inside its recipe's scope, stays small,
never touches what configures CI, dependencies or Nightcrew itself, and never weakens a
test. Every reason is a sentence naming the path, for the report and the PR log.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import pysource
from bot.globs import in_scope, matches
from bot.model import SPLITLINES_BREAKS, changed_region

DEFAULT_MAX_CHANGED_LINES = 100

# Always protected, whatever the policy adds. Requirements and constraints files count as
# lock files: a cleanup fix has no business changing what gets installed, and a new or
# loosened pin is a supply-chain change that no test run can vouch for. pyproject.toml,
# setup.cfg, pytest.ini and ruff.toml configure the verification gate itself (test
# selection, ruff rules); a fix that edits them could move the goalposts it is judged by.
DEFAULT_PROTECTED: tuple[str, ...] = (
    # CI
    ".github/**",
    ".gitlab-ci.yml",
    ".gitlab/**",
    ".circleci/**",
    ".travis.yml",
    "azure-pipelines.yml",
    "**/Jenkinsfile",
    ".buildkite/**",
    "bitbucket-pipelines.yml",
    ".pre-commit-config.yaml",
    "**/tox.ini",
    "**/noxfile.py",
    # dependencies and lock files, anywhere (monorepos)
    "**/*.lock",
    "**/Pipfile",
    "**/package-lock.json",
    "**/npm-shrinkwrap.json",
    "**/pnpm-lock.yaml",
    "**/go.sum",
    "**/requirements*.txt",
    "**/requirements/**",
    "**/constraints*.txt",
    # what configures the gate
    "**/pyproject.toml",
    "**/setup.cfg",
    "**/pytest.ini",
    "**/ruff.toml",
    "**/.ruff.toml",
    "**/.flake8",  # its line-length limit judges the fix too
    # git and Nightcrew itself
    ".gitmodules",
    "**/.gitattributes",
    ".nightcrew/**",
)

TEST_FILES: tuple[str, ...] = (
    "**/tests/**",
    "**/test/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
)

_STATUS_WORDS = {
    "A": "added",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "changed in type or file mode",
    "U": "left unmerged",
}


@dataclass(frozen=True)
class FileChange:
    """One file in a fix's diff; ``status`` is git's letter (``R100`` is read as ``R``)."""

    path: str
    status: str
    old_text: str | None
    new_text: str | None
    binary: bool = False
    mode_changed: bool = False
    old_path: str | None = None  # renames and copies: where it came from


@dataclass(frozen=True)
class GuardPolicy:
    """What a recipe's fix may touch; ``protected`` adds to :data:`DEFAULT_PROTECTED`."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    max_changed_lines: int = DEFAULT_MAX_CHANGED_LINES


@dataclass(frozen=True)
class GuardVerdict:
    ok: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckCounts:
    """What a test file checks, counted so that a weaker version has smaller numbers."""

    test_functions: int
    assertions: int  # assert statements (not `assert True`) + assert*/raises/warns/fail calls
    skips: int  # references to skip/xfail machinery


def changed_lines(old: str, new: str) -> int:
    """Lines added plus lines removed, as a line diff counts them."""
    # Only the lines between the shared head and tail are diffed, as git does: a one-line
    # fix in a file with thousands of findings costs a string compare, not a whole-file diff.
    _start, old, new = changed_region(old, new, SPLITLINES_BREAKS)
    # keepends: a changed line ending or final newline is a changed line, as git sees it.
    matcher = difflib.SequenceMatcher(
        None, old.splitlines(keepends=True), new.splitlines(keepends=True), autojunk=False
    )
    return sum(
        (i2 - i1) + (j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def changed_line_count(changes: Iterable[FileChange]) -> int:
    """Lines added plus removed over a whole diff; binary files count as none."""
    return sum(changed_lines(c.old_text or "", c.new_text or "") for c in changes if not c.binary)


def is_test_file(path: str) -> bool:
    return path.endswith(".py") and matches(path, TEST_FILES)


_SKIP_NAMES = frozenset(
    {
        "skip",
        "skipif",
        "skipIf",
        "skipUnless",
        "skipTest",
        "SkipTest",
        "xfail",
        "expectedFailure",
        "importorskip",
    }
)
_ASSERTION_CALLS = frozenset({"fail", "raises", "warns", "deprecated_call"})


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    # `assert (x, "message")`: a non-empty tuple, always true.
    return isinstance(test, ast.Tuple | ast.List | ast.Set) and bool(test.elts)


def _callee_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _counts_from_ast(tree: ast.AST) -> CheckCounts:
    tests = assertions = skips = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            tests += node.name.startswith("test")
        elif isinstance(node, ast.Assert):
            assertions += not _always_true(node.test)
        elif isinstance(node, ast.Call):
            name = _callee_name(node.func)
            assertions += name.startswith("assert") or name in _ASSERTION_CALLS
        if (isinstance(node, ast.Attribute) and node.attr in _SKIP_NAMES) or (
            isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in _SKIP_NAMES
        ):
            skips += 1
    return CheckCounts(test_functions=tests, assertions=assertions, skips=skips)


_RE_TEST = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\(", re.MULTILINE)
_RE_ASSERT = re.compile(r"^[ \t]*assert\b(?![ \t]+(?:True|1)[ \t]*(?:[,#]|$))", re.MULTILINE)
_RE_ASSERTION_CALL = re.compile(r"\b(?:assert\w+|fail|raises|warns|deprecated_call)[ \t]*\(")
_RE_SKIP = re.compile(r"\b(?:" + "|".join(sorted(_SKIP_NAMES)) + r")\b")


def _counts_from_regex(text: str) -> CheckCounts:
    return CheckCounts(
        test_functions=len(_RE_TEST.findall(text)),
        assertions=len(_RE_ASSERT.findall(text)) + len(_RE_ASSERTION_CALL.findall(text)),
        skips=len(_RE_SKIP.findall(text)),
    )


def _parse(text: str) -> ast.AST | None:
    try:
        return pysource.parse(text)
    except (SyntaxError, ValueError):
        return None


def count_checks(old: str, new: str) -> tuple[CheckCounts, CheckCounts]:
    """Counts for both versions, by ``ast`` when both parse, else by regex for both.

    Counting both sides the same way keeps the comparison fair when one does not parse.
    """
    old_tree, new_tree = _parse(old), _parse(new)
    if old_tree is not None and new_tree is not None:
        return _counts_from_ast(old_tree), _counts_from_ast(new_tree)
    return _counts_from_regex(old), _counts_from_regex(new)


def weakened_test_reasons(path: str, old: str, new: str) -> list[str]:
    """Why the new version of test file ``path`` tests less than the old one, if it does."""
    before, after = count_checks(old, new)
    reasons = []
    if after.test_functions < before.test_functions:
        reasons.append(
            f"{path} has fewer test functions ({before.test_functions} -> "
            f"{after.test_functions}): a fix may not delete tests"
        )
    if after.assertions < before.assertions:
        reasons.append(
            f"{path} has fewer assertions ({before.assertions} -> {after.assertions}): "
            "a fix may not loosen tests"
        )
    if after.skips > before.skips:
        reasons.append(
            f"{path} adds a skip or xfail ({before.skips} -> {after.skips} uses): "
            "a fix may not switch tests off"
        )
    return reasons


def _file_reasons(change: FileChange, policy: GuardPolicy, protected: Sequence[str]) -> list[str]:
    reasons = []
    paths = [change.path] + ([change.old_path] if change.old_path else [])
    for path in paths:
        if not in_scope(path, policy.include, policy.exclude):
            reasons.append(f"{path} is outside the recipe's scope")
        if matches(path, protected):
            reasons.append(f"{path} is a protected path (CI, dependencies or configuration)")
    status = change.status[:1].upper()
    if status != "M":
        word = _STATUS_WORDS.get(status, f"changed with git status {change.status!r}")
        reasons.append(f"{change.path} was {word}: a fix may only modify existing text files")
    if change.binary:
        reasons.append(f"{change.path} is a binary file: a fix may only modify text files")
    if change.mode_changed:
        reasons.append(f"{change.path} changed its file mode: a fix may only modify text")
    if (
        status == "M"
        and not change.binary
        and change.old_text is not None
        and change.new_text is not None
        and is_test_file(change.path)
    ):
        reasons.extend(weakened_test_reasons(change.path, change.old_text, change.new_text))
    return reasons


def check(changes: Iterable[FileChange], policy: GuardPolicy) -> GuardVerdict:
    """Every reason this diff may not be proposed; ``ok`` when there are none."""
    changes = list(changes)
    line_counts = {
        c.path: changed_lines(c.old_text or "", c.new_text or "") for c in changes if not c.binary
    }
    if not changes or (
        sum(line_counts.values()) == 0
        and all(
            c.status[:1].upper() == "M" and not c.binary and not c.mode_changed for c in changes
        )
    ):
        return GuardVerdict(ok=False, reasons=("the fix changed nothing",))
    protected = DEFAULT_PROTECTED + policy.protected
    reasons: list[str] = []
    for change in changes:
        reasons.extend(_file_reasons(change, policy, protected))
    total = sum(line_counts.values())
    if total > policy.max_changed_lines:
        biggest = sorted(line_counts, key=lambda p: -line_counts[p])[:3]
        where = ", ".join(f"{p} ({line_counts[p]})" for p in biggest)
        reasons.append(
            f"the fix changes {total} lines, more than the limit of "
            f"{policy.max_changed_lines}: {where}"
        )
    return GuardVerdict(ok=not reasons, reasons=tuple(reasons))
