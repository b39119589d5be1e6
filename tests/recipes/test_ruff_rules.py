"""The installed ruff's rules, and which rule selectors a recipe may name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.recipes.loader import load_recipe
from bot.recipes.ruff_rules import ruff_rules
from tests.recipes import MINIMAL, write


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_preview_rule_is_accepted_with_preview(in_tmp: Path) -> None:
    text = MINIMAL.replace("select: [C414]", "select: [E225, E2]\n    preview: true")
    recipe = load_recipe(write(in_tmp, "p.yml", text))
    assert recipe.ruff_select == ("E225", "E2")
    assert recipe.ruff_preview is True


@pytest.mark.parametrize("selector", ["C4", "PERF", "E", "PLC", "PLC0", "RUF0"])
def test_rule_prefixes_are_accepted(in_tmp: Path, selector: str) -> None:
    recipe = load_recipe(write(in_tmp, "p.yml", MINIMAL.replace("C414", selector)))
    assert recipe.ruff_select == (selector,)


def test_ruff_rules_come_from_the_installed_ruff() -> None:
    rules = ruff_rules()
    assert rules["C414"].name == "unnecessary-double-cast-or-process"
    assert rules["C414"].fixable and not rules["C414"].preview
    assert rules["ANN101"].removed
