"""The dashboard's body: what people read, and a rules block that reads back the same."""

from __future__ import annotations

import pytest

from bot.dashboard import markers, page, reading
from bot.dashboard.page import Dashboard, OpenPull
from bot.dashboard.rules import IgnoreRules, Rule
from tests.dashboard.samples import FP2, FULL, NIGHT, SHARDED, rejection, shard_night

# Rules come back grouped by kind (findings, recipes, paths), each group in its order.
ROUND_TRIPS = {
    "empty": Dashboard(),
    "rules": Dashboard(FULL),
    "night": Dashboard(night=NIGHT),
    "both": Dashboard(FULL, NIGHT),
    "sharded-night": Dashboard(FULL, SHARDED),
    "rejections": Dashboard(FULL, NIGHT, rejections=(rejection(FP2), rejection())),
    "odd-text": Dashboard(
        IgnoreRules(
            (
                Rule("recipe", "r", reason="```fence``` and @someone"),
                Rule("path", "src/{a,b}/**", by="x", reason='quote " and <!-- nightcrew:x=1 -->'),
            )
        )
    ),
}


@pytest.mark.parametrize("board", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_render_then_parse_gives_the_same_dashboard(board):
    body = page.render(board, [OpenPull(5, "https://x/5", "unused-imports", FP2, "T")])
    assert page.is_dashboard(body)
    assert reading.parse(body) == board
    assert reading.parse(page.render(reading.parse(body))) == board


def test_the_body_shows_people_what_is_going_on():
    pulls = [OpenPull(6, "https://x/6", "unused-imports", FP2, "Remove an import from @someone")]
    body = page.render(Dashboard(FULL, NIGHT), pulls)
    assert "- #6 Remove an import from @\u200bsomeone (`unused-imports`)" in body
    assert "finding `01234567` (`unused-imports`, `pkg/core.py`) on #3 by octocat" in body
    assert "undo: reopen #3 or comment `/nightcrew unignore` on it" in body
    assert "recipe `modern-syntax` on #4 by hubot" in body
    assert "path `docs/**/*.py` for `unused-imports`" in body
    assert "`pkg/x.py:3` (`unused-imports`): waiting for a free slot" in body
    assert "9 found, 3 verified, 2 published, 1 rejected, 5 skipped" in body
    assert (
        "- `unused-imports`: 4 of 5: 2 of its last 6 PRs closed unmerged, 4 merged\n"
        "- `modern-syntax`: 3 of 3: none of its PRs merged or closed yet"
    ) in body
    assert "## New PRs per recipe\n\nNo night has reported them yet." in page.render(Dashboard())
    assert body.rstrip().endswith(page.MARKER)


def test_the_body_lists_the_fixes_rejected_earlier():
    assert "No fix is waiting for a change." in page.render(Dashboard(FULL, NIGHT))
    body = page.render(Dashboard(FULL, NIGHT, rejections=(rejection(),)))
    assert (
        "- `pkg/audit.py:10` (`unnecessary-copies`, `ruff:C419`): rejected on 2026-01-02 on "
        "`bbbbbbbbbb`: `pytest -q`: 1 new failing test(s): tests/test_audit.py::test_audit "
        "<@\u200bsomeone>" in body
    )
    assert "delete its entry from `rejections` in the rules block" in body
    # Readers of the rules block see the same rejection; its `<` cannot open a comment.
    assert reading.parse(body).rejections == (rejection(),)
    assert "<@" not in body.split(page.RULES_START)[1]


def test_an_unreadable_rejection_is_a_problem_not_a_loss_of_the_others():
    body = page.render(Dashboard(rejections=(rejection(),)))
    edited = body.replace('"rejections": [', '"rejections": [{"fingerprint": 3},', 1)
    parsed = reading.parse(edited)
    assert parsed.rejections == (rejection(),)
    assert any(p.startswith("rejections: cannot read") for p in parsed.problems)


def test_text_in_rules_cannot_forge_a_marker():
    board = ROUND_TRIPS["odd-text"]
    body = page.render(board)
    assert [m for m in markers.decode_all(body) if "x" in m] == []
    assert "@\u200bsomeone" in body


def test_no_dashboard_marker_no_dashboard():
    assert not page.is_dashboard("Some issue\n\n<!-- nightcrew:fingerprint=ab;recipe=x -->")
    assert not page.is_dashboard(None)


def test_many_rules_shorten_the_lists_never_theblock():
    rules = IgnoreRules(
        tuple(Rule("path", f"generated/{i:04d}/**", by="x" * 30) for i in range(400))
    )
    body = page.render(Dashboard(rules))
    assert len(body) <= page.BODY_LIMIT
    assert "more (all are in the rules block)" in body
    assert reading.parse(body).rules == rules


def test_the_last_night_says_which_shards_reported():
    body = page.render(Dashboard(night=SHARDED))
    assert (
        "Sharded night (workflow run 123456789, attempt 2): shards 1/4, 3/4 of 4 reported; "
        "the other shards add their numbers when they finish." in body
    )
    assert "4 found, 1 verified, 1 published" in body
    whole = page.render(Dashboard(night=shard_night("1/1")))
    assert "shard 1/1 of 1 reported." in whole
    assert "Sharded night" not in page.render(Dashboard(night=NIGHT))
