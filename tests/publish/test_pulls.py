"""The GitHub publisher against the fake GitHub: real git pushes, PyGithub over HTTP.

Proposals are real commits made the way the night makes them; the workspace pushes over
the fake's smart-HTTP endpoint with the token, so auth is exercised on every push.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.dashboard import markers
from bot.github.pacing import Pacer
from bot.github.push import push
from bot.model import in_shard
from bot.publish.proposal import NotPublished, Proposal, Published
from bot.publish.pulls import GitHubPublisher, PublishLimits
from bot.publish.tidy import searched_recipes
from bot.recipes import explanations
from bot.report.document import NightReport
from bot.report.results import NoteKind, Reason
from tests.fakes.fixtures import IDENTITY, NAME, OWNER, RECIPE, TOKEN, Hub, make_hub, run_git

PULLS = r"/repos/octo-org/demo/pulls"
CREATE_ORDER = ("pkg/a.py", "pkg/b.py", "pkg/c.py")
WITH_FINDINGS = ("pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.py")  # files with a list([...])


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    """The workspace pushes over HTTP to the fake's git endpoint, with the token."""
    yield from make_hub(tmp_path)


@pytest.fixture
def local_hub(tmp_path: Path) -> Iterator[Hub]:
    """The same with origin a plain path: pushes race on the bare repository itself."""
    yield from make_hub(tmp_path, over_http=False)


def publish_all(publisher: GitHubPublisher, proposals: list[Proposal]) -> list[object]:
    """What the night does per finding: ask first, publish when allowed."""
    results: list[object] = []
    for p in proposals:
        reason = publisher.prior(p.recipe, p.finding, p.branch)
        results.append(reason if reason else publisher.publish(p))
    return results


def night_report(hub: Hub, proposals: list[Proposal], **changes: object) -> NightReport:
    report = NightReport(
        repo=str(hub.workspace),
        base=hub.base(),
        started_at="2026-01-01T03:00:00+00:00",
        recipes=[RECIPE.id],
        recipes_searched=[RECIPE.id],
        findings=[p.finding for p in proposals],
    )
    for key, value in changes.items():
        setattr(report, key, value)
    return report


def marker_of(pull: dict) -> markers.PullMarker | None:
    return markers.parse_pull(pull["body"])


def shard_of(path: str, count: int) -> tuple[int, int]:
    """The shard of ``count`` that searches ``path`` (as ``nightcrew run --shard`` splits files)."""
    (shard,) = [(i, count) for i in range(1, count + 1) if in_shard(path, (i, count))]
    return shard


def fixed_by_hand(hub: Hub, path: str) -> None:
    """A person fixes the finding in ``path`` on main: it is gone from the base."""
    text = (hub.workspace / path).read_text(encoding="utf-8")
    hub.advance_base(path, text.replace("list([", "[").replace("])", "]"), "fixed by hand")


def as_written_before_paths(hub: Hub, number: int) -> None:
    """Rewrite the PR's marker the way Nightcrew wrote it before markers named the file."""
    body = hub.gh.pull(number)["body"]
    marker = marker_of(hub.gh.pull(number))
    assert marker is not None and marker.path is not None
    old = markers.PullMarker(marker.fingerprint, marker.recipe).render()
    assert "path=" not in old
    hub.connection().repo(f"{OWNER}/{NAME}").edit_pull(
        number, body=body.replace(marker.render(), old)
    )
    assert marker_of(hub.gh.pull(number)) == markers.PullMarker(marker.fingerprint, marker.recipe)


def test_one_pr_per_fix_with_labels_marker_and_body(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in CREATE_ORDER]
    publisher = hub.publisher()
    results = publish_all(publisher, proposals)

    assert all(isinstance(r, Published) for r in results), results
    pulls = sorted(hub.gh.open_pulls(), key=lambda p: p["number"])
    assert [p["head"] for p in pulls] == [p.branch for p in proposals]
    for pull, proposal in zip(pulls, proposals, strict=True):
        assert pull["base"] == "main" and pull["draft"] is False
        assert pull["title"] == proposal.title
        assert pull["labels"] == ["nightcrew", "cleanup"]
        assert marker_of(pull) == markers.PullMarker(
            proposal.finding.fingerprint, RECIPE.id, path=proposal.finding.path
        )
        assert explanations.RUFF["C410"] in pull["body"]  # the rule's why, not the recipe's
        assert "3 tests, no new failures" in pull["body"]
        assert "`/nightcrew ignore`" in pull["body"]
        assert hub.gh.branch_sha(proposal.branch) == proposal.commit
    assert [r.url for r in results] == [f"{hub.gh.html_repo}/pull/{n}" for n in (1, 2, 3)]
    # Labels created once each, with Nightcrew's colour, before they were used.
    created = [r.json()["name"] for r in hub.gh.writes("POST", r"/repos/octo-org/demo/labels")]
    assert created == ["nightcrew", "cleanup"]
    assert hub.gh.labels["nightcrew"]["color"] == "5319e7"
    assert [a.kind for a in publisher.actions] == ["opened"] * 3
    assert publisher.published_urls() == [r.url for r in results]


