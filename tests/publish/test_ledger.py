"""The one line that tells what the GitHub publisher did tonight, and the PRs it published."""

from __future__ import annotations

import pytest

from bot.publish.ledger import Action, published_urls, summary

URL = "https://github.com/o/r/pull/"


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        pytest.param([], "", id="nothing"),
        pytest.param(
            [Action("opened", "nightcrew/a", 2, URL + "2"), Action("opened", "b", 3, URL + "3")],
            "GitHub: opened: #2, #3",
            id="opened",
        ),
        pytest.param(
            [
                Action("skipped", "nightcrew/a", reason="already open"),
                Action("deleted", "nightcrew/b", reason="gone"),
                Action("closed", "nightcrew/c", 4, URL + "4"),
                Action("skipped", "nightcrew/d", reason="over a limit"),
            ],
            "GitHub: closed (finding gone): #4; deleted abandoned branch: nightcrew/b; "
            "skipped: 2 (already open, ignored or over a limit)",
            id="in-fixed-order-skips-counted",
        ),
        pytest.param(
            [Action("stopped", "", reason="rate limit")],
            "GitHub: stopped: rate limit",
            id="no-branch-names-the-reason",
        ),
    ],
)
def test_summary(actions: list[Action], expected: str) -> None:
    assert summary(actions) == expected


def test_published_urls_are_the_prs_opened_or_rebuilt() -> None:
    actions = [
        Action("opened", "a", 1, URL + "1"),
        Action("repaired", "b", 2, URL + "2"),
        Action("rebuilt", "c", 3, URL + "3"),
        Action("closed", "d", 4, URL + "4"),
        Action("skipped", "e", 5, URL + "5"),
        Action("opened", "f"),  # no URL: not listed
    ]
    assert published_urls(actions) == [URL + "1", URL + "2", URL + "3"]
