"""Comments are posted once: a lost answer never makes a reviewer read the same reply twice.

The real PyGithub talks HTTP to the fake GitHub; faults with ``after=True`` carry out the
request and then answer with the fault, as when a proxy's 502 hides a comment GitHub made.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import github
import pytest
from github import Auth

from bot.github.api import ApiError
from bot.github.client import GitHubRepo, _calls
from bot.github.pacing import Pacer
from tests.conftest import git
from tests.fakes.fixtures import NAME, OWNER, TOKEN, Hub, make_hub

COMMENTS = rf"/repos/{OWNER}/{NAME}/issues/\d+/comments"
BODY = "Done: `/nightcrew rebase` rebuilt this PR on `main`."


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    yield from make_hub(tmp_path, over_http=False)


@pytest.fixture
def api(hub: Hub) -> GitHubRepo:
    return hub.connection().repo(f"{OWNER}/{NAME}")


@pytest.fixture
def number(hub: Hub, api: GitHubRepo) -> int:
    """A PR to comment on."""
    git(hub.workspace, "checkout", "--quiet", "-b", "topic")
    (hub.workspace / "README.md").write_text("demo, changed\n", encoding="utf-8")
    git(hub.workspace, "commit", "--quiet", "-am", "change")
    git(hub.workspace, "push", "--quiet", "origin", "topic")
    git(hub.workspace, "checkout", "--quiet", "main")
    return api.create_pull(head="topic", base="main", title="t", body="b", draft=False).number


def comment_posts(hub: Hub) -> list[int]:
    """Statuses of the comment POSTs the fake received, in order."""
    return [r.status for r in hub.gh.writes("POST", COMMENTS)]


def comment_reads(hub: Hub) -> int:
    return sum(1 for r in hub.gh.requests if r.method == "GET" and r.path.endswith("/comments"))


def test_a_lost_answer_to_a_comment_leaves_exactly_one_comment(
    hub: Hub, api: GitHubRepo, number: int
) -> None:
    hub.gh.fail("POST", COMMENTS, 502, after=True)  # GitHub made it; the 502 hides that
    comment = api.create_comment(number, BODY)
    assert hub.gh.comments_on(number) == [BODY]
    made = hub.gh.comments[number][0]
    assert (comment.id, comment.body, comment.user) == (made["id"], BODY, hub.gh.login)
    assert comment_posts(hub) == [502]  # found by looking, not posted again
    assert comment_reads(hub) == 1


def test_a_comment_refused_before_it_was_made_is_posted_once_more(hub: Hub, number: int) -> None:
    now = [100.0]
    sleeps: list[float] = []
    pacer = Pacer(1.0, clock=lambda: now[0], sleep=sleeps.append)  # the clock stands still
    api = hub.connection(pacer=pacer).repo(f"{OWNER}/{NAME}")
    hub.gh.fail("POST", COMMENTS, 502)  # answered before anything was done
    comment = api.create_comment(number, BODY)
    assert hub.gh.comments_on(number) == [BODY]
    assert comment.id == hub.gh.comments[number][0]["id"]
    assert comment_posts(hub) == [502, 201]
    assert comment_reads(hub) == 1
    assert sleeps == [1.0]  # the second POST waited its turn in the Pacer


def test_two_failures_in_a_row_raise_and_post_nothing(
    hub: Hub, api: GitHubRepo, number: int
) -> None:
    hub.gh.fail("POST", COMMENTS, 503, times=10)  # more than urllib3 would try
    with pytest.raises(ApiError) as caught:
        api.create_comment(number, BODY)
    assert caught.value.status == 503 and not caught.value.rate_limited
    assert str(caught.value).startswith(f"could not comment on #{number}: GitHub answered 503")
    assert comment_posts(hub) == [503, 503]  # one POST, one look, one more POST: no more
    assert hub.gh.comments_on(number) == []


def test_a_lost_answer_then_a_refusal_raise_with_the_one_real_comment_kept(
    hub: Hub, api: GitHubRepo, number: int
) -> None:
    # The look-up finds nothing (the first POST really failed); the second POST is made but
    # its answer is lost too: the caller hears of a failure, and the PR has one comment.
    hub.gh.fail("POST", COMMENTS, 502)
    hub.gh.fail("POST", COMMENTS, 502, after=True)  # faults are taken in order
    with pytest.raises(ApiError) as caught:
        api.create_comment(number, BODY)
    assert caught.value.status == 502
    assert comment_posts(hub) == [502, 502]
    assert hub.gh.comments_on(number) == [BODY]


def test_a_timed_out_comment_is_found_not_posted_twice(hub: Hub, number: int) -> None:
    api = hub.connection(timeout=1).repo(f"{OWNER}/{NAME}")
    hub.gh.slow("POST", COMMENTS, 1.2)  # no answer in time; GitHub makes it after 1.2s
    hub.gh.slow("GET", COMMENTS, 0.8)  # the look-up reads after that
    comment = api.create_comment(number, BODY)
    assert hub.gh.comments_on(number) == [BODY]
    assert comment.id == hub.gh.comments[number][0]["id"]
    assert len(comment_posts(hub)) == 1


def test_an_identical_earlier_comment_is_not_taken_for_the_lost_one(
    hub: Hub, api: GitHubRepo, number: int
) -> None:
    first = api.create_comment(number, BODY)  # the same reply to the same command, earlier
    hub.gh.comments[number][0]["created_at"] = "2020-01-01T00:00:00Z"
    hub.gh.fail("POST", COMMENTS, 502)
    second = api.create_comment(number, BODY)
    assert hub.gh.comments_on(number) == [BODY, BODY]
    assert second.id != first.id and second.id == hub.gh.comments[number][1]["id"]
    assert comment_posts(hub) == [201, 502, 201]


def test_control_other_writes_retry_would_post_a_lost_comment_twice(hub: Hub, number: int) -> None:
    # A comment POST under the retry of every other write (a 5xx is tried again): the
    # repeat answers 201 and the fake shows the duplicate that ``create_comment`` avoids.
    connection = hub.connection()
    issue = pygithub(hub).get_repo(f"{OWNER}/{NAME}").get_issue(number)
    hub.gh.fail("POST", COMMENTS, 502, after=True)

    def post() -> None:
        with _calls("comment"):
            issue.create_comment(BODY)

    connection.retries.call(post)  # no error: the repeat answered 201
    assert comment_posts(hub) == [502, 201]
    assert hub.gh.comments_on(number) == [BODY, BODY]


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_rate_limit_on_a_comment_is_waited_out_then_posted_once(
    hub: Hub, api: GitHubRepo, number: int, status: int
) -> None:
    hub.gh.secondary_rate_limit("POST", COMMENTS, retry_after=42, status=status)
    api.create_comment(number, BODY)
    assert hub.waits == [42.0]  # GitHub's retry-after, honoured (and not slept for real)
    assert comment_posts(hub) == [status, 201]  # refused at once, so posted again
    assert comment_reads(hub) == 0
    assert hub.gh.comments_on(number) == [BODY]


def test_a_rate_limit_beyond_the_wait_budget_raises_rate_limited(
    hub: Hub, api: GitHubRepo, number: int
) -> None:
    hub.gh.primary_rate_limit("POST", COMMENTS, reset_in=3600)
    with pytest.raises(ApiError) as caught:
        api.create_comment(number, BODY)
    assert caught.value.rate_limited and caught.value.status == 403
    assert caught.value.budget_left == 600.0  # nothing was waited: the wait did not fit
    assert hub.waits == []
    assert comment_posts(hub) == [403]  # no look-up, no second POST
    assert comment_reads(hub) == 0
    assert hub.gh.comments_on(number) == []


def test_a_rate_limit_on_the_look_up_is_waited_out(hub: Hub, api: GitHubRepo, number: int) -> None:
    hub.gh.fail("POST", COMMENTS, 502, after=True)
    hub.gh.secondary_rate_limit("GET", COMMENTS, retry_after=42)
    comment = api.create_comment(number, BODY)
    assert comment.id == hub.gh.comments[number][0]["id"]
    assert hub.waits == [42.0]
    assert comment_posts(hub) == [502]
    assert hub.gh.comments_on(number) == [BODY]


def pygithub(hub: Hub) -> github.Github:
    """PyGithub without any retry of its own."""
    return github.Github(
        base_url=hub.gh.api_url,
        auth=Auth.Token(TOKEN),
        retry=0,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )
