"""Webhook payloads -> events: the real recorded payloads, adapted per case."""

from __future__ import annotations

import pytest

from bot.review.events import (
    EVENTS,
    Actor,
    CommentEvent,
    NotForNightcrew,
    PullEvent,
    ReviewEvent,
    parse_event,
)
from tests.fakes import webhooks


def test_a_comment_on_a_pull_request():
    payload = webhooks.comment("/nightcrew rebase", number=7, comment_id=99)
    assert parse_event("issue_comment", payload) == CommentEvent(
        action="created",
        repository="octo-org/demo",
        number=7,
        comment_id=99,
        body="/nightcrew rebase",
        author=Actor("octocat", "User"),
    )


def test_the_recorded_comment_is_on_an_issue_not_a_pull_request():
    event = parse_event("issue_comment", webhooks.recorded("issue_comment.created"))
    assert event == NotForNightcrew("#1 is an issue, not a pull request")


def test_an_edited_comment_keeps_its_former_text():
    payload = webhooks.comment(
        "/nightcrew explain", number=3, comment_id=5, action="edited", previous="/nightcrew x"
    )
    event = parse_event("issue_comment", payload)
    assert isinstance(event, CommentEvent)
    assert (event.action, event.previous_body, event.source) == (
        "edited",
        "/nightcrew x",
        "comment 5",
    )


def test_an_edit_by_someone_else_is_theirs():
    payload = webhooks.comment(
        "/nightcrew ignore", number=3, comment_id=5, action="edited", sender="reader"
    )
    event = parse_event("issue_comment", payload)
    assert isinstance(event, CommentEvent)
    assert (event.author, event.sender, event.actor) == (
        Actor("octocat"),
        Actor("reader"),
        Actor("reader"),
    )
    own = parse_event("issue_comment", webhooks.comment("x", number=3, comment_id=5))
    assert isinstance(own, CommentEvent) and own.sender is None and own.actor == Actor("octocat")


def test_the_recorded_edit():
    event = parse_event("issue_comment", webhooks.recorded("issue_comment.edited"))
    assert isinstance(event, NotForNightcrew)  # also on an issue in the recording


def test_a_review_with_a_body_and_one_without():
    event = parse_event("pull_request_review", webhooks.review("/nightcrew explain", number=2))
    assert event == ReviewEvent(
        repository="octo-org/demo",
        number=2,
        review_id=700,
        body="/nightcrew explain",
        author=Actor("octocat"),
        state="commented",
    )
    recorded = parse_event(
        "pull_request_review", webhooks.recorded("pull_request_review.submitted")
    )
    assert isinstance(recorded, ReviewEvent) and recorded.body == ""  # GitHub sent null


@pytest.mark.parametrize(
    ("action", "merged", "sender"),
    [
        pytest.param("closed", False, "octocat", id="closed-unmerged"),
        pytest.param("closed", True, "octocat", id="merged"),
        pytest.param("reopened", False, "hubot", id="reopened"),
    ],
)
def test_pull_requests_closed_and_reopened(action, merged, sender):
    payload = webhooks.pull(
        action, number=4, body="b", head_ref="nightcrew/x/y", merged=merged, sender=sender
    )
    assert parse_event("pull_request", payload) == PullEvent(
        action=action,
        repository="octo-org/demo",
        number=4,
        merged=merged,
        body="b",
        head_ref="nightcrew/x/y",
        head_repo="octo-org/demo",
        sender=Actor(sender),
    )


def test_the_recorded_close_is_not_merged():
    event = parse_event("pull_request", webhooks.recorded("pull_request.closed"))
    assert isinstance(event, PullEvent)
    assert (event.merged, event.head_ref, event.head_repo) == (
        False,
        "changes",
        "Codertocat/Hello-World",
    )


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        pytest.param("push", "push", "the `push` event is not for", id="push"),
        pytest.param(
            "workflow_dispatch", "workflow_dispatch", "`workflow_dispatch` event", id="dispatch"
        ),
        pytest.param("pull_request", "pull_request.opened", "action `opened`", id="opened"),
        pytest.param("pull_request", "pull_request.synchronize", "synchronize", id="sync"),
        pytest.param("issues", "issue_comment.created", "the `issues` event", id="issues"),
    ],
)
def test_events_that_are_not_for_nightcrew(name, payload, reason):
    source = (
        webhooks.recorded(payload)
        if payload != "pull_request.synchronize"
        else {**webhooks.recorded("pull_request.opened"), "action": "synchronize"}
    )
    event = parse_event(name, source)
    assert isinstance(event, NotForNightcrew) and reason in event.reason


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        pytest.param(
            "issue_comment",
            {**webhooks.comment("x", number=1, comment_id=2), "action": "deleted"},
            id="comment-deleted",
        ),
        pytest.param(
            "pull_request_review",
            webhooks.review("x", number=1, action="dismissed"),
            id="review-dismissed",
        ),
    ],
)
def test_other_actions_are_not_for_nightcrew(name, payload):
    event = parse_event(name, payload)
    assert isinstance(event, NotForNightcrew) and "handles only" in event.reason


def _without(payload: dict, *path: str) -> dict:
    target = payload
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return payload


@pytest.mark.parametrize(
    ("name", "payload", "what"),
    [
        pytest.param(
            "issue_comment",
            _without(webhooks.comment("x", number=1, comment_id=2), "comment", "id"),
            "comment.id",
            id="no-comment-id",
        ),
        pytest.param(
            "issue_comment",
            _without(webhooks.comment("x", number=1, comment_id=2), "repository"),
            "repository.full_name",
            id="no-repository",
        ),
        pytest.param(
            "pull_request_review",
            _without(webhooks.review("x", number=1), "review", "user"),
            "review.user",
            id="no-review-user",
        ),
        pytest.param(
            "pull_request",
            _without(
                webhooks.pull("closed", number=1, body="", head_ref="h"), "pull_request", "head"
            ),
            "head.ref",
            id="no-head",
        ),
    ],
)
def test_malformed_payloads_are_not_for_nightcrew(name, payload, what):
    event = parse_event(name, payload)
    assert isinstance(event, NotForNightcrew)
    assert "not usable" in event.reason and what in event.reason


@pytest.mark.parametrize(
    ("actor", "is_bot"),
    [
        (Actor("octocat", "User"), False),
        (Actor("renovate[bot]", "Bot"), True),
        (Actor("github-actions[bot]", "User"), True),
        (Actor("dependabot", "Bot"), True),
    ],
)
def test_bots(actor, is_bot):
    assert actor.is_bot is is_bot


def test_the_events_the_bot_handles():
    assert sorted(EVENTS) == ["issue_comment", "pull_request", "pull_request_review"]
