"""The dashboard's body and its rules: render/parse round trips, human edits, IgnoreRules;
a night's summary, and the shards of one workflow run adding theirs up on the fake GitHub."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.dashboard import board, markers, page
from bot.dashboard.page import Dashboard, NightSummary, OpenPull, Waiting
from bot.dashboard.rules import IgnoreRules, Rule
from bot.github.api import IssueInfo
from bot.github.client import connect
from bot.github.pacing import Pacer
from tests.conftest import git
from tests.fakes.github import FakeGitHub

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
SHARDED = NightSummary(
    started_at="2026-01-02T03:00:00+00:00",
    base="a" * 40,
    counts={"found": 4, "verified": 1, "published": 1},
    prs=("https://github.com/o/r/pull/7",),
    recipes=("unused-imports",),
    run_id="123456789",
    run_attempt=2,
    shards=("1/4", "3/4"),
)

# Rules come back grouped by kind (findings, recipes, paths), each group in its order.
ROUND_TRIPS = {
    "empty": Dashboard(),
    "rules": Dashboard(FULL),
    "night": Dashboard(night=NIGHT),
    "both": Dashboard(FULL, NIGHT),
    "sharded-night": Dashboard(FULL, SHARDED),
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
    assert page.parse(body) == board
    assert page.parse(page.render(page.parse(body))) == board


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
    assert body.rstrip().endswith(page.MARKER)


def test_text_in_rules_cannot_forge_a_marker():
    board = ROUND_TRIPS["odd-text"]
    body = page.render(board)
    assert [m for m in markers.decode_all(body) if "x" in m] == []
    assert "@\u200bsomeone" in body


def test_no_dashboard_marker_no_dashboard():
    assert not page.is_dashboard("Some issue\n\n<!-- nightcrew:fingerprint=ab;recipe=x -->")
    assert not page.is_dashboard(None)


def _block(text: str) -> str:
    return f"Edited by hand\n\n{page.RULES_START}\n```json\n{text}\n```\n{page.RULES_END}"


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
    board = page.parse(_block(text))
    assert [(r.kind, r.value) for r in board.rules] == expected
    assert not board.broken


def test_crlf_from_the_web_editor():
    body = page.render(Dashboard(FULL)).replace("\n", "\r\n")
    assert page.parse(body).rules == FULL


def test_unknown_fields_are_kept_through_a_rewrite():
    text = json.dumps({"recipes": [{"recipe": "a", "ticket": "JIRA-1", "why": ["x"]}]})
    board = page.parse(_block(text))
    again = page.parse(page.render(board))
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
    board = page.parse(_block(text))
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
    board = page.parse("Someone replaced the whole body\n\n" + page.MARKER)
    assert board.rules == IgnoreRules() and "missing" in board.problems[0]
    assert not board.broken


def test_unusable_entries_are_reported_and_usable_ones_kept():
    text = '{"findings": [42, "not-hex!", "' + FP + '"], "paths": ["/abs/**"]}'
    board = page.parse(_block(text))
    assert [r.value for r in board.rules] == ["not-hex!", FP, "/abs/**"]
    assert any("cannot read 42" in p for p in board.problems)
    assert any("not 8 to 64 hex digits" in p for p in board.problems)
    assert any("is absolute" in p for p in board.problems)
    assert "not used" in page.render(board)  # shown, and kept


def test_many_rules_shorten_the_lists_never_the_block():
    rules = IgnoreRules(
        tuple(Rule("path", f"generated/{i:04d}/**", by="x" * 30) for i in range(400))
    )
    body = page.render(Dashboard(rules))
    assert len(body) <= page.BODY_LIMIT
    assert "more (all are in the rules block)" in body
    assert page.parse(body).rules == rules


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
    night = page.night_summary(report)
    assert night.counts["published"] == 1 and night.counts["found"] == 4
    assert [(w.path, w.line) for w in night.waiting] == [("b.py", 2), ("c.py", 3)]
    assert page.parse(page.render(Dashboard(night=night))).night == night


def _shard_night(
    shard: str | None,
    run: str = "77",
    *,
    attempt: int = 1,
    found: int = 1,
    prs: Sequence[str] = (),
    recipes: Sequence[str] = ("unused-imports",),
    started_at: str = "2026-01-03T03:00:00+00:00",
    waiting: Sequence[Waiting] = (),
) -> NightSummary:
    return NightSummary(
        started_at=started_at,
        base="c" * 40,
        counts={"found": found, "published": len(prs)},
        prs=tuple(prs),
        recipes=tuple(recipes),
        waiting=tuple(waiting),
        run_id=run,
        run_attempt=attempt if run else 0,
        shards=(shard,) if shard else (),
    )


def test_night_summary_records_the_run_and_the_shard():
    report = {"started_at": "x", "base": "b" * 40, "summary": {"found": 1}, "shard": [2, 4]}
    night = page.night_summary(report, run_id=" 42 ", run_attempt=3)
    assert (night.run_id, night.run_attempt, night.shards) == ("42", 3, ("2/4",))
    report["shard"] = None
    night = page.night_summary(report)
    assert (night.run_id, night.run_attempt, night.shards) == ("", 0, ())


def test_shards_of_one_run_add_up():
    slot = Waiting("unused-imports", "a.py", 1, "waiting for a free slot")
    first = _shard_night(
        "3/4", found=2, prs=["https://x/pull/1"], waiting=[slot], started_at="2026-01-03T03:05:00Z"
    )
    second = _shard_night(
        "1/4",
        found=5,
        prs=["https://x/pull/2", "https://x/pull/1"],
        recipes=("modern-syntax", "unused-imports"),
        waiting=[slot, Waiting("modern-syntax", "b.py", 2, "limit")],
        started_at="2026-01-03T04:00:00+01:00",  # 03:00 UTC: the earlier one
    )
    night = page.add_night(page.add_night(None, first), second)
    assert night.counts == {"found": 7, "published": 3}
    assert night.prs == ("https://x/pull/1", "https://x/pull/2")
    assert night.recipes == ("unused-imports", "modern-syntax")
    assert [w.path for w in night.waiting] == ["a.py", "b.py"]
    assert night.started_at == "2026-01-03T04:00:00+01:00"
    assert night.shards == ("1/4", "3/4") and (night.run_id, night.run_attempt) == ("77", 1)
    assert page.add_night(night, second) == night  # a shard is never counted twice


@pytest.mark.parametrize(
    "new",
    [
        _shard_night("2/4", run="78"),  # a new run
        _shard_night("2/4", attempt=2),  # a re-run: a new attempt
        _shard_night(None),  # an unsharded night
        _shard_night("2/4", run=""),  # a shard of a run that is not known
    ],
    ids=["new-run", "new-attempt", "unsharded", "unknown-run"],
)
def test_anything_else_replaces_the_summary(new):
    assert page.add_night(_shard_night("1/4"), new) == new


def test_an_unsharded_summary_is_replaced_even_by_a_shard_of_its_run():
    new = _shard_night("1/4")
    assert page.add_night(_shard_night(None), new) == new


def test_the_last_night_says_which_shards_reported():
    body = page.render(Dashboard(night=SHARDED))
    assert (
        "Sharded night (workflow run 123456789, attempt 2): shards 1/4, 3/4 of 4 reported; "
        "the other shards add their numbers when they finish." in body
    )
    assert "4 found, 1 verified, 1 published" in body
    whole = page.render(Dashboard(night=_shard_night("1/1")))
    assert "shard 1/1 of 1 reported." in whole
    assert "Sharded night" not in page.render(Dashboard(night=NIGHT))


OLD_NIGHT = {  # a dashboard's night written before runs and shards were recorded
    "started_at": "2026-01-01T03:00:00+00:00",
    "base": "d" * 40,
    "counts": {"found": 50, "verified": 9, "published": 8},
    "prs": ["https://x/pull/40"],
    "recipes": ["unused-imports"],
    "waiting": [],
}


def test_a_night_written_before_shards_reads_as_an_unknown_unsharded_run():
    text = json.dumps({"version": 1, "paths": ["tests/**"], "night": OLD_NIGHT})
    night = page.parse(_block(text)).night
    assert night is not None and night.counts["found"] == 50
    assert (night.run_id, night.run_attempt, night.shards) == ("", 0, ())
    assert page.add_night(night, _shard_night("1/2")) == _shard_night("1/2")


def test_odd_run_and_shard_fields_edited_by_hand():
    night = dict(OLD_NIGHT, run_id=123, run_attempt="2", shards=["2/4", " 1/4", "5/4", 3, "2/4"])
    parsed = page.parse(_block(json.dumps({"night": night}))).night
    assert parsed is not None
    assert (parsed.run_id, parsed.run_attempt, parsed.shards) == ("123", 2, ("1/4", "2/4"))
    night = dict(OLD_NIGHT, run_id=True, run_attempt=False, shards="1/4")
    parsed = page.parse(_block(json.dumps({"night": night}))).night
    assert parsed is not None and (parsed.run_id, parsed.run_attempt, parsed.shards) == ("", 0, ())


# --- record_night on the fake GitHub -----------------------------------------------------------

OWNER, NAME = "octo-org", "demo"
REPOSITORY = f"{OWNER}/{NAME}"
TOKEN = "ghs_DashboardTestsToken000000000000000"
ISSUE_EDITS = rf"/repos/{REPOSITORY}/issues/\d+"


@pytest.fixture
def gh(tmp_path: Path) -> Iterator[FakeGitHub]:
    origin = tmp_path / "demo-origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    with FakeGitHub(origin, OWNER, NAME, TOKEN) as fake:
        yield fake
        assert not fake.crashes, fake.crashes[0]


def api(gh: FakeGitHub) -> Any:
    return connect(TOKEN, gh.api_url, backoff=0.0, pacer=Pacer(0.0)).repo(REPOSITORY)


def report(
    shard: tuple[int, int] | None,
    prs: Sequence[str] = (),
    found: int = 3,
    started_at: str = "2026-01-03T03:00:00+00:00",
) -> dict[str, Any]:
    """What ``NightReport.to_json()`` gives the dashboard, for one shard (or a whole night)."""
    return {
        "started_at": started_at,
        "base": "e" * 40,
        "recipes": ["unused-imports"],
        "summary": {"found": found, "verified": len(prs), "rejected": 0, "skipped": 0},
        "prs": list(prs),
        "fixes": [],
        "shard": list(shard) if shard else None,
    }


def only_dashboard(gh: FakeGitHub) -> dict[str, Any]:
    (issue,) = [
        i for i in gh.items.values() if i["kind"] == "issue" and page.is_dashboard(i["body"])
    ]
    return issue


def shown(gh: FakeGitHub) -> tuple[NightSummary, str, IgnoreRules]:
    body = only_dashboard(gh)["body"]
    parsed = page.parse(body)
    assert parsed.night is not None and not parsed.problems
    return parsed.night, body, parsed.rules


def with_a_rule(gh: FakeGitHub) -> IgnoreRules:
    """A dashboard with one rule set (and no night yet); the nights must leave it alone."""
    _, board_ = board.update(api(gh), lambda rules: rules.add(Rule("path", "docs/**", by="x")))
    return board_.rules


def test_two_shards_of_one_run_add_up(gh: FakeGitHub) -> None:
    rules = with_a_rule(gh)
    first = api(gh)
    board.record_night(first, report((2, 2), ["https://x/pull/3"], 4), run_id="500", run_attempt=1)
    board.record_night(
        api(gh),
        report((1, 2), ["https://x/pull/1", "https://x/pull/2"], 6, "2026-01-03T02:59:00+00:00"),
        run_id="500",
        run_attempt=1,
    )
    night, body, kept = shown(gh)
    assert night.counts["found"] == 10 and night.counts["published"] == 3
    assert night.counts["verified"] == 3
    assert night.prs == ("https://x/pull/3", "https://x/pull/1", "https://x/pull/2")
    assert night.shards == ("1/2", "2/2") and (night.run_id, night.run_attempt) == ("500", 1)
    assert night.started_at == "2026-01-03T02:59:00+00:00"
    assert "Sharded night (workflow run 500, attempt 1): shards 1/2, 2/2 of 2 reported." in body
    assert "10 found, 3 verified, 3 published" in body
    assert kept == rules
    block = json.loads(re.search(r"```json\n(.*?)\n```", body, re.S)[1])  # type: ignore[index]
    assert block["night"]["run_id"] == "500" and block["night"]["shards"] == ["1/2", "2/2"]


def test_a_shard_of_a_new_run_replaces_the_summary(gh: FakeGitHub) -> None:
    board.record_night(api(gh), report((1, 2), ["https://x/pull/1"], 5), run_id="500")
    board.record_night(api(gh), report((2, 2), [], 2), run_id="501", run_attempt=1)
    night, body, _ = shown(gh)
    assert night.counts["found"] == 2 and night.prs == ()
    assert (night.run_id, night.shards) == ("501", ("2/2",))
    assert "shard 2/2 of 2 reported; the other shards add their numbers" in body


def test_an_unsharded_night_replaces_the_summary(gh: FakeGitHub) -> None:
    rules = with_a_rule(gh)
    board.record_night(api(gh), report((1, 2), ["https://x/pull/1"], 5), run_id="500")
    board.record_night(api(gh), report(None, ["https://x/pull/9"], 8), run_id="500")
    night, body, kept = shown(gh)
    assert night.counts["found"] == 8 and night.prs == ("https://x/pull/9",)
    assert night.shards == () and night.run_id == "500"
    assert "Sharded night" not in body and kept == rules
    # A shard of the same run does not add to an unsharded night either: it replaces it.
    board.record_night(api(gh), report((2, 2), [], 1), run_id="500")
    assert shown(gh)[0].counts["found"] == 1


def test_a_dashboard_written_before_shards_is_replaced_cleanly(gh: FakeGitHub) -> None:
    old = (
        "This issue is Nightcrew's dashboard.\n\n## Last night\n\nStarted long ago.\n\n"
        f"{page.RULES_START}\n```json\n"
        + json.dumps(
            {
                "version": 1,
                "findings": [],
                "recipes": [],
                "paths": [{"glob": "a/**"}],
                "night": OLD_NIGHT,
            },
            indent=2,
        )
        + f"\n```\n{page.RULES_END}\n\n{page.MARKER}\n"
    )
    gh_api = api(gh)
    gh_api.create_issue(page.TITLE, old, [page.LABEL])
    assert board.read(board.find_dashboards(gh_api)).night.shards == ()  # type: ignore[union-attr]
    board.record_night(gh_api, report((1, 3), ["https://x/pull/5"], 2), run_id="9", run_attempt=1)
    night, body, rules = shown(gh)
    assert night.counts["found"] == 2 and night.prs == ("https://x/pull/5",)
    assert (night.run_id, night.run_attempt, night.shards) == ("9", 1, ("1/3",))
    assert "50 found" not in body and "shard 1/3 of 3 reported" in body
    assert [(r.kind, r.value) for r in rules] == [("path", "a/**")]


class Snapshot:
    """An issues API that remembers what it read, until it has written once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.full_name = inner.full_name
        self.reads: dict[tuple[str, tuple[str, ...]], list[IssueInfo]] = {}
        self.wrote = False

    def list_issues(self, state: str = "open", labels: Sequence[str] = ()) -> list[IssueInfo]:
        found = self.inner.list_issues(state, labels)
        if not self.wrote:
            self.reads[(state, tuple(labels))] = found
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class RacedBy(Snapshot):
    """Shard 1's API: right after its first write, ``other`` runs with what shard 1 read."""

    def __init__(self, inner: Any, other: Callable[[Snapshot], None]) -> None:
        super().__init__(inner)
        self.other = other
        self.edits = 0

    def edit_issue(self, number: int, **changes: Any) -> IssueInfo:
        info = self.inner.edit_issue(number, **changes)
        self.edits += 1
        if not self.wrote:
            self.wrote = True
            self.other(self)
        return info


