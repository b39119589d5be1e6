"""Publishing rides out transient faults within the night's wait budget, against the fake GitHub.

Real git pushes go over the fake's smart HTTP to a bare origin whose pre-receive hook can
refuse (the way GitHub's own hooks answer); PyGithub talks HTTP to the fake, whose faults
are shaped by the recorded traffic (a 502 "Server Error" from the load balancer, a 403
secondary rate limit with ``Retry-After``). The retry layer sleeps into ``Hub.waits``:
nothing waits for real, and the budget is what the tests read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.github.pacing import WaitBudget
from bot.publish.proposal import NotPublished, Proposal, Published
from bot.publish.pulls import PERMISSIONS_HINT, GitHubPublisher
from bot.report.results import NoteKind, Reason
from tests.fakes.fixtures import Hub, make_hub
from tests.publish.test_pulls import WITH_FINDINGS, night_report, publish_all

PULLS = r"/repos/octo-org/demo/pulls"
GH006 = "GH006: Protected branch update failed for refs/heads/nightcrew/*."


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    yield from make_hub(tmp_path)


def refusing_origin(hub: Hub, message: str, times: int = 1) -> Path:
    """origin's pre-receive hook refuses the next ``times`` pushes, saying ``message``."""
    counter = hub.origin.parent / "refusals"
    hook = hub.origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f"n=$(cat '{counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{counter}'\n"
        f'if [ "$n" -le {times} ]; then echo "{message}" >&2; exit 1; fi\n',
        encoding="utf-8",
    )
    hook.chmod(0o755)
    return counter


def one_pr_per_fix(hub: Hub, proposals: list[Proposal]) -> None:
    heads = [p["head"] for p in hub.gh.pulls()]
    assert sorted(heads) == sorted(p.branch for p in proposals)  # each exactly once
    assert all(p["state"] == "open" for p in hub.gh.pulls())


def stopped_notes(publisher: GitHubPublisher, proposals: list[Proposal], hub: Hub) -> list[str]:
    report = night_report(hub, proposals)
    publisher.finish(report)
    return [n.text for n in report.notes if n.kind is NoteKind.PUBLISHING_STOPPED]


def test_four_transient_faults_in_one_night_and_every_fix_has_exactly_one_pr(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in WITH_FINDINGS]
    refusals = refusing_origin(hub, "error: the remote is busy, please try again")
    gh = hub.gh
    # POSTs to /pulls, in order: a's is made but answered 502 and its repeat told "already
    # exists"; b's is refused with a plain 502, then made; c's meets a secondary rate limit.
    gh.fail("POST", PULLS, 502, after=True)
    gh.fail("POST", PULLS, 502, skip=1)
    gh.secondary_rate_limit("POST", PULLS, retry_after=1, skip=1)
    publisher = hub.publisher()
    results = publish_all(publisher, proposals)

    assert all(isinstance(r, Published) for r in results), results
    assert [r.note for r in results] == [f"opened #{n}" for n in (1, 2, 3, 4)]
    one_pr_per_fix(hub, proposals)
    assert refusals.read_text().strip() == str(len(proposals) + 1)  # a's push, tried again
    assert [r.status for r in gh.writes("POST", PULLS)] == [502, 422, 502, 201, 403, 201, 201]
    assert all(p["labels"] == ["nightcrew", "cleanup"] for p in gh.pulls())
    assert hub.waits == [1.0]  # GitHub's retry-after; the backoffs here are 0s
    assert stopped_notes(publisher, proposals, hub) == []
    assert publisher.summary() == "GitHub: opened: #1, #2, #3, #4"


def test_a_permanent_403_stops_publishing_and_says_so(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in WITH_FINDINGS[:3]]
    refused = {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        "status": "403",
    }
    hub.gh.fail("POST", PULLS, 403, skip=1, body=refused)
    publisher = hub.publisher()
    results = publish_all(publisher, proposals)

    assert isinstance(results[0], Published)
    first = results[1]
    assert isinstance(first, NotPublished) and first.stop
    assert first.kind is Reason.PERMISSION_DENIED
    assert "Resource not accessible by integration" in first.reason
    assert PERMISSIONS_HINT in first.reason
    assert results[2] == NotPublished(
        "not tried: GitHub refused a write", kind=Reason.PERMISSION_DENIED
    )
    assert [r.status for r in hub.gh.writes("POST", PULLS)] == [201, 403]  # not retried
    assert hub.waits == []
    notes = stopped_notes(publisher, proposals, hub)
    assert len(notes) == 1 and "GitHub refused a write" in notes[0]
    assert "stopped: " in publisher.summary()