def test_running_the_same_night_again_opens_nothing(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in CREATE_ORDER]
    publish_all(hub.publisher(), proposals)
    writes_before = len(hub.gh.writes())

    again = hub.publisher()
    skips = [again.prior(p.recipe, p.finding, p.branch) for p in proposals]
    assert [(s.reason, s.kind) for s in skips if s] == [
        (f"already open as #{n}", Reason.ALREADY_PROPOSED) for n in (1, 2, 3)
    ]
    # Even a publish without asking first does not duplicate: it is the same PR.
    assert len(hub.gh.pulls()) == 3
    assert len(hub.gh.writes()) == writes_before
    assert [a.kind for a in again.actions] == ["skipped"] * 3


def test_a_pr_closed_without_merging_means_ignored(hub: Hub) -> None:
    proposal = hub.proposal()
    publish_all(hub.publisher(), [proposal])
    hub.gh.close_pull(1)

    later = hub.publisher()
    skip = later.prior(proposal.recipe, proposal.finding, proposal.branch)
    assert skip == NotPublished("ignored: PR #1 was closed without merging", kind=Reason.IGNORED)
    forced = later.publish(hub.proposal())
    assert isinstance(forced, NotPublished) and forced.reason.startswith("ignored")
    assert len(hub.gh.pulls()) == 1 and hub.gh.pulls()[0]["state"] == "closed"


def test_a_branch_left_by_a_killed_run_is_repaired_not_duplicated(hub: Hub) -> None:
    proposal = hub.proposal()
    # The killed run got as far as the push.
    push(hub.workspace, proposal.commit, proposal.branch, expect=None, token=TOKEN)
    assert hub.gh.pulls() == []

    publisher = hub.publisher()
    assert publisher.prior(proposal.recipe, proposal.finding, proposal.branch) is None
    fresh = hub.proposal(run="tonight")  # tonight's own verified commit for the finding
    result = publisher.publish(fresh)
    assert isinstance(result, Published), result
    pulls = hub.gh.pulls()
    assert len(pulls) == 1 and pulls[0]["head"] == proposal.branch
    assert fresh.commit != proposal.commit
    assert hub.gh.branch_sha(proposal.branch) == fresh.commit
    assert [a.kind for a in publisher.actions] == ["repaired"]
    assert "interrupted run" in result.note


def test_a_failed_pr_creation_leaves_the_branch_and_the_next_night_repairs_it(hub: Hub) -> None:
    proposal = hub.proposal()
    hub.gh.fail("POST", PULLS, 502, times=10)  # more than the retry layer tries
    first = hub.publisher().publish(proposal)
    assert isinstance(first, NotPublished) and not first.stop
    assert "502" in first.reason and "next night" in first.reason
    assert hub.gh.branch_sha(proposal.branch) == proposal.commit and hub.gh.pulls() == []

    hub.gh.clear_faults()
    second = hub.publisher().publish(hub.proposal())
    assert isinstance(second, Published)
    assert len(hub.gh.pulls()) == 1


def test_a_lost_answer_to_create_pr_is_not_a_duplicate(hub: Hub) -> None:
    # GitHub creates the PR but the answer is lost; the retry then gets 422 "already exists".
    hub.gh.fail("POST", PULLS, 502, after=True)
    publisher = hub.publisher()
    result = publisher.publish(hub.proposal())
    assert isinstance(result, Published), result
    assert result.url == f"{hub.gh.html_repo}/pull/1"
    assert result.note == "opened #1"  # the PR is tonight's: it is labelled and counted
    statuses = [r.status for r in hub.gh.writes("POST", PULLS)]
    assert statuses == [502, 422]
    assert len(hub.gh.pulls()) == 1
    assert hub.gh.pull(1)["labels"] == ["nightcrew", "cleanup"]
    assert publisher.new_prs == 1 and [a.kind for a in publisher.actions] == ["opened"]


