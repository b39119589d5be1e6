"""The dashboard's body and its rules: render/parse round trips, human edits, IgnoreRules."""

from __future__ import annotations

import json

import pytest

from bot.github import markers
from bot.review import dashboard
from bot.review.dashboard import Dashboard, NightSummary, OpenPull, Waiting
from bot.review.rules import IgnoreRules, Rule

FP = "0123456789abcdef" * 4
FP2 = "fedcba9876543210" * 4
FULL = IgnoreRules(
    (
        Rule(
            "finding",
            FP,
            recipe="unused-imports",
            path="pkg/core.py",
            pr=3,
            by="octocat",
            reason="closed without merging",
            at="2026-01-02T03:04:05+00:00",
            extra={"note": "we need this import for plugins"},
        ),
        Rule("recipe", "modern-syntax", pr=4, by="hubot", reason="/nightcrew ignore"),
        Rule("path", "tests/**"),
        Rule("path", "docs/**/*.py", recipe="unused-imports"),
    )
)
NIGHT = NightSummary(
    started_at="2026-01-02T03:00:00+00:00",
    base="a" * 40,
    counts={"found": 9, "verified": 3, "published": 2, "rejected": 1, "skipped": 5},
    prs=("https://github.com/o/r/pull/5", "https://github.com/o/r/pull/6"),
    recipes=("unused-imports", "modern-syntax"),
    waiting=(Waiting("unused-imports", "pkg/x.py", 3, "waiting for a free slot (limit: 5)"),),
)