def test_a_protected_branch_stops_publishing_without_retrying(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in WITH_FINDINGS[:2]]
    # GitHub says "try again" nowhere here, but a rule's refusal must win even if it did.
    refusals = refusing_origin(hub, f"error: {GH006} Please try again after review.", times=9)
    publisher = hub.publisher()
    results = publish_all(publisher, proposals)

    first = results[0]
    assert isinstance(first, NotPublished) and first.stop and first.kind is Reason.PUSH_REFUSED
    assert "GH006" in first.reason and "no rule protects nightcrew/* branches" in first.reason
    assert results[1] == NotPublished("not tried: git push was refused", kind=Reason.PUSH_REFUSED)
    assert refusals.read_text().strip() == "1"  # one push, not retried
    assert hub.gh.pulls() == []


def test_a_wait_beyond_what_is_left_of_the_budget_stops_and_the_next_night_finishes(
    hub: Hub,
) -> None:
    proposals = [hub.proposal(path) for path in WITH_FINDINGS[:3]]
    budget = WaitBudget(5.0, sleep=hub.waits.append)
    hub.gh.secondary_rate_limit("POST", PULLS, retry_after=3)  # a's: waited out (2s left)
    hub.gh.secondary_rate_limit("POST", PULLS, retry_after=3, skip=1)  # b's: 3s > 2s
    publisher = hub.publisher(hub.connection(budget=budget))
    results = publish_all(publisher, proposals)

    assert isinstance(results[0], Published)
    assert hub.waits == [3.0] and budget.left == 2.0
    stop = results[1]
    assert isinstance(stop, NotPublished) and stop.stop and stop.kind is Reason.RATE_LIMITED
    assert stop.reason == (
        "not published: GitHub's rate limit was reached, asked to wait 3s, more than the 2s "
        "left of tonight's wait budget"
    )
    assert isinstance(results[2], NotPublished) and results[2].kind is Reason.RATE_LIMITED
    notes = stopped_notes(publisher, proposals, hub)
    assert len(notes) == 1 and "wait budget" in notes[0] and "1 verified fix(es)" in notes[0]
    assert len(hub.gh.pulls()) == 1

    tomorrow = hub.publisher()  # a new night, a new budget
    again = publish_all(tomorrow, [hub.proposal(path, run="2") for path in WITH_FINDINGS[:3]])
    assert again[0] == NotPublished("already open as #1", kind=Reason.ALREADY_PROPOSED)
    assert [type(r) for r in again[1:]] == [Published, Published]
    assert [a.kind for a in tomorrow.actions] == ["skipped", "repaired", "opened"]
    one_pr_per_fix(hub, proposals)


def test_a_push_that_keeps_failing_spends_the_budget_then_stops(hub: Hub) -> None:
    proposals = [hub.proposal(path) for path in WITH_FINDINGS[:2]]
    refusals = refusing_origin(hub, "remote: Internal Server Error, try again", times=99)
    budget = WaitBudget(2.5, sleep=hub.waits.append)
    publisher = hub.publisher(hub.connection(budget=budget), push_backoff=1.0)
    results = publish_all(publisher, proposals)

    assert hub.waits == [1.0]  # the next wait, 2s, did not fit in the 1.5s left
    assert refusals.read_text().strip() == "2"
    stop = results[0]
    assert isinstance(stop, NotPublished) and stop.stop
    assert stop.kind is Reason.PUBLISHING_STOPPED and stop.kind.waits
    assert stop.reason.startswith("not published: tonight's wait budget was spent")
    assert results[1] == NotPublished(
        "not tried: tonight's wait budget was spent waiting out GitHub's faults (1.5s "
        "left, not enough for the next wait)",
        kind=Reason.PUBLISHING_STOPPED,
    )
    assert "try again" in next(a.reason for a in publisher.actions if a.kind == "stopped")

    (hub.origin / "hooks" / "pre-receive").unlink()
    again = publish_all(
        hub.publisher(), [hub.proposal(path, run="2") for path in WITH_FINDINGS[:2]]
    )
    assert all(isinstance(r, Published) for r in again), again
    one_pr_per_fix(hub, proposals)