def test_server_errors_are_retried_and_nothing_is_lost(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in CREATE_ORDER]
    gh = hub.gh
    gh.fail("GET", PULLS, 500, times=2)
    gh.fail("GET", r"/repos/octo-org/demo/git/matching-refs/.*", 502)
    gh.fail("POST", PULLS, 502, times=2, skip=1)
    gh.fail("POST", r"/repos/octo-org/demo/labels", 500)
    gh.fail("POST", r"/repos/octo-org/demo/issues/\d+/labels", 502, skip=2)
    results = publish_all(hub.publisher(), proposals)

    assert all(isinstance(r, Published) and "not set" not in r.note for r in results), results
    pulls = gh.pulls()
    assert len(pulls) == 3 and {p["head"] for p in pulls} == {p.branch for p in proposals}
    assert all(p["labels"] == ["nightcrew", "cleanup"] for p in pulls)
    assert sum(1 for r in gh.requests if r.status >= 500) == 7


def test_slow_answers_time_out_and_are_retried(hub: Hub) -> None:
    hub.gh.slow("GET", PULLS, 2.5)
    publisher = hub.publisher(hub.connection(timeout=1))
    result = publisher.publish(hub.proposal())
    assert isinstance(result, Published)
    assert sum(1 for r in hub.gh.requests if r.method == "GET" and r.path == PULLS) == 2


def test_secondary_rate_limit_stops_cleanly_and_the_next_night_publishes_the_rest(
    hub: Hub,
) -> None:
    proposals = [hub.proposal(path) for path in CREATE_ORDER]
    # An hour is more than the night's wait budget (600s): it is not waited for at all.
    hub.gh.secondary_rate_limit("POST", PULLS, retry_after=3600, skip=1)
    publisher = hub.publisher()
    results = publish_all(publisher, proposals)

    assert isinstance(results[0], Published)
    assert isinstance(results[1], NotPublished) and results[1].stop
    assert "rate limit" in results[1].reason and "3600s" in results[1].reason
    assert results[2] == NotPublished(
        "not tried: GitHub's rate limit was reached, asked to wait 3600s, more than the 600s "
        "left of tonight's wait budget",
        kind=Reason.RATE_LIMITED,
    )
    assert hub.waits == []
    # Nothing more was sent after the limit: no retry, no labels, no comments.
    limited = next(i for i, r in enumerate(hub.gh.requests) if r.status == 403)
    assert [r for r in hub.gh.requests[limited + 1 :] if r.kind == "api"] == []
    report = night_report(hub, proposals)
    publisher.finish(report)
    assert any(
        n.kind is NoteKind.PUBLISHING_STOPPED and "publishing stopped early" in n.text
        for n in report.notes
    )
    assert len(hub.gh.pulls()) == 1

    hub.gh.clear_faults()
    tomorrow = hub.publisher()
    again = publish_all(tomorrow, [hub.proposal(path) for path in CREATE_ORDER])
    assert again[0] == NotPublished("already open as #1", kind=Reason.ALREADY_PROPOSED)
    assert [type(r) for r in again[1:]] == [Published, Published]
    assert [a.kind for a in tomorrow.actions] == ["skipped", "repaired", "opened"]
    assert len(hub.gh.pulls()) == 3


def test_primary_rate_limit_while_reading_stops_before_any_work(hub: Hub) -> None:
    proposal = hub.proposal()
    publish_all(hub.publisher(), [proposal])
    hub.gh.primary_rate_limit("GET", r"/repos/octo-org/demo/pulls/\d+/commits")
    publisher = hub.publisher()
    skip = publisher.prior(proposal.recipe, proposal.finding, proposal.branch)
    assert skip is not None and skip.reason.startswith("not tried: GitHub's rate limit")
    assert skip.kind is Reason.RATE_LIMITED and skip.kind.waits
    result = publisher.publish(hub.proposal("pkg/b.py"))
    assert isinstance(result, NotPublished) and result.stop


