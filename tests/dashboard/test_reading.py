"""Reading the dashboard back: lenient on human edits, broken blocks salvaged, old nights."""

from __future__ import annotations

import json

import pytest

from bot.dashboard import last_night, page, reading
from bot.dashboard.page import Dashboard
from bot.dashboard.rules import IgnoreRules
from tests.dashboard.samples import FP, FULL, OLD_NIGHT, block, shard_night

HUMAN_EDITS = {
    "bare-strings": (
        '{"findings": ["' + FP + '"], "recipes": ["modern-syntax"], "paths": ["tests/**"]}',
        [("finding", FP), ("recipe", "modern-syntax"), ("path", "tests/**")],
    ),
    "short-fingerprint": ('{"findings": ["01234567"]}', [("finding", "01234567")]),
    "under-ignore": (
        '{"version": 1, "ignore": {"recipes": [{"id": "a"}], "paths": [{"path": "b/**"}]}}',
        [("recipe", "a"), ("path", "b/**")],
    ),
    "single-value": ('{"recipes": "modern-syntax"}', [("recipe", "modern-syntax")]),
    "trailing-commas-and-comments": (
        '{\n  "recipes": [\n    "a", // noisy\n    "b",\n  ],\n  "paths": ["http://x//y",],\n}',
        [("recipe", "a"), ("recipe", "b"), ("path", "http://x//y")],
    ),
    "duplicates": (
        '{"recipes": ["a", {"recipe": "a", "by": "later"}], "findings": ["'
        + FP
        + '", "'
        + FP.upper()
        + '"]}',
        [("finding", FP), ("recipe", "a")],
    ),
    "no-version-reordered": (
        '{"paths": ["x/**"], "findings": [], "recipes": []}',
        [("path", "x/**")],
    ),
}


@pytest.mark.parametrize(("text", "expected"), HUMAN_EDITS.values(), ids=HUMAN_EDITS.keys())
def test_lenient_on_human_edits(text, expected):
    board = reading.parse(block(text))
    assert [(r.kind, r.value) for r in board.rules] == expected
    assert not board.broken


def test_crlf_from_the_web_editor():
    body = page.render(Dashboard(FULL)).replace("\n", "\r\n")
    assert reading.parse(body).rules == FULL


def test_unknown_fields_are_kept_through_a_rewrite():
    text = json.dumps({"recipes": [{"recipe": "a", "ticket": "JIRA-1", "why": ["x"]}]})
    board = reading.parse(block(text))
    again = reading.parse(page.render(board))
    (rule,) = again.rules
    assert rule.extra == {"ticket": "JIRA-1", "why": ["x"]}


def test_broken_json_is_salvaged_and_flagged():
    text = (
        '{"findings": [{"fingerprint": "'
        + FP
        + '", "by": "octocat"} {"fingerprint": "abcdef12"}],\n'
        ' "recipes": ["modern-syntax", {"recipe": "unused-imports", "by": "hubot"}],\n'
        ' "paths": [{"glob": "tests/**"}, "docs/**"\n'
    )
    board = reading.parse(block(text))
    assert board.broken
    assert "not valid JSON" in board.problems[0] and "line 1" in board.problems[0]
    assert {(r.kind, r.value) for r in board.rules} == {
        ("finding", FP),
        ("finding", "abcdef12"),
        ("recipe", "modern-syntax"),
        ("recipe", "unused-imports"),
        ("path", "tests/**"),
        ("path", "docs/**"),
    }


def test_a_missing_block_is_a_problem_not_a_crash():
    board = reading.parse("Someone replaced the whole body\n\n" + page.MARKER)
    assert board.rules == IgnoreRules() and "missing" in board.problems[0]
    assert not board.broken


def test_unusable_entries_are_reported_and_usable_ones_kept():
    text = '{"findings": [42, "not-hex!", "' + FP + '"], "paths": ["/abs/**"]}'
    board = reading.parse(block(text))
    assert [r.value for r in board.rules] == ["not-hex!", FP, "/abs/**"]
    assert any("cannot read 42" in p for p in board.problems)
    assert any("not 8 to 64 hex digits" in p for p in board.problems)
    assert any("is absolute" in p for p in board.problems)
    assert "not used" in page.render(board)  # shown, and kept


def test_a_night_written_before_shards_reads_as_an_unknown_unsharded_run():
    text = json.dumps({"version": 1, "paths": ["tests/**"], "night": OLD_NIGHT})
    night = reading.parse(block(text)).night
    assert night is not None and night.counts["found"] == 50
    assert (night.run_id, night.run_attempt, night.shards) == ("", 0, ())
    assert last_night.add_night(night, shard_night("1/2")) == shard_night("1/2")


def test_odd_run_and_shard_fields_edited_by_hand():
    night = dict(OLD_NIGHT, run_id=123, run_attempt="2", shards=["2/4", " 1/4", "5/4", 3, "2/4"])
    parsed = reading.parse(block(json.dumps({"night": night}))).night
    assert parsed is not None
    assert (parsed.run_id, parsed.run_attempt, parsed.shards) == ("123", 2, ("1/4", "2/4"))
    night = dict(OLD_NIGHT, run_id=True, run_attempt=False, shards="1/4")
    parsed = reading.parse(block(json.dumps({"night": night}))).night
    assert parsed is not None and (parsed.run_id, parsed.run_attempt, parsed.shards) == ("", 0, ())
