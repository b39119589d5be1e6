"""A night's summary from its report, and the shards of one workflow run adding up."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.dashboard import last_night, page, reading
from bot.dashboard.last_night import Waiting
from bot.dashboard.page import Dashboard
from bot.publish.quota import Quota
from tests.dashboard.samples import shard_night


def test_night_summary_from_a_report():
    report = {
        "started_at": "2026-01-02T03:00:00+00:00",
        "base": "b" * 40,
        "recipes": ["unused-imports"],
        "summary": {"found": 4, "verified": 2, "rejected": 1, "skipped": 1, "errored": 0},
        "prs": ["https://x/pull/1"],
        "fixes": [
            {
                "status": "verified",
                "recipe": "u",
                "path": "a.py",
                "line": 1,
                "reason": "ok",
                "reason_kind": "published",
            },
            {
                "status": "skipped",
                "recipe": "u",
                "path": "b.py",
                "line": 2,
                "reason": "night limit reached (1 verified fixes); a later night will try it",
                "reason_kind": "night-limit",
            },
            {
                "status": "verified",
                "recipe": "u",
                "path": "c.py",
                "line": 3,
                "reason": "ok; not published: publishing stopped: GitHub's rate limit was reached",
                "reason_kind": "publishing-stopped",
            },
            {
                "status": "skipped",
                "recipe": "u",
                "path": "d.py",
                "line": 4,
                "reason": "ignored",
                "reason_kind": "ignored",
            },
            # The kind decides, never the words: a rejection that mentions a limit waits for
            # nothing, and a report from before kinds has no waiting fixes.
            {
                "status": "rejected",
                "recipe": "u",
                "path": "e.py",
                "line": 5,
                "reason": "the diff guard's limit of 80 changed lines",
                "reason_kind": "guard",
            },
            {"status": "skipped", "recipe": "u", "path": "f.py", "line": 6, "reason": "limit"},
        ],
    }
    night = last_night.night_summary(report)
    assert night.counts["published"] == 1 and night.counts["found"] == 4
    assert [(w.path, w.line) for w in night.waiting] == [("b.py", 2), ("c.py", 3)]
    assert reading.parse(page.render(Dashboard(night=night))).night == night


def test_night_summary_records_the_run_and_the_shard():
    report = {"started_at": "x", "base": "b" * 40, "summary": {"found": 1}, "shard": [2, 4]}
    night = last_night.night_summary(report, run_id=" 42 ", run_attempt=3)
    assert (night.run_id, night.run_attempt, night.shards) == ("42", 3, ("2/4",))
    report["shard"] = None
    night = last_night.night_summary(report)
    assert (night.run_id, night.run_attempt, night.shards) == ("", 0, ())


def test_shards_of_one_run_add_up():
    slot = Waiting("unused-imports", "a.py", 1, "waiting for a free slot")
    first = shard_night(
        "3/4", found=2, prs=["https://x/pull/1"], waiting=[slot], started_at="2026-01-03T03:05:00Z"
    )
    second = shard_night(
        "1/4",
        found=5,
        prs=["https://x/pull/2", "https://x/pull/1"],
        recipes=("modern-syntax", "unused-imports"),
        waiting=[slot, Waiting("modern-syntax", "b.py", 2, "limit")],
        started_at="2026-01-03T04:00:00+01:00",  # 03:00 UTC: the earlier one
    )
    night = last_night.add_night(last_night.add_night(None, first), second)
    assert night.counts == {"found": 7, "published": 3}
    assert night.prs == ("https://x/pull/1", "https://x/pull/2")
    assert night.recipes == ("unused-imports", "modern-syntax")
    assert [w.path for w in night.waiting] == ["a.py", "b.py"]
    assert night.started_at == "2026-01-03T04:00:00+01:00"
    assert night.shards == ("1/4", "3/4") and (night.run_id, night.run_attempt) == ("77", 1)
    assert last_night.add_night(night, second) == night  # a shard is never counted twice


@pytest.mark.parametrize(
    "new",
    [
        shard_night("2/4", run="78"),  # a new run
        shard_night("2/4", attempt=2),  # a re-run: a new attempt
        shard_night(None),  # an unsharded night
        shard_night("2/4", run=""),  # a shard of a run that is not known
    ],
    ids=["new-run", "new-attempt", "unsharded", "unknown-run"],
)
def test_anything_else_replaces_the_summary(new):
    assert last_night.add_night(shard_night("1/4"), new) == new


def test_an_unsharded_summary_is_replaced_even_by_a_shard_of_its_run():
    new = shard_night("1/4")
    assert last_night.add_night(shard_night(None), new) == new


def test_quotas_come_from_the_report_once_per_recipe_and_shards_join_them():
    lowered = Quota("unused-imports", 5, merged=1, closed=3)
    report = {
        "started_at": "2026-01-02T03:00:00+00:00",
        "fixes": [],
        "quotas": [
            lowered.to_json(),
            {"recipe": "broken", "merged": "many"},  # edited by hand: dropped
            Quota("unused-imports", 5).to_json(),  # a second one for the recipe: the first wins
            "not a quota",
        ],
    }
    night = last_night.night_summary(report)
    assert night.quotas == (lowered,)
    assert last_night.from_json(last_night.to_json(night)) == night
    other = Quota("modern-syntax", 3, closed=1)
    first = replace(shard_night("1/4"), quotas=(lowered,))
    second = replace(shard_night("2/4"), quotas=(Quota("unused-imports", 5), other))
    assert last_night.add_night(first, second).quotas == (lowered, other)
    assert last_night.from_json({"quotas": {"not": "a list"}}).quotas == ()
