from __future__ import annotations

from dataclasses import replace

import pytest

from bot.model import Finding
from bot.publish import messages
from bot.recipes import explanations
from bot.recipes.model import PrSettings, Recipe

RECIPE = Recipe(id="unnecessary-copies", title="Remove copies", description="Why.\n\nMore.")
FINDING = Finding(
    "unnecessary-copies",
    "ruff:C414",
    "src/pkg/util.py",
    10,
    5,
    10,
    20,
    "Unnecessary `list()` call within `sorted()`",
    fingerprint="0123456789abcdef" * 4,
)


def test_branch_name_shape():
    assert (
        messages.branch_name(RECIPE, FINDING) == "nightcrew/unnecessary-copies/c414-util-01234567"
    )


@pytest.mark.parametrize(
    ("template", "unit", "expected"),
    [
        pytest.param(
            "Remove a copy in {function} ({path})",
            "Parser.parse_row",
            "Remove a copy in `Parser.parse_row` (src/pkg/util.py)",
            id="method",
        ),
        pytest.param(
            "Remove a copy in {function} ({path})",
            "<module>",
            "Remove a copy in module-level code (src/pkg/util.py)",
            id="module-level",
        ),
        pytest.param(
            "Remove a copy in {function} ({path})",
            "outer.inner",
            "Remove a copy in `outer.inner` (src/pkg/util.py)",
            id="nested-function",
        ),
        pytest.param(
            "{function} " + "x" * 200,
            "f",
            "`f` " + "x" * (messages.TITLE_LENGTH - 5) + "…",
            id="long-cut-with-ellipsis",
        ),
    ],
)
def test_title_names_the_function(template, unit, expected):
    recipe = replace(RECIPE, pr=PrSettings(title=template))
    assert messages.title(recipe, FINDING, unit) == expected
    assert len(messages.title(recipe, FINDING, unit)) <= messages.TITLE_LENGTH


@pytest.mark.parametrize(
    ("title", "taken", "expected"),
    [
        pytest.param("Fix `f` (a.py)", set(), "Fix `f` (a.py)", id="free"),
        pytest.param("Fix `f` (a.py)", {"Fix `g` (a.py)"}, "Fix `f` (a.py)", id="other-taken"),
        pytest.param("Fix `f` (a.py)", {"Fix `f` (a.py)"}, "Fix `f` (a.py) (line 42)", id="line"),
        pytest.param(
            "Fix `f` (a.py)",
            {"Fix `f` (a.py)", "Fix `f` (a.py) (line 42)"},
            "Fix `f` (a.py) (line 42, #2)",
            id="line-taken-too",
        ),
        pytest.param(
            "Fix `f` (a.py)",
            {"Fix `f` (a.py)", "Fix `f` (a.py) (line 42)", "Fix `f` (a.py) (line 42, #2)"},
            "Fix `f` (a.py) (line 42, #3)",
            id="and-again",
        ),
    ],
)
def test_distinct_title(title, taken, expected):
    assert messages.distinct_title(title, taken, 42) == expected


def test_titles_of_one_function_made_distinct_stay_distinct():
    taken: set[str] = set()
    for line in (3, 7, 7, 12):
        taken.add(messages.distinct_title("Fix `f` (a.py)", taken, line))
    assert taken == {
        "Fix `f` (a.py)",
        "Fix `f` (a.py) (line 7)",
        "Fix `f` (a.py) (line 7, #2)",
        "Fix `f` (a.py) (line 12)",
    }


def test_commit_message_of_a_rule_without_explanation_says_the_recipes_why():
    finding = replace(FINDING, rule="agent:unnecessary-copies")
    text = messages.commit_message(RECIPE, finding, [], unit="load")
    assert "\nWhy.\n" in text and "More." not in text


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("Remove a copy in {path}", "Remove a copy in src/pkg/util.py", id="path"),
        pytest.param("{rule} at {path}:{line}", "C414 at src/pkg/util.py:10", id="rule-line"),
        pytest.param("Fix {nonsense}", "Fix {nonsense}", id="unknown-field-kept"),
        pytest.param("Fix {path", "Fix {path", id="malformed-kept"),
        pytest.param("", "Remove copies in src/pkg/util.py", id="empty-falls-back"),
    ],
)
def test_title(template, expected):
    recipe = replace(RECIPE, pr=PrSettings(title=template))
    assert messages.title(recipe, FINDING) == expected


def test_commit_message_carries_why_evidence_and_trailers():
    text = messages.commit_message(RECIPE, FINDING, ["`pytest`: 9 tests, no new failures"])
    assert text.splitlines()[0] == messages.title(RECIPE, FINDING)
    assert explanations.RUFF["C414"] in text and "Why." not in text  # the rule's own why
    assert "- `pytest`: 9 tests, no new failures" in text
    assert f"Nightcrew-Fingerprint: {FINDING.fingerprint}" in text
    assert text.rstrip().endswith(f"Nightcrew-Fingerprint: {FINDING.fingerprint}")
