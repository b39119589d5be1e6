"""The dashboard issue on the fake GitHub: shards of one workflow run recording their night."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.dashboard import board, last_night, page, reading
from bot.dashboard.last_night import NightSummary
from bot.dashboard.rules import IgnoreRules, Rule
from bot.github.api import IssueInfo
from bot.github.client import connect
from bot.github.pacing import Pacer
from tests.conftest import git
from tests.dashboard.samples import FP, FP2, OLD_NIGHT, rejection
from tests.fakes.github import FakeGitHub

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
    parsed = reading.parse(body)
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


def test_rejections_carry_from_night_to_night_and_shards_add_theirs(gh: FakeGitHub) -> None:
    with_a_rule(gh)
    first = report((1, 2)) | {"rejections_remembered": [rejection(FP).to_json()]}
    second = report((2, 2)) | {"rejections_remembered": [rejection(FP2).to_json()]}
    board.record_night(api(gh), first, run_id="500")
    board.record_night(api(gh), second, run_id="500")
    assert {r.fingerprint for r in board.load(api(gh)).rejections} == {FP, FP2}
    # A rules change (the bot's `/nightcrew ignore`) keeps them.
    board.update(api(gh), lambda rules: rules.add(Rule("recipe", "modern-syntax")))
    assert len(board.load(api(gh)).rejections) == 2
    assert "## Rejected earlier" in only_dashboard(gh)["body"]
    # A later night tried FP again (the code changed) and it passed: forgotten.
    board.record_night(api(gh), report(None) | {"rejections_forgotten": [FP]}, run_id="501")
    assert [r.fingerprint for r in board.load(api(gh)).rejections] == [FP2]
    # A night that knows nothing of rejections (an older report) leaves them alone.
    board.record_night(api(gh), report(None), run_id="502")
    assert [r.fingerprint for r in board.load(api(gh)).rejections] == [FP2]


def test_the_dashboard_keeps_the_newest_rejections(gh: FakeGitHub) -> None:
    many = [
        rejection(f"{i:064x}", at=f"2026-01-{1 + i % 28:02d}T00:00:{i % 60:02d}+00:00").to_json()
        for i in range(board.MAX_REJECTIONS + 5)
    ]
    board.record_night(api(gh), report(None) | {"rejections_remembered": many})
    kept = board.load(api(gh)).rejections
    assert len(kept) == board.MAX_REJECTIONS
    assert len(only_dashboard(gh)["body"]) <= page.BODY_LIMIT
    newest = sorted(many, key=lambda r: (r["at"], r["fingerprint"]), reverse=True)
    assert [r.fingerprint for r in kept] == [r["fingerprint"] for r in newest][: len(kept)]


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
    other = last_night.night_summary(report((2, 2), [], 2), run_id="500")
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