class ReadEarlier:
    """Shard 2's API: its reads return what shard 1 read, until shard 2 writes: both shards
    read the dashboard at the same moment, before either wrote."""

    def __init__(self, inner: Any, earlier: Snapshot) -> None:
        self.inner = inner
        self.full_name = inner.full_name
        self.earlier = earlier
        self.wrote = False

    def list_issues(self, state: str = "open", labels: Sequence[str] = ()) -> list[IssueInfo]:
        key = (state, tuple(labels))
        if not self.wrote and key in self.earlier.reads:
            return self.earlier.reads[key]
        return self.inner.list_issues(state, labels)

    def edit_issue(self, number: int, **changes: Any) -> IssueInfo:
        self.wrote = True
        return self.inner.edit_issue(number, **changes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_two_shards_writing_at_once_both_count(gh: FakeGitHub) -> None:
    rules = with_a_rule(gh)
    board.record_night(api(gh), report(None, ["https://x/pull/1"], 30), run_id="499")  # last night
    before = len(gh.writes("PATCH", ISSUE_EDITS))

    def shard_two(first: Snapshot) -> None:
        # Shard 2 read alongside shard 1 (last night's summary), and writes after shard 1 did:
        # its write drops shard 1's numbers.
        board.record_night(
            ReadEarlier(api(gh), first), report((2, 2), ["https://x/pull/8"], 2), run_id="500"
        )
        assert shown(gh)[0].shards == ("2/2",)

    first = RacedBy(api(gh), shard_two)
    board.record_night(first, report((1, 2), ["https://x/pull/7"], 5), run_id="500")
    night, body, kept = shown(gh)
    assert night.shards == ("1/2", "2/2") and night.counts["found"] == 7
    assert set(night.prs) == {"https://x/pull/7", "https://x/pull/8"}
    assert "shards 1/2, 2/2 of 2 reported" in body and kept == rules
    assert first.edits == 2  # it saw its numbers gone, added them again and wrote again
    assert len(gh.writes("PATCH", ISSUE_EDITS)) - before == 3


def test_a_shard_that_keeps_losing_gives_up_after_three_writes(gh: FakeGitHub) -> None:
    rules = with_a_rule(gh)
    other = page.night_summary(report((2, 2), [], 2), run_id="500")
    clobber = api(gh)

    class AlwaysRaced(Snapshot):
        edits = 0

        def edit_issue(self, number: int, **changes: Any) -> IssueInfo:
            info = self.inner.edit_issue(number, **changes)
            self.edits += 1
            board.update(clobber, record=lambda _: other)  # shard 2's stale write, each time
            return info

    first = AlwaysRaced(api(gh))
    with pytest.raises(board.ShardNotRecorded, match=r"may miss shard 1/2's numbers"):
        board.record_night(first, report((1, 2), [], 5), run_id="500")
    assert first.edits == board.RECORD_ATTEMPTS == 3
    night, _, kept = shown(gh)
    assert night.shards == ("2/2",) and kept == rules
