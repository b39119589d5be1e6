"""Rejected fixes, remembered across nights (pure): what to keep, and when to try again.

A fix the tests reject (new failures, a timeout) is remembered by its finding's fingerprint,
with the tests' reason, the base it failed on, the night's date and two keys:

- ``code``: a hash of the code the finding sits in: the innermost function or class around
  its lines, the whole file when it is at module level (imports, say) or does not parse.
  Whitespace does not count, and neither do line numbers: code added above it changes
  nothing, an edit inside the function does.
- ``tests``: a hash of the test files (every tracked file the default test globs take, the
  files that configure pytest at the top level) and the configured test command.

A later night skips the finding as "rejected earlier" while both keys are the same and the
rejection is younger than ``verify.forget_rejections_after_days``. Only the tests'
verdicts are remembered: not a fix that did not apply, not limits, not Nightcrew's errors.
``bot.publish.memory`` reads the keys with git and keeps the list (a file locally, the
dashboard's rules block on GitHub).
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import globs, pysource
from bot.model import normalise, split_lines
from bot.recipes.model import TEST_PATHS
from bot.report.results import FixResult, Reason, Status

# Top-level files whose change can change what the tests do.
TEST_CONFIG_FILES = frozenset({"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"})
REASON_LIMIT = 300  # characters of the tests' reason kept (the dashboard has little room)
KEY_LENGTH = 16  # hex digits of a key: enough to tell two versions of a function apart
MODULE = "<module>"


@dataclass(frozen=True)
class Rejection:
    """One fix the tests rejected: which finding, why, when, on what, and the keys."""

    fingerprint: str
    recipe: str
    rule: str
    path: str
    line: int
    reason: str  # what the tests said
    base: str  # the base commit it failed on
    at: str  # ISO time of the night that rejected it
    code: str  # touched_code's key at ``base``
    tests: str  # tests_key at ``base``
    unit: str = MODULE  # the function or class the key covers

    @property
    def date(self) -> str:
        return self.at[:10]

    def age_days(self, now: datetime) -> float:
        """Days since the rejection; infinite when its time cannot be read (so it expires)."""
        try:
            then = datetime.fromisoformat(self.at.replace("Z", "+00:00"))
        except ValueError:
            return float("inf")
        if then.tzinfo is None:
            then = then.replace(tzinfo=UTC)
        return (now - then).total_seconds() / 86400

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "recipe": self.recipe,
            "rule": self.rule,
            "path": self.path,
            "line": self.line,
            "reason": self.reason,
            "base": self.base,
            "at": self.at,
            "code": self.code,
            "tests": self.tests,
            "unit": self.unit,
        }


def from_json(data: Any) -> Rejection | None:
    """A rejection from its JSON form, however it was edited; None when it is not one."""
    if not isinstance(data, Mapping):
        return None
    text = {
        k: data[k].strip()
        for k in ("fingerprint", "recipe", "rule", "path", "reason", "base", "at", "code", "tests")
        if isinstance(data.get(k), str)
    }
    if not text.get("fingerprint") or not text.get("code") or not text.get("tests"):
        return None
    line = data.get("line")
    return Rejection(
        fingerprint=text["fingerprint"],
        recipe=text.get("recipe", ""),
        rule=text.get("rule", ""),
        path=text.get("path", ""),
        line=line if isinstance(line, int) and not isinstance(line, bool) else 0,
        reason=text.get("reason", ""),
        base=text.get("base", ""),
        at=text.get("at", ""),
        code=text["code"],
        tests=text["tests"],
        unit=str(data.get("unit") or MODULE),
    )


def read_list(items: Any) -> tuple[list[Rejection], list[str]]:
    """The rejections in a JSON list, and what could not be read."""
    if items is None:
        return [], []
    if not isinstance(items, list):
        return [], ["`rejections` is not a list"]
    found, problems = [], []
    for item in items:
        rejection = from_json(item)
        if rejection is None:
            problems.append(f"rejections: cannot read {str(item)[:80]}")
        else:
            found.append(rejection)
    return found, problems


# --- the keys -------------------------------------------------------------------------------


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def touched_code(text: str, start_line: int, end_line: int) -> tuple[str, str]:
    """``(unit, key)``: the innermost function or class holding the lines, and its hash.

    Module-level lines, and a file that does not parse, give the whole file (``<module>``).
    """
    try:
        tree = pysource.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return MODULE, _key(normalise(text))
    best: tuple[str, int, int] | None = None

    def visit(node: ast.AST, prefix: str) -> None:
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                last = child.end_lineno or child.lineno
                if first <= start_line and end_line <= last:
                    if best is None or last - first < best[2] - best[1]:
                        best = (name, first, last)
                    visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    if best is None:
        return MODULE, _key(normalise(text))
    name, first, last = best
    lines = split_lines(text)[first - 1 : last]
    return name, _key(normalise("".join(lines)))


def is_test_input(path: str) -> bool:
    """A tracked file whose change counts as "the tests changed"."""
    return path in TEST_CONFIG_FILES or globs.matches(path, TEST_PATHS)


def tests_key(blobs: Iterable[tuple[str, str]], command: str | None = None) -> str:
    """A hash of the test files' ``(path, blob id)`` pairs and the test command."""
    lines = sorted(f"{path}\0{blob}" for path, blob in blobs if is_test_input(path))
    return _key("\n".join([f"command\0{command or ''}", *lines]))


# --- judging --------------------------------------------------------------------------------


# The steps of a run of the tests with the fix: every test, the related ones, the failing ones.
_TEST_STEPS = frozenset({"tests", "related-tests", "failing-tests"})


def rejected_by_tests(result: FixResult) -> bool:
    """The tests rejected the fix: a test run failed with it (not a patch that did not apply),
    or a refuter's test did (bot.agents.refute)."""
    failed = {s.name for s in result.steps if not s.ok}
    return result.status is Status.REJECTED and (
        (result.kind is Reason.TESTS_FAILED and bool(failed & _TEST_STEPS))
        or (result.kind is Reason.REFUTED and "refute" in failed)
    )


def why_retry(
    rejection: Rejection, code: str, tests: str, now: datetime, forget_after_days: float
) -> str | None:
    """Why the finding is tried again tonight (``age``, ``tests``, ``code``), or None to skip."""
    if rejection.age_days(now) >= forget_after_days:
        return "age"
    if rejection.tests != tests:
        return "tests"
    if rejection.code != code:
        return "code"
    return None


def skip_reason(rejection: Rejection, forget_after_days: float) -> str:
    """The sentence a finding skipped as rejected earlier carries in the report."""
    where = "the function" if rejection.unit != MODULE else "the file"
    return (
        f"rejected earlier, on {rejection.date} (base {rejection.base[:10]}): "
        f"{rejection.reason}; tried again once {where} it touches or the tests change, "
        f"or after {forget_after_days:g} days"
    )


def clip(reason: str) -> str:
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"


def apply_changes(
    known: Iterable[Rejection],
    remembered: Iterable[Rejection],
    forgotten: Iterable[str],
    limit: int | None = None,
) -> list[Rejection]:
    """``known`` less ``forgotten``, with ``remembered`` in (newest first, at most ``limit``)."""
    gone = set(forgotten)
    kept = {r.fingerprint: r for r in known if r.fingerprint not in gone}
    kept |= {r.fingerprint: r for r in remembered}
    newest = sorted(kept.values(), key=lambda r: (r.at, r.fingerprint), reverse=True)
    return newest if limit is None else newest[:limit]
