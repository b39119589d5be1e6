"""Every rule a built-in recipe selects, and every detector, says why its change is worth a PR."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.find.detectors import REGISTRY, copy_before_iteration, list_concat_in_loop
from bot.recipes import explanations
from bot.recipes.explanations import explanation
from bot.recipes.loader import builtin_recipes_dir, load_recipes

RECIPES = load_recipes([builtin_recipes_dir()], builtin=True)
SELECTED = sorted({code for recipe in RECIPES for code in recipe.ruff_select})
# The copies recipe's rules and detectors remove work the code does: each says what it costs.
COPIES = [r for r in RECIPES if r.id.startswith("unnecessary-copies")]
COPY_RULES = sorted(
    {f"ruff:{code}" for r in COPIES for code in r.ruff_select}
    | {f"nightcrew:{name}" for r in COPIES for name in r.detectors}
)


@pytest.mark.parametrize("code", SELECTED)
def test_every_ruff_rule_of_a_builtin_recipe_has_an_explanation(code: str) -> None:
    assert code in explanations.RUFF, f"add {code} to RUFF in bot/recipes/explanations.py"
    assert explanation(f"ruff:{code}") == explanations.RUFF[code]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_detector_has_its_own_explanation(name: str) -> None:
    said = getattr(REGISTRY[name], "explanation", None)
    assert said, f"give bot/find/detectors' {name} a module-level `explanation`"
    assert explanation(f"nightcrew:{name}") == " ".join(said.split())


@pytest.mark.parametrize("text", [*explanations.RUFF.values(), *(
    getattr(d, "explanation", d.summary) for d in REGISTRY.values()
)])  # fmt: skip
def test_explanations_are_one_short_paragraph(text: str) -> None:
    assert text == text.strip() and "\n\n" not in text
    assert 60 <= len(" ".join(text.split())) <= 500


@pytest.mark.parametrize("rule", COPY_RULES)
def test_every_copy_rule_says_what_the_copy_costs(rule: str) -> None:
    said = explanation(rule)
    assert said is not None and "Cost: " in said


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param("ruff:C414", explanations.RUFF["C414"], id="ruff"),
        pytest.param("ruff:E501", None, id="ruff-rule-not-in-the-table"),
        pytest.param(
            "nightcrew:list-concat-in-loop", list_concat_in_loop.explanation, id="detector"
        ),
        pytest.param(
            "nightcrew:copy-before-iteration", copy_before_iteration.explanation, id="detector-2"
        ),
        pytest.param("nightcrew:no-such-detector", None, id="unknown-detector"),
        pytest.param("agent:unnecessary-copies-deep", None, id="agent"),
        pytest.param("C414", None, id="no-kind"),
    ],
)
def test_explanation_lookup(rule: str, expected: str | None) -> None:
    assert explanation(rule) == expected


def test_a_detector_without_explanation_falls_back_to_its_summary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = SimpleNamespace(name="plain", summary="`x[:]` copies  for\nnothing", detect=None)
    monkeypatch.setitem(REGISTRY, "plain", plain)
    assert explanation("nightcrew:plain") == "`x[:]` copies for nothing"
