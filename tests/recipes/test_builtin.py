from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bot import gitops
from bot.find.search import find
from bot.find.sweep import sweep, uses_agents
from bot.globs import in_scope
from bot.recipes.fixtures import run_fixture
from bot.recipes.loader import builtin_recipes_dir, load_recipes
from bot.report.document import NightReport
from bot.report.progress import silent

ROOT = Path(__file__).resolve().parents[2]
RECIPES = load_recipes([builtin_recipes_dir()], builtin=True)
CASES = [
    pytest.param(recipe, case, id=f"{recipe.id}/{case.id}")
    for recipe in RECIPES
    for case in recipe.tests
]


def test_the_builtin_recipes_are_there():
    assert {r.id for r in RECIPES} >= {"unnecessary-copies", "unused-imports", "modern-syntax"}


@pytest.mark.parametrize(("recipe", "case"), CASES)
def test_builtin_fixture_passes(recipe, case):
    result = run_fixture(recipe, case)
    expected = "needs-agent" if recipe.agent_fix else "pass"
    assert result.status == expected, result.detail


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.id)
def test_every_rule_and_detector_has_a_before_after_fixture(recipe):
    """Each selected rule and detector must produce the first fix of some before/after case."""
    exercised = set()
    for case in recipe.tests:
        if case.after is None:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / case.path).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / case.path).write_text(case.before, encoding="utf-8")
            findings = find(recipe, Path(tmp), [case.path], isolated=True)
        # An agent-fixed recipe's detectors find candidates without edits.
        exercised.update(f.rule for f in findings if f.edits or recipe.agent_fix)
    wanted = {f"ruff:{code}" for code in recipe.ruff_select}
    wanted |= {f"nightcrew:{name}" for name in recipe.detectors}
    assert wanted <= exercised, f"no before/after fixture for {sorted(wanted - exercised)}"


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.id)
def test_every_recipe_has_decoys(recipe):
    assert any(case.after is None for case in recipe.tests)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.id)
def test_docs_explain_every_rule(recipe):
    docs = (ROOT / "docs" / "recipes.md").read_text(encoding="utf-8")
    assert f"`{recipe.id}`" in docs
    for rule in (*recipe.ruff_select, *recipe.detectors):
        assert f"`{rule}`" in docs, f"docs/recipes.md does not mention {rule}"


# The same fixable code for every built-in recipe: an unused import (unused-imports), a
# Python 2 base class (modern-syntax), a copy nothing needs (unnecessary-copies) and a
# candidate copy for the agent (unnecessary-copies-deep).
EVERY_RECIPES_PATTERN = """\
import os


class Point(object):
    pass


def ordered(items):
    return sorted(list(items))


def names(config):
    local = config.copy()
    return local
"""
TEST_CODE = [
    "test/common.py",
    "tests/test_x.py",
    "src/pkg/testing/helpers.py",
    "conftest.py",
    "pkg/foo_test.py",
]


def test_builtin_scopes_leave_test_code_alone(make_repo):
    """Test folders at any depth, test files and conftest.py get no finding from any built-in."""
    files = dict.fromkeys(["pkg/mod.py", *TEST_CODE], EVERY_RECIPES_PATTERN)
    repo = make_repo("scoped", files)
    tracked = gitops.tracked_files(gitops.open_repo(repo), "HEAD")
    assert sorted(tracked) == sorted(files)
    report = NightReport(repo=str(repo), base="HEAD", started_at="now")
    swept = sweep(
        [r for r in RECIPES if not uses_agents(r)],
        repo,
        tracked,
        protected=(),
        agents=None,
        agents_allowed=True,
        report=report,
        progress=silent,
    )
    found: dict[str, set[str]] = {r.id: set() for r in RECIPES}
    for recipe, finding in swept:
        found[recipe.id].add(finding.path)
    # Agent-fixed recipes are skipped without a key: their deterministic finders run alone,
    # over the files the night would give them.
    for recipe in (r for r in RECIPES if uses_agents(r) and r.agent_find is None):
        scoped = [p for p in tracked if in_scope(p, recipe.include, recipe.exclude)]
        found[recipe.id] |= {f.path for f in find(recipe, repo, scoped)}
    deterministic = {r.id for r in RECIPES if r.agent_find is None}
    assert deterministic >= {"unnecessary-copies", "unused-imports", "modern-syntax"}
    assert {rid: found[rid] for rid in deterministic} == {
        rid: {"pkg/mod.py"} for rid in deterministic
    }
