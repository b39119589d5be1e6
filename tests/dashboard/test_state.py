"""A commit is Nightcrew's by its author, its committer and the fingerprint trailer it carries."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.dashboard.state import Identity, foreign_commits, is_nightcrew_commit
from bot.github.api import CommitInfo
from bot.model import Finding
from bot.publish import messages
from bot.recipes.model import Recipe

RECIPE = Recipe(id="unnecessary-copies", title="Remove copies", description="Why.")
FINDING = Finding(
    "unnecessary-copies", "ruff:C414", "a.py", 1, 0, 1, 5, "copy", fingerprint="f" * 64
)
IDENTITY = Identity()
OURS = CommitInfo(
    sha="1" * 40,
    parents=("0" * 40,),
    author_name=IDENTITY.name,
    author_email=IDENTITY.email,
    committer_name=IDENTITY.name,
    committer_email=IDENTITY.email,
    message=messages.commit_message(RECIPE, FINDING, ["`pytest`: passed"]),
)


def test_a_commit_message_nightcrew_wrote_is_read_as_nightcrews() -> None:
    assert is_nightcrew_commit(OURS, IDENTITY)
    assert is_nightcrew_commit(OURS, IDENTITY, FINDING.fingerprint)
    assert foreign_commits([OURS], IDENTITY, FINDING.fingerprint) == []


@pytest.mark.parametrize(
    "commit",
    [
        pytest.param(replace(OURS, author_email="dev@example.com"), id="a-person-authored"),
        pytest.param(replace(OURS, committer_email="dev@example.com"), id="a-person-committed"),
        pytest.param(replace(OURS, message="Fix it\n"), id="no-fingerprint-trailer"),
    ],
)
def test_anything_else_is_foreign(commit: CommitInfo) -> None:
    assert not is_nightcrew_commit(commit, IDENTITY)
    assert foreign_commits([OURS, commit], IDENTITY) == [commit]


def test_a_commit_for_another_finding_is_foreign_to_this_one() -> None:
    assert not is_nightcrew_commit(OURS, IDENTITY, "e" * 64)


def test_emails_compare_without_case() -> None:
    shouted = replace(OURS, author_email=IDENTITY.email.upper())
    assert is_nightcrew_commit(shouted, IDENTITY, FINDING.fingerprint)
