from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bot.find.search import find
from bot.recipes.fixtures import run_fixture
from bot.recipes.loader import builtin_recipes_dir, load_recipes

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
