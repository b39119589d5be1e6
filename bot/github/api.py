"""What Nightcrew knows of GitHub: plain frozen values, ``ApiError``, and ``RepoApi`` (pure).

Everything above the adapter (``client``) sees these and nothing of PyGithub: a publisher,
the bot and the dashboard are written against ``RepoApi`` and tested against fakes of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.errors import NightcrewError

RETRY_STATUSES = (500, 502, 503, 504)  # answers worth another try, besides rate limits


@dataclass(frozen=True)
class PullInfo:
    number: int
    url: str  # the PR's page (html_url)
    state: str  # "open" | "closed"
    merged: bool
    title: str
    body: str
    head_ref: str
    head_sha: str
    head_repo: str | None  # full name of the head's repository (None: deleted fork)
    base_ref: str
    base_sha: str
    user: str | None = None
    draft: bool = False
    mergeable: bool | None = None  # only on a single PR; None while GitHub computes it
    mergeable_state: str | None = None
    closed_at: str | None = None  # when it was closed or merged (ISO 8601); None while open


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    message: str
    committed_at: datetime | None = None  # the committer date git recorded (None: not given)


@dataclass(frozen=True)
class CommentInfo:
    id: int
    body: str
    user: str | None
    user_is_bot: bool = False  # written by an app or bot account (Nightcrew's own replies)


@dataclass(frozen=True)
class Comparison:
    status: str  # "identical" | "ahead" | "behind" | "diverged"
    ahead_by: int
    behind_by: int
    commits: tuple[CommitInfo, ...]  # on head, not on base


@dataclass(frozen=True)
class IssueInfo:
    number: int
    url: str
    state: str
    title: str
    body: str
    labels: tuple[str, ...]
    is_pull: bool
    author: str | None = None
    author_is_bot: bool = False


@dataclass
class ApiError(NightcrewError):
    """A GitHub API call failed for good (after the retry layer), with what GitHub said."""

    status: int | None  # None: no answer at all (connection, timeout)
    message: str
    what: str = ""  # what Nightcrew was doing, e.g. "open a PR for nightcrew/x"
    retry_after: float | None = None  # seconds GitHub asks us to wait (rate limits)
    errors: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    # Set when the retry layer stopped because the night's wait budget could not cover
    # the next wait: the seconds it had left (None: retries ran out, or none were due).
    budget_left: float | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def rate_limited(self) -> bool:
        return self.retry_after is not None

    @property
    def transient(self) -> bool:
        """Worth another try: no answer, a 5xx, or a rate limit."""
        return self.status is None or self.status in RETRY_STATUSES or self.rate_limited

    @property
    def maybe_done(self) -> bool:
        """No answer, or a 5xx: GitHub may have carried out the request all the same."""
        return self.status is None or self.status >= 500

    @property
    def already_exists(self) -> bool:
        """422 "A pull request already exists" (or a label that already exists)."""
        if self.status != 422:
            return False
        texts = [self.message, *(str(e.get("message", "")) for e in self.errors)]
        codes = [str(e.get("code", "")) for e in self.errors]
        return "already_exists" in codes or any("already exists" in t.lower() for t in texts)

    def __str__(self) -> str:
        doing = f"could not {self.what}: " if self.what else ""
        status = f"GitHub answered {self.status}" if self.status else "no answer from GitHub"
        details = [self.message] if self.message else []
        for error in self.errors[:1]:  # 422s say what was wrong in ``errors``
            said = error.get("message") or " ".join(
                str(error[k]) for k in ("resource", "field", "code") if error.get(k)
            )
            details.append(str(said))
        detail = f" ({': '.join(details)})" if details else ""
        wait = f"; it asks to wait {self.retry_after:.0f}s" if self.retry_after is not None else ""
        return f"{doing}{status}{detail}{wait}"


class RepoApi(Protocol):
    """What Nightcrew asks of one repository on GitHub."""

    full_name: str

    @property
    def owner(self) -> str: ...
    @property
    def default_branch(self) -> str: ...
    def list_pulls(self, state: str = "all", head: str | None = None) -> list[PullInfo]: ...
    def get_pull(self, number: int) -> PullInfo: ...
    def pull_commits(self, number: int) -> list[CommitInfo]: ...
    def compare(self, base: str, head: str) -> Comparison: ...
    def create_pull(
        self, *, head: str, base: str, title: str, body: str, draft: bool
    ) -> PullInfo: ...
    def edit_pull(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> None: ...
    def comments(self, number: int) -> list[CommentInfo]: ...
    def create_comment(self, number: int, body: str) -> CommentInfo: ...
    def label_names(self) -> set[str]: ...
    def create_label(self, name: str, color: str, description: str) -> None: ...
    def add_labels(self, number: int, labels: Sequence[str]) -> None: ...
    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None: ...
    def add_assignees(self, number: int, assignees: Sequence[str]) -> None: ...
    def branches(self, prefix: str) -> dict[str, str]: ...
    def delete_branch(self, name: str) -> None: ...
