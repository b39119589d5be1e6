"""Every trailer ``messages.commit_message`` writes is read back by ``Trailer.read``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.model import Finding
from bot.publish import messages
from bot.publish.trailers import Trailer, fits, recipe_id
from bot.recipes.model import Recipe
from bot.report.results import CoveredBy

RECIPE = Recipe(id="unnecessary-copies", title="Remove copies", description="Why.", version=3)
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
EVIDENCE = ["`pytest`: 9 tests, no new failures"]
COVERED = CoveredBy(("tests.test_util::test_a", "tests.test_util::test_b"))

# What each trailer of RECIPE and FINDING's commit message holds.
WRITTEN = {
    Trailer.RECIPE: "unnecessary-copies@3",
    Trailer.RULE: "ruff:C414",
    Trailer.PATH: "src/pkg/util.py",
    Trailer.FINGERPRINT: "0123456789abcdef" * 4,
    Trailer.COVERED_BY: "2",
}


def test_the_table_covers_every_trailer() -> None:
    assert set(WRITTEN) == set(Trailer)


@pytest.mark.parametrize(("trailer", "value"), list(WRITTEN.items()), ids=str)
def test_commit_message_trailers_read_back(trailer: Trailer, value: str) -> None:
    message = messages.commit_message(RECIPE, FINDING, EVIDENCE, COVERED)
    assert trailer.read(message) == value
    assert trailer.line(value) in message.splitlines()


def test_recipe_id_drops_the_version() -> None:
    message = messages.commit_message(RECIPE, FINDING, EVIDENCE)
    assert recipe_id(message) == "unnecessary-copies"
    assert recipe_id("no trailers here\n") is None


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("src/a\nNightcrew-Fingerprint: forged.py", id="newline"),
        pytest.param(" src/a.py", id="leading-space"),
        pytest.param("src/a.py\t", id="trailing-tab"),
    ],
)
def test_a_path_that_would_not_read_back_is_not_written(path: str) -> None:
    assert not fits(path)
    message = messages.commit_message(RECIPE, replace(FINDING, path=path), EVIDENCE)
    assert Trailer.PATH.read(message) is None
    assert Trailer.FINGERPRINT.read(message) == FINDING.fingerprint


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("Subject\n\nNightcrew-Path: a.py\n", "a.py", id="plain"),
        pytest.param("Subject\n\nnightcrew-path:   a.py  \n", "a.py", id="case-and-spaces"),
        pytest.param("Nightcrew-Path: a.py\nNightcrew-Path: b.py\n", "b.py", id="last-wins"),
        pytest.param("Subject\n\nNightcrew-Path:\n", None, id="empty"),
        pytest.param(
            "Subject\n\nNightcrew-Path:\nNightcrew-Rule: x\n", None, id="empty-keeps-to-its-line"
        ),
        pytest.param("Subject\n\nsee Nightcrew-Path: a.py\n", None, id="not-at-line-start"),
    ],
)
def test_read(message: str, expected: str | None) -> None:
    assert Trailer.PATH.read(message) == expected


@pytest.mark.parametrize(
    ("covered", "value"),
    [
        pytest.param(CoveredBy(()), "0", id="no-test"),
        pytest.param(CoveredBy(None, "`tox` is not pytest"), "unknown", id="unknown"),
        pytest.param(CoveredBy(tuple(f"t::{i}" for i in range(7))), "7", id="seven"),
    ],
)
def test_covered_by_is_a_count_or_unknown(covered: CoveredBy, value: str) -> None:
    message = messages.commit_message(RECIPE, FINDING, EVIDENCE, covered)
    assert Trailer.COVERED_BY.read(message) == value