# Rules come back grouped by kind (findings, recipes, paths), each group in its order.
ROUND_TRIPS = {
    "empty": Dashboard(),
    "rules": Dashboard(FULL),
    "night": Dashboard(night=NIGHT),
    "both": Dashboard(FULL, NIGHT),
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
    body = dashboard.render(board, [OpenPull(5, "https://x/5", "unused-imports", FP2, "T")])
    assert dashboard.is_dashboard(body)
    assert dashboard.parse(body) == board
    assert dashboard.parse(dashboard.render(dashboard.parse(body))) == board


def test_the_body_shows_people_what_is_going_on():
    pulls = [OpenPull(6, "https://x/6", "unused-imports", FP2, "Remove an import from @someone")]
    body = dashboard.render(Dashboard(FULL, NIGHT), pulls)
    assert "- #6 Remove an import from @\u200bsomeone (`unused-imports`)" in body
    assert "finding `01234567` (`unused-imports`, `pkg/core.py`) on #3 by octocat" in body
    assert "undo: reopen #3 or comment `/nightcrew unignore` on it" in body
    assert "recipe `modern-syntax` on #4 by hubot" in body
    assert "path `docs/**/*.py` for `unused-imports`" in body
    assert "`pkg/x.py:3` (`unused-imports`): waiting for a free slot" in body
    assert "9 found, 3 verified, 2 published, 1 rejected, 5 skipped" in body
    assert body.rstrip().endswith(dashboard.MARKER)


def test_text_in_rules_cannot_forge_a_marker():
    board = ROUND_TRIPS["odd-text"]
    body = dashboard.render(board)
    assert [m for m in markers.decode_all(body) if "x" in m] == []
    assert "@\u200bsomeone" in body


def test_no_dashboard_marker_no_dashboard():
    assert not dashboard.is_dashboard("Some issue\n\n<!-- nightcrew:fingerprint=ab;recipe=x -->")
    assert not dashboard.is_dashboard(None)


def _block(text: str) -> str:
    return f"Edited by hand\n\n{dashboard.RULES_START}\n```json\n{text}\n```\n{dashboard.RULES_END}"


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
    board = dashboard.parse(_block(text))
    assert [(r.kind, r.value) for r in board.rules] == expected
    assert not board.broken


def test_crlf_from_the_web_editor():
    body = dashboard.render(Dashboard(FULL)).replace("\n", "\r\n")
    assert dashboard.parse(body).rules == FULL


def test_unknown_fields_are_kept_through_a_rewrite():
    text = json.dumps({"recipes": [{"recipe": "a", "ticket": "JIRA-1", "why": ["x"]}]})
    board = dashboard.parse(_block(text))
    again = dashboard.parse(dashboard.render(board))
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
    board = dashboard.parse(_block(text))
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
    board = dashboard.parse("Someone replaced the whole body\n\n" + dashboard.MARKER)
    assert board.rules == IgnoreRules() and "missing" in board.problems[0]
    assert not board.broken


def test_unusable_entries_are_reported_and_usable_ones_kept():
    text = '{"findings": [42, "not-hex!", "' + FP + '"], "paths": ["/abs/**"]}'
    board = dashboard.parse(_block(text))
    assert [r.value for r in board.rules] == ["not-hex!", FP, "/abs/**"]
    assert any("cannot read 42" in p for p in board.problems)
    assert any("not 8 to 64 hex digits" in p for p in board.problems)
    assert any("is absolute" in p for p in board.problems)
    assert "not used" in dashboard.render(board)  # shown, and kept


def test_many_rules_shorten_the_lists_never_the_block():
    rules = IgnoreRules(
        tuple(Rule("path", f"generated/{i:04d}/**", by="x" * 30) for i in range(400))
    )
    body = dashboard.render(Dashboard(rules))
    assert len(body) <= dashboard.BODY_LIMIT
    assert "more (all are in the rules block)" in body
    assert dashboard.parse(body).rules == rules


# --- IgnoreRules ----------------------------------------------------------------------------------

IGNORES = [
    ("finding", FP, ("r", "a.py", FP), "ignored: finding"),
    ("finding", FP[:8], ("r", "a.py", FP), "ignored: finding"),
    ("finding", FP.upper(), ("r", "a.py", FP), "ignored: finding"),
    ("finding", FP, ("r", "a.py", FP2), None),
    ("finding", "0123", ("r", "a.py", FP), None),  # too short to be a rule
    ("recipe", "r", ("r", "a.py", FP), "ignored: recipe r"),
    ("recipe", "r", ("s", "a.py", FP), None),
    ("path", "tests/**", ("r", "tests/x/test_a.py", FP), "ignored: path tests/**"),
    ("path", "tests/**", ("r", "src/tests.py", FP), None),
    ("path", "*.py", ("r", "pkg/a.py", FP), None),  # whole-path globs, like scopes
    ("path", "/abs/**", ("r", "/abs/a.py", FP), None),  # a broken rule never matches
]


@pytest.mark.parametrize(("kind", "value", "finding", "reason"), IGNORES)
def test_ignores(kind, value, finding, reason):
    result = IgnoreRules((Rule(kind, value),)).ignores(*finding)
    if reason is None:
        assert result is None
    else:
        assert result is not None and result.startswith(reason)


def test_a_path_rule_for_one_recipe():
    rules = IgnoreRules((Rule("path", "docs/**", recipe="unused-imports"),))
    assert rules.ignores("unused-imports", "docs/a.py", FP)
    assert rules.ignores("modern-syntax", "docs/a.py", FP) is None


def test_the_reason_says_where_and_who():
    rules = IgnoreRules((Rule("finding", FP, pr=3, by="octocat", reason="closed without merging"),))
    assert rules.ignores("r", "a.py", FP) == (
        "ignored: finding (closed without merging) on #3 by octocat"
    )


def test_add_and_remove():
    rules = IgnoreRules().add(Rule("recipe", "a")).add(Rule("recipe", "a", by="again"))
    assert [r.by for r in rules] == [""]
    rules = rules.add(Rule("finding", FP[:8])).add(Rule("finding", FP2))
    assert len(rules.remove("finding", FP)) == 2  # the short rule matching FP goes too
    assert rules.remove("recipe", "b") == rules
    assert rules.remove("recipe", "a").of_kind("recipe") == []


# --- a night's report --------------------------------------------------------------------------


def test_night_summary_from_a_report():
    report = {
        "started_at": "2026-01-02T03:00:00+00:00",
        "base": "b" * 40,
        "recipes": ["unused-imports"],
        "summary": {"found": 4, "verified": 2, "rejected": 1, "skipped": 1, "errored": 0},
        "prs": ["https://x/pull/1"],
        "fixes": [
            {"status": "verified", "recipe": "u", "path": "a.py", "line": 1, "reason": "ok"},
            {
                "status": "skipped",
                "recipe": "u",
                "path": "b.py",
                "line": 2,
                "reason": "night limit reached (1 verified fixes); a later night will try it",
            },
            {
                "status": "verified",
                "recipe": "u",
                "path": "c.py",
                "line": 3,
                "reason": "ok; not published: publishing stopped: GitHub's rate limit was reached",
            },
            {"status": "skipped", "recipe": "u", "path": "d.py", "line": 4, "reason": "ignored"},
        ],
    }
    night = dashboard.night_summary(report)
    assert night.counts["published"] == 1 and night.counts["found"] == 4
    assert [(w.path, w.line) for w in night.waiting] == [("b.py", 2), ("c.py", 3)]
    assert dashboard.parse(dashboard.render(Dashboard(night=night))).night == night