def test_a_human_commit_is_left_alone_with_one_comment(hub: Hub) -> None:
    proposal = hub.proposal()
    publish_all(hub.publisher(), [proposal])
    human = hub.push_as_human(proposal.branch, "pkg/a.py", "def a():\n    return [1, 2]  # mine\n")
    hub.advance_base("pkg/a.py", "def a():  # moved\n    return list([1, 2])\n")

    for _ in range(2):  # two nights
        publisher = hub.publisher()
        again = hub.proposal()
        skip = publisher.prior(again.recipe, again.finding, again.branch)
        assert skip == NotPublished("a person pushed to #1; left alone", kind=Reason.HUMAN_PUSHED)
        forced = publisher.publish(again)  # even if asked, it never pushes over a person
        assert isinstance(forced, NotPublished)
        publisher.finish(night_report(hub, []))  # the finding "gone": still not closed
    assert hub.gh.branch_sha(proposal.branch) == human
    assert hub.gh.pull(1)["state"] == "open"
    notices = [c for c in hub.gh.comments_on(1) if "<!-- nightcrew:notice=human-push" in c]
    assert len(notices) == 1 and "leaves this PR alone" in notices[0]


def test_a_conflicting_pr_is_rebuilt_on_the_new_base(hub: Hub) -> None:
    proposal = hub.proposal()
    publish_all(hub.publisher(), [proposal])
    # Someone edits the line next to the fix: the PR now conflicts, the finding remains.
    new_base = hub.advance_base("pkg/a.py", "def a(scale=1):\n    return list([1, 2])\n")
    assert hub.gh.pull(1)["head_sha"] == proposal.commit

    publisher = hub.publisher()
    rebuilt = hub.proposal()
    assert rebuilt.finding.fingerprint == proposal.finding.fingerprint
    assert publisher.prior(rebuilt.recipe, rebuilt.finding, rebuilt.branch) is None
    result = publisher.publish(rebuilt)

    assert isinstance(result, Published), result
    assert result.note == f"rebuilt #1 on {new_base[:10]} (it conflicted with the base branch)"
    assert hub.gh.branch_sha(proposal.branch) == rebuilt.commit
    assert len(hub.gh.pulls()) == 1
    comments = hub.gh.comments_on(1)
    assert len(comments) == 1 and f"Rebuilt on `main` at `{new_base[:10]}`" in comments[0]
    assert new_base[:10] in hub.gh.pull(1)["body"]
    assert hub.gh.writes("PATCH", r"/repos/octo-org/demo/pulls/1")


def test_a_finding_gone_closes_its_pr_deletes_its_branch_and_is_not_ignored(hub: Hub) -> None:
    kept, gone = hub.proposal("pkg/a.py"), hub.proposal("pkg/b.py")
    publish_all(hub.publisher(), [kept, gone])
    hub.advance_base("pkg/b.py", "def b():\n    return [3, 4]\n", "fixed by hand")

    publisher = hub.publisher()
    report = night_report(hub, [kept])
    publisher.finish(report)

    closed = hub.gh.pull(2)
    assert closed["state"] == "closed" and hub.gh.pull(1)["state"] == "open"
    assert hub.gh.branch_sha(gone.branch) is None
    assert hub.gh.branch_sha(kept.branch) == kept.commit
    (comment,) = hub.gh.comments_on(2)
    assert "no longer finds this on `main`" in comment
    assert markers.parse_pull(closed["body"]) == markers.PullMarker(
        gone.finding.fingerprint, RECIPE.id, closed="gone", path="pkg/b.py"
    )
    assert [a.kind for a in publisher.actions] == ["closed"]
    assert any(n.startswith("GitHub: closed (finding gone): #2") for n in map(str, report.notes))

    # Should the code come back, the finding is proposed again: Nightcrew closed it, not a person.
    tomorrow = hub.publisher()
    assert tomorrow.prior(gone.recipe, gone.finding, gone.branch) is None


def test_nothing_is_closed_for_a_recipe_that_did_not_search(hub: Hub) -> None:
    proposal = hub.proposal()
    publish_all(hub.publisher(), [proposal])
    failed = night_report(hub, [], recipes_searched=[])  # its finders crashed
    # The same in the shard of the PR's file: a crashed finder proves nothing gone.
    failed_shard = night_report(hub, [], recipes_searched=[], shard=shard_of("pkg/a.py", 3))
    other = night_report(hub, [], recipes=["another-recipe"], recipes_searched=["another-recipe"])
    for report in (failed, failed_shard, other):
        hub.publisher().finish(report)
    assert hub.gh.pull(1)["state"] == "open"
    assert searched_recipes(failed) == set()


