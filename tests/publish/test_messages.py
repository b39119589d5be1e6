from __future__ import annotations

from dataclasses import replace

import pytest

from bot.model import Finding
from bot.publish import messages
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
    assert "Why." in text and "More." not in text
    assert "- `pytest`: 9 tests, no new failures" in text
    assert f"Nightcrew-Fingerprint: {FINDING.fingerprint}" in text
    assert text.rstrip().endswith(f"Nightcrew-Fingerprint: {FINDING.fingerprint}")
