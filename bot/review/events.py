"""Webhook payloads -> typed events the review bot acts on. Pure.

``parse_event(name, payload)`` reads only the fields Nightcrew needs, checking each one's
type, and answers ``NotForNightcrew(reason)`` for everything it does not handle (other
events and actions, comments on issues, malformed payloads): the bot then exits 0 with
that one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Events (and their actions) the bot handles; anything else is not for Nightcrew.
HANDLED: Mapping[str, frozenset[str]] = {
    "issue_comment": frozenset({"created", "edited"}),
    "pull_request_review": frozenset({"submitted"}),
    "pull_request": frozenset({"closed", "reopened"}),
}
EVENTS = frozenset(HANDLED)


@dataclass(frozen=True)
class Actor:
    """Who did it: a login and GitHub's account type (``User``, ``Bot``, ``Organization``)."""

    login: str
    kind: str = "User"

    @property
    def is_bot(self) -> bool:
        return self.kind == "Bot" or self.login.endswith("[bot]")


@dataclass(frozen=True)
class CommentEvent:
    """A comment created or edited on a pull request (``issue_comment``)."""

    action: str  # "created" | "edited"
    repository: str
    number: int
    comment_id: int
    body: str
    author: Actor
    previous_body: str | None = None  # an edit's former text, when GitHub sends it
    sender: Actor | None = None  # who made this event, when not the author (an edit)

    @property
    def source(self) -> str:
        return f"comment {self.comment_id}"

    @property
    def actor(self) -> Actor:
        """Who is asking: whoever created or last edited the comment."""
        return self.sender or self.author


@dataclass(frozen=True)
class ReviewEvent:
    """A pull request review submitted with a body (``pull_request_review``)."""

    repository: str
    number: int
    review_id: int
    body: str
    author: Actor
    state: str  # "commented" | "approved" | "changes_requested"

    @property
    def source(self) -> str:
        return f"review {self.review_id}"

    @property
    def actor(self) -> Actor:
        return self.author


@dataclass(frozen=True)
class PullEvent:
    """A pull request closed (merged or not) or reopened (``pull_request``)."""

    action: str  # "closed" | "reopened"
    repository: str
    number: int
    merged: bool
    body: str
    head_ref: str
    head_repo: str | None  # None: the head repository was deleted
    sender: Actor


@dataclass(frozen=True)
class NotForNightcrew:
    reason: str


Event = CommentEvent | ReviewEvent | PullEvent | NotForNightcrew
CommandEvent = CommentEvent | ReviewEvent


class _Malformed(Exception):
    """A field the event needs is missing or of the wrong type."""


def parse_event(name: str, payload: Mapping[str, Any]) -> Event:
    """The event GitHub sent, or why it is not one the bot handles."""
    actions = HANDLED.get(name)
    if actions is None:
        return NotForNightcrew(f"the `{name}` event is not for Nightcrew's review bot")
    action = payload.get("action")
    if action not in actions:
        wanted = " or ".join(sorted(actions))
        return NotForNightcrew(f"`{name}` with action `{action}`: the bot handles only {wanted}")
    try:
        if name == "issue_comment":
            return _comment(str(action), payload)
        if name == "pull_request_review":
            return _review(payload)
        return _pull(str(action), payload)
    except _Malformed as exc:
        return NotForNightcrew(f"the `{name}` payload is not usable: {exc}")


def _comment(action: str, payload: Mapping[str, Any]) -> Event:
    issue = _mapping(payload, "issue")
    number = _int(issue, "number", "issue")
    if not isinstance(issue.get("pull_request"), Mapping):
        return NotForNightcrew(f"#{number} is an issue, not a pull request")
    comment = _mapping(payload, "comment")
    changes = payload.get("changes")
    previous = None
    if isinstance(changes, Mapping) and isinstance(changes.get("body"), Mapping):
        before = changes["body"].get("from")
        previous = before if isinstance(before, str) else None
    author = _actor(comment.get("user"), "comment.user")
    sender = _actor(payload["sender"], "sender") if "sender" in payload else author
    return CommentEvent(
        action=action,
        repository=_repository(payload),
        number=number,
        comment_id=_int(comment, "id", "comment"),
        body=_text(comment, "body"),
        author=author,
        previous_body=previous,
        sender=None if sender == author else sender,
    )


def _review(payload: Mapping[str, Any]) -> Event:
    review = _mapping(payload, "review")
    pull = _mapping(payload, "pull_request")
    return ReviewEvent(
        repository=_repository(payload),
        number=_int(pull, "number", "pull_request"),
        review_id=_int(review, "id", "review"),
        body=_text(review, "body"),
        author=_actor(review.get("user"), "review.user"),
        state=str(review.get("state") or ""),
    )


def _pull(action: str, payload: Mapping[str, Any]) -> Event:
    pull = _mapping(payload, "pull_request")
    head = pull.get("head")
    if not isinstance(head, Mapping) or not isinstance(head.get("ref"), str):
        raise _Malformed("pull_request.head.ref is missing")
    head_repo = head.get("repo")
    full_name = head_repo.get("full_name") if isinstance(head_repo, Mapping) else None
    return PullEvent(
        action=action,
        repository=_repository(payload),
        number=_int(pull, "number", "pull_request"),
        merged=pull.get("merged") is True or bool(pull.get("merged_at")),
        body=_text(pull, "body"),
        head_ref=head["ref"],
        head_repo=full_name if isinstance(full_name, str) else None,
        sender=_actor(payload.get("sender"), "sender"),
    )


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise _Malformed(f"{key} is missing")
    return value


def _int(data: Mapping[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"{where}.{key} is not a number")
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""  # GitHub sends null for an empty body


def _actor(value: object, where: str) -> Actor:
    if not isinstance(value, Mapping) or not isinstance(value.get("login"), str):
        raise _Malformed(f"{where}.login is missing")
    kind = value.get("type")
    return Actor(value["login"], kind if isinstance(kind, str) else "User")


def _repository(payload: Mapping[str, Any]) -> str:
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, Mapping) else None
    if not isinstance(name, str) or "/" not in name:
        raise _Malformed("repository.full_name is missing")
    return name