def test_a_shard_closes_only_the_prs_of_its_own_files(hub: Hub) -> None:
    shard = (1, 2)
    mine = next(p for p in WITH_FINDINGS if in_shard(p, shard))
    theirs = next(p for p in WITH_FINDINGS if not in_shard(p, shard))
    gone, elsewhere = hub.proposal(mine), hub.proposal(theirs)
    publish_all(hub.publisher(), [gone, elsewhere])  # #1 for mine, #2 for theirs
    fixed_by_hand(hub, mine)

    # The shard searched only its files: neither finding is in its report.
    publisher = hub.publisher()
    report = night_report(hub, [], shard=shard)
    publisher.finish(report)

    closed = hub.gh.pull(1)
    assert closed["state"] == "closed" and hub.gh.branch_sha(gone.branch) is None
    assert marker_of(closed) == markers.PullMarker(
        gone.finding.fingerprint, RECIPE.id, closed="gone", path=mine
    )
    (comment,) = hub.gh.comments_on(1)
    assert "no longer finds this on `main`" in comment
    # Another shard's PR is not this shard's to judge: untouched, not even commented on.
    assert hub.gh.pull(2)["state"] == "open"
    assert hub.gh.branch_sha(elsewhere.branch) == elsewhere.commit
    assert hub.gh.comments_on(2) == []
    assert [(a.kind, a.number) for a in publisher.actions] == [("closed", 1)]
    assert any(n.startswith("GitHub: closed (finding gone): #1") for n in map(str, report.notes))
    assert not any("unsharded" in n for n in map(str, report.notes))  # it left nothing undecided

    # The shard that searches the other file still finds its finding and keeps its PR.
    other = hub.publisher()
    other.finish(night_report(hub, [elsewhere], shard=shard_of(theirs, 2)))
    assert hub.gh.pull(2)["state"] == "open"
    assert other.actions == []


@pytest.mark.parametrize("whole", [None, (1, 1)], ids=["unsharded", "one-shard-of-one"])
def test_a_pr_whose_marker_has_no_path_waits_for_an_unsharded_night(
    hub: Hub, whole: tuple[int, int] | None
) -> None:
    proposal = hub.proposal("pkg/c.py")
    publish_all(hub.publisher(), [proposal])
    as_written_before_paths(hub, 1)
    fixed_by_hand(hub, "pkg/c.py")

    notes = []
    for index in (1, 2):  # the shard of its file and the other: neither can tell
        publisher = hub.publisher()
        report = night_report(hub, [], shard=(index, 2))
        publisher.finish(report)
        assert hub.gh.pull(1)["state"] == "open"
        assert hub.gh.comments_on(1) == []
        assert publisher.actions == []
        notes += [n for n in map(str, report.notes) if n.startswith("GitHub:")]
    # Every shard says the same, so merge-reports shows it once.
    assert (
        notes
        == [
            "GitHub: a shard tidies only the PRs of its own files; 1 PR(s) opened before "
            "Nightcrew recorded the finding's file (#1) wait for an unsharded night"
        ]
        * 2
    )

    publisher = hub.publisher()
    report = night_report(hub, [], shard=whole)
    publisher.finish(report)
    closed = hub.gh.pull(1)
    assert closed["state"] == "closed" and hub.gh.branch_sha(proposal.branch) is None
    assert marker_of(closed) == markers.PullMarker(
        proposal.finding.fingerprint, RECIPE.id, closed="gone"
    )
    assert [(a.kind, a.number) for a in publisher.actions] == [("closed", 1)]
    assert not any("unsharded" in n for n in map(str, report.notes))


def test_an_abandoned_branch_whose_finding_is_gone_is_deleted(hub: Hub) -> None:
    proposal = hub.proposal("pkg/c.py")
    push(hub.workspace, proposal.commit, proposal.branch, expect=None, token=TOKEN)
    publisher = hub.publisher()
    publisher.finish(night_report(hub, []))
    assert hub.gh.branch_sha(proposal.branch) is None
    assert [a.kind for a in publisher.actions] == ["deleted"]


