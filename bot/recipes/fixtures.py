"""``nightcrew recipes test``: run recipe fixtures through the real finder and fixer.

Each fixture is written to a fresh temporary folder and searched with ``find(...,
isolated=True)``, so no ruff configuration from a parent folder (or the user's home)
changes the outcome; ruff's defaults apply (e.g. its default target-version).
A before/after case fixes one finding at a time, the first with edits, and searches
again until nothing fixable remains, exactly as the night fixes findings one by one.

Recipes whose fixes are made by an agent (``fix.agent``) cannot be tested this way without
a model: for them only the finder runs. A before/after case must give the agent at least
one finding to work on (else ``missing``); every case is then reported as ``needs-agent``,
which does not count as a failure. The agent machinery itself is tested against a fake
Messages API in ``tests/test_agents_*.py`` (see docs/agents.md).
"""

from __future__ import annotations

import argparse
import difflib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.errors import CommandError, UserError
from bot.find.search import find
from bot.globs import in_scope
from bot.model import EditError, Finding, apply_edits
from bot.recipes.model import FixtureCase, Recipe

MAX_ROUNDS = 50
STATUSES = ("pass", "needs-agent", "missing", "noisy", "wrong", "error")
NEEDS_AGENT = "needs-agent"


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one fixture: ``pass``, ``missing``, ``noisy``, ``wrong`` or ``error``."""

    recipe_id: str
    case_id: str
    status: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        """Not a failure: passed, or left to an agent (which these tests do not run)."""
        return self.status in ("pass", NEEDS_AGENT)


def run_fixture(recipe: Recipe, case: FixtureCase) -> CaseResult:
    """Run one fixture case; every failure is a result, never an exception."""

    def result(status: str, detail: str = "") -> CaseResult:
        return CaseResult(recipe.id, case.id, status, detail)

    parts = case.path.split("/")
    if case.path.startswith("/") or ".." in parts or "\\" in case.path:
        return result("error", f"path {case.path!r} must be relative, with '/' separators")
    if not in_scope(case.path, recipe.include, recipe.exclude):
        return result("error", f"path {case.path!r} is outside the recipe's scope")
    with tempfile.TemporaryDirectory(prefix="nightcrew-fixture-") as tmp:
        root = Path(tmp)
        target = root / case.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(case.before.encode("utf-8"))
        try:
            findings = find(recipe, root, [case.path], isolated=True)
            if recipe.agent_fix is not None:
                return _needs_agent(recipe, case, findings)
            if case.after is None:
                noisy = [f for f in findings if f.edits]
                return result("noisy", _describe(noisy[0])) if noisy else result("pass")
            if not any(f.edits for f in findings):
                detail = "no finding" if not findings else _unfixed(findings)
                return result("missing", detail)
            text, rounds = case.before, 0
            while fixable := [f for f in findings if f.edits]:
                if rounds == MAX_ROUNDS:
                    return result("error", f"still finding fixes after {MAX_ROUNDS} rounds")
                rounds += 1
                text = apply_edits(text, fixable[0].edits)
                target.write_bytes(text.encode("utf-8"))
                findings = find(recipe, root, [case.path], isolated=True)
        except (CommandError, EditError, UserError) as exc:
            return result("error", str(exc))
    if text != case.after:
        return result("wrong", "the result differs from `after`:\n" + _diff(case.after, text))
    return result("pass")


def _needs_agent(recipe: Recipe, case: FixtureCase, findings: list[Finding]) -> CaseResult:
    """An agent-fixed recipe's case: the finder must hand the agent something to judge."""
    if case.after is not None and not findings:
        return CaseResult(recipe.id, case.id, "missing", "no finding for the agent to fix")
    decision = "fix" if case.after is not None else "leave alone"
    return CaseResult(
        recipe.id,
        case.id,
        NEEDS_AGENT,
        f"{len(findings)} finding(s) for the agent to {decision}; not run without a model",
    )


def _describe(finding: Finding) -> str:
    title = f" ({finding.fix_title})" if finding.fix_title else ""
    return f"{finding.rule} at line {finding.start_line}: {finding.message}{title}"


def _unfixed(findings: list[Finding]) -> str:
    first = findings[0]
    return (
        f"{len(findings)} finding(s) but no fix to apply, e.g. {first.rule} at line "
        f"{first.start_line} (applicability: {first.applicability})"
    )


def _diff(expected: str, got: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        got.splitlines(keepends=True),
        "expected",
        "got",
        n=1,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")


def run_recipe_tests(recipes: list[Recipe]) -> list[CaseResult]:
    return [run_fixture(recipe, case) for recipe in recipes for case in recipe.tests]


def format_results(results: list[CaseResult]) -> str:
    """The results table, failure details below it, and a closing ``N passed, M failed``."""
    rows = [("RECIPE", "CASE", "RESULT", "DETAIL")]
    rows += [(r.recipe_id, r.case_id, r.status, r.detail.partition("\n")[0]) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    lines = [line.rstrip() for line in lines]
    for r in results:
        if "\n" in r.detail:
            lines += [
                "",
                f"{r.recipe_id} / {r.case_id}:",
                *("  " + x for x in r.detail.split("\n")),
            ]
    passed = sum(r.status == "pass" for r in results)
    agent = sum(r.status == NEEDS_AGENT for r in results)
    failed = len(results) - passed - agent
    needs = f", {agent} need an agent (not run)" if agent else ""
    lines += ["", f"{passed} passed, {failed} failed{needs}"]
    return "\n".join(lines)


def cmd_test(args: argparse.Namespace) -> int:
    """``nightcrew recipes test [PATH...]``: 0 if every fixture passes, 1 otherwise."""
    from bot.recipes.loader import builtin_recipes_dir, load_recipes

    paths = [Path(p) for p in args.paths] if args.paths else [builtin_recipes_dir()]
    recipes = load_recipes(paths, builtin=not args.paths)
    untested = [r.id for r in recipes if not r.tests]
    results = run_recipe_tests(recipes)
    print(format_results(results))
    if untested:
        print(f"no tests in: {', '.join(untested)}")
    return 0 if all(r.passed for r in results) else 1