def test_a_shard_deletes_only_its_own_abandoned_branches(hub: Hub) -> None:
    proposal = hub.proposal("pkg/c.py")
    assert "\nNightcrew-Path: pkg/c.py\n" in run_git(
        hub.workspace, "log", "-1", "--format=%B", proposal.commit
    )
    push(hub.workspace, proposal.commit, proposal.branch, expect=None, token=TOKEN)
    (i, n) = shard_of("pkg/c.py", 2)
    other = night_report(hub, [], shard=(3 - i, n))
    hub.publisher().finish(other)
    assert hub.gh.branch_sha(proposal.branch) == proposal.commit  # not the other shard's
    publisher = hub.publisher()
    publisher.finish(night_report(hub, [], shard=(i, n)))
    assert hub.gh.branch_sha(proposal.branch) is None
    assert [a.kind for a in publisher.actions] == ["deleted"]


def test_a_shard_leaves_an_abandoned_branch_without_a_path_to_an_unsharded_night(
    hub: Hub,
) -> None:
    # Made before commits named their file: no shard can tell it is its own.
    proposal = hub.proposal("pkg/c.py")
    message = run_git(hub.workspace, "log", "-1", "--format=%B", proposal.commit)
    old_style = "".join(line for line in message.splitlines(True) if "Nightcrew-Path" not in line)
    tree = run_git(hub.workspace, "rev-parse", f"{proposal.commit}^{{tree}}").strip()
    name, email = IDENTITY
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}  # fmt: skip
    old = subprocess.run(
        ["git", "commit-tree", tree, "-p", proposal.base, "-m", old_style],
        cwd=hub.workspace, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    push(hub.workspace, old, proposal.branch, expect=None, token=TOKEN)
    publisher = hub.publisher()
    report = night_report(hub, [], shard=shard_of("pkg/c.py", 2))
    publisher.finish(report)
    assert hub.gh.branch_sha(proposal.branch) == old
    assert publisher.actions == []
    assert (
        "GitHub: a shard tidies only the PRs of its own files; 1 branch(es) without a PR "
        "wait for an unsharded night"
    ) in map(str, report.notes)
    hub.publisher().finish(night_report(hub, []))
    assert hub.gh.branch_sha(proposal.branch) is None


def test_two_runs_racing_on_one_finding_open_exactly_one_pr(hub: Hub) -> None:
    first, second = hub.publisher(), hub.publisher()  # both read GitHub before either pushed
    mine, theirs = hub.proposal(run="mine"), hub.proposal(run="theirs")
    assert mine.commit != theirs.commit
    assert first.prior(mine.recipe, mine.finding, mine.branch) is None
    assert second.prior(theirs.recipe, theirs.finding, theirs.branch) is None

    won = first.publish(mine)
    lost = second.publish(theirs)
    assert isinstance(won, Published)
    assert isinstance(lost, NotPublished) and not lost.stop
    assert lost.reason == "already open as #1 (published by another run)"
    assert len(hub.gh.pulls()) == 1 and hub.gh.branch_sha(mine.branch) == mine.commit


def test_two_runs_in_threads_open_exactly_one_pr(local_hub: Hub) -> None:
    hub = local_hub
    publishers = [hub.publisher(), hub.publisher(), hub.publisher()]
    proposals = [hub.proposal(run=str(i)) for i in range(len(publishers))]
    results: list[object] = [None] * len(publishers)
    start = threading.Barrier(len(publishers))

    def run(i: int) -> None:
        start.wait()
        results[i] = publishers[i].publish(proposals[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(publishers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [i for i, r in enumerate(results) if isinstance(r, Published)]
    assert len(winners) == 1, results  # the push lease lets exactly one run through
    losers = [r for i, r in enumerate(results) if i not in winners]
    assert all(isinstance(r, NotPublished) and not r.stop for r in losers), losers
    assert len(hub.gh.pulls()) == 1
    assert len(hub.gh.writes("POST", PULLS)) == 1
    assert hub.gh.branch_sha(proposals[0].branch) == proposals[winners[0]].commit


def test_limits_hold_new_and_open_prs(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in CREATE_ORDER]
    publisher = hub.publisher(limits=PublishLimits(max_new_prs=2))
    results = publish_all(publisher, proposals)
    assert [type(r) for r in results[:2]] == [Published, Published]
    assert results[2] == NotPublished(
        "waiting for a free slot (limit: 2 new PRs per night)", kind=Reason.OPEN_LIMIT
    )

    crowded = hub.publisher(limits=PublishLimits(max_open_prs=2))
    last = proposals[2]
    assert crowded.prior(last.recipe, last.finding, last.branch) == NotPublished(
        "waiting for a free slot (limit: 2 open Nightcrew PRs; 2 are open)", kind=Reason.OPEN_LIMIT
    )
    refused = crowded.publish(last)
    assert isinstance(refused, NotPublished) and "free slot" in refused.reason
    assert len(hub.gh.pulls()) == 2


def test_reviewers_assignees_and_draft(hub: Hub) -> None:
    publisher = hub.publisher(
        reviewers=["octocat"], assignees=["hubot", "not-a-member"], draft=True, labels=["bots"]
    )
    result = publisher.publish(hub.proposal())
    assert isinstance(result, Published) and result.note == "opened #1"
    pull = hub.gh.pull(1)
    assert pull["draft"] is True
    assert pull["reviewers"] == ["octocat"] and pull["assignees"] == ["hubot"]
    assert pull["labels"] == ["bots", "nightcrew", "cleanup"]


def test_a_refused_reviewer_is_a_note_not_a_failure(hub: Hub) -> None:
    result = hub.publisher(reviewers=["stranger"]).publish(hub.proposal())
    assert isinstance(result, Published)
    assert "reviewers not set" in result.note and "collaborators" in result.note
    assert hub.gh.pull(1)["state"] == "open"


def test_content_requests_are_spaced_one_at_a_time(hub: Hub) -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    pacer = Pacer(1.0, clock=lambda: now[0], sleep=sleep)
    publish_all(hub.publisher(hub.connection(pacer=pacer)), [hub.proposal(p) for p in CREATE_ORDER])
    writes = len(hub.gh.writes())
    assert writes == 3 + 2 + 3  # PRs, labels created, labels added
    assert sleeps == [1.0] * (writes - 1)


def test_a_push_refused_for_credentials_stops_without_leaking_the_token(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    publisher = hub.publisher(token="ghs_wrongTokenThatMustNotLeak0000000")
    result = publisher.publish(hub.proposal())
    assert isinstance(result, NotPublished) and result.stop
    assert "contents: write" in result.reason
    assert "ghs_wrongTokenThatMustNotLeak0000000" not in result.reason + caplog.text
    assert hub.gh.pulls() == []


def test_the_token_appears_nowhere(
    hub: Hub, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    proposals = [hub.proposal(path) for path in CREATE_ORDER]
    hub.gh.fail("POST", PULLS, 502, skip=1)
    publisher = hub.publisher()
    publish_all(publisher, proposals)
    hub.gh.close_pull(1)
    hub.advance_base("pkg/b.py", "def b():\n    return [3, 4]\n")
    report = night_report(hub, proposals[2:])
    hub.publisher().finish(report)

    out, err = capfd.readouterr()
    basic = "eC1hY2Nlc3MtdG9rZW46"  # base64 of "x-access-token:", the start of the header
    for text in (caplog.text, out, err, repr(report.to_json()), repr(publisher.actions)):
        assert TOKEN not in text
    for request in hub.gh.requests:
        assert TOKEN not in request.body and TOKEN not in request.path
        assert TOKEN not in repr(request.headers) and basic not in repr(request.headers)
    for pull in hub.gh.pulls():
        assert TOKEN not in pull["body"] and TOKEN not in pull["title"]
    for number in hub.gh.items:
        assert all(TOKEN not in c for c in hub.gh.comments_on(number))
    assert re.search(r"GET .*pulls", caplog.text)  # PyGithub did log its requests


def test_a_refused_write_stops_publishing_with_a_hint(hub: Hub) -> None:
    hub.gh.fail(
        "POST",
        PULLS,
        403,
        body={
            "message": "GitHub Actions is not permitted to create or approve pull requests.",
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        },
    )
    publisher = hub.publisher()
    result = publisher.publish(hub.proposal())
    assert isinstance(result, NotPublished) and result.stop
    assert "not permitted to create" in result.reason and "pull-requests: write" in result.reason
    later = hub.proposal("pkg/b.py")
    assert publisher.prior(later.recipe, later.finding, later.branch) == NotPublished(
        "not tried: GitHub refused a write", kind=Reason.PERMISSION_DENIED
    )
