"""The GitHub API adapter: the only module that imports PyGithub.

Everything above this module sees plain frozen values (``PullInfo``, ``CommitInfo``...) and
one exception, ``ApiError``. Retries: PyGithub's urllib3 ``Retry`` is the single retry
layer for API calls, on 5xx and dropped connections only; 403/429 rate limits are not
retried here but surface as ``ApiError.rate_limited`` so the publisher can stop cleanly.
That layer repeats POSTs too, except one: a comment is posted through a second client whose
``Retry`` never repeats a POST that may have reached GitHub, because a repeated comment is a
duplicate on the PR. When such a POST fails (5xx, or no answer), ``create_comment`` looks
for the comment among the PR's recent ones and posts once more only when it is not there.
Content-creating requests go one at a time through a ``Pacer`` (GitHub asks for at least a
second between them); PyGithub's own write throttle is off so the two do not add up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import github
import requests
from github import Auth, GithubException
from github.Commit import Commit
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from urllib3.util.retry import Retry

from bot.errors import NightcrewError

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = "nightcrew"
RETRY_STATUSES = (500, 502, 503, 504)
# POST is retried too, for the POSTs that are safe to repeat or whose repeat is detected: a
# repeated "create PR" or "create label" answers 422 "already exists", which the publisher
# reads; labels, reviewers, assignees and reactions are sets; a second dashboard issue made
# by a repeated "create issue" is merged into the first by the next update (review/board.py).
# Comments are none of these: ``create_comment`` uses ``retry_policy(repeat_posts=False)``.
RETRY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "POST"})
# How long before its POST a comment found by ``create_comment``'s look-up may have been
# created and still be the one whose answer was lost: created_at is in whole seconds, by
# GitHub's clock, which the runner's may be a little ahead of.
LOST_COMMENT_WINDOW = 60.0
_RATE_LIMIT_WORDS = ("rate limit", "abuse detection", "please wait a few minutes")


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


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    message: str


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

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def rate_limited(self) -> bool:
        return self.retry_after is not None

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


def rate_limit_wait(
    status: int | None,
    headers: Mapping[str, Any],
    message: str,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds GitHub asks us to wait when ``status`` is a rate limit, else None.

    Secondary limits send ``retry-after``; an exhausted primary limit sends
    ``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset`` (epoch seconds); without either
    GitHub's advice is to wait at least a minute.
    """
    if status not in (403, 429):
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after" in lower:
        return _retry_after_seconds(lower["retry-after"], now)
    if lower.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(lower.get("x-ratelimit-reset", "")) - now())
        except ValueError:
            return 60.0
    if status == 429 or any(w in message.lower() for w in _RATE_LIMIT_WORDS):
        return 60.0
    return None


def _retry_after_seconds(value: str, now: Callable[[], float]) -> float:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return 60.0


class Pacer:
    """Content-creating requests one at a time, at least ``interval`` seconds apart."""

    def __init__(
        self,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - self.clock()
                if wait > 0:
                    self.sleep(wait)
            try:
                yield
            finally:
                self._last = self.clock()


def retry_policy(total: int = 3, backoff: float = 1.0, *, repeat_posts: bool = True) -> Retry:
    """The one retry layer for API calls: 5xx and connection failures, exponential backoff.

    ``repeat_posts=False`` is the policy for comments: a POST is then repeated only when it
    surely never reached GitHub (the connection could not be made). urllib3 does not repeat
    a method outside ``allowed_methods`` on a 5xx or a read error (a timeout, a connection
    dropped after the request was sent), but does on "other" errors (an SSL error, which
    can come after the request was sent), hence ``other=0``.
    """
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=None if repeat_posts else 0,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=RETRY_METHODS if repeat_posts else RETRY_METHODS - {"POST"},
        # Rate limits stop publishing instead; a retry-after could also be hours long.
        respect_retry_after_header=False,
        # After the last retry, hand the response to PyGithub so it raises with GitHub's body.
        raise_on_status=False,
    )


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


class Connection:
    """An authenticated PyGithub client; ``repo()`` binds it to one repository.

    ``once`` is a second client for the same account whose retry policy never repeats a
    POST that may have reached GitHub (``retry_policy(repeat_posts=False)``): comments are
    posted through it.
    """

    def __init__(self, gh: github.Github, pacer: Pacer, once: github.Github) -> None:
        self._gh = gh
        self._once = once
        self.pacer = pacer

    def repo(self, full_name: str) -> GitHubRepo:
        return GitHubRepo(self._gh, full_name, self.pacer, once=self._once)

    def rate_limit(self) -> tuple[int, int]:
        """(remaining, limit) of the core REST budget."""
        with _calls("read the rate limit"):
            core = self._gh.get_rate_limit().resources.core
            return core.remaining, core.limit

    def close(self) -> None:
        self._gh.close()
        if self._once is not self._gh:
            self._once.close()


def connect(
    token: str,
    base_url: str = DEFAULT_API_URL,
    *,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: int = 30,
    pacer: Pacer | None = None,
    per_page: int = 100,
) -> Connection:
    """Log in to the API at ``base_url`` (``GITHUB_API_URL``; GitHub Enterprise Server too)."""
    auth = Auth.Token(token)

    def client(retry: Retry) -> github.Github:
        return github.Github(
            base_url=base_url.rstrip("/"),
            auth=auth,
            retry=retry,
            timeout=timeout,
            user_agent=USER_AGENT,
            per_page=per_page,
            seconds_between_requests=None,
            seconds_between_writes=None,  # the Pacer spaces writes, with an injectable clock
            lazy=True,  # no GET before every write: objects load only when read
        )

    return Connection(
        client(retry_policy(retries, backoff)),
        pacer or Pacer(),
        once=client(retry_policy(retries, backoff, repeat_posts=False)),
    )


class GitHubRepo:
    """``RepoApi`` over PyGithub's ``Repository``.

    ``once`` is the client whose POSTs are never repeated blindly (see ``Connection``);
    without it comments go through ``gh`` and its retry policy, like every other request.
    """

    def __init__(
        self,
        gh: github.Github,
        full_name: str,
        pacer: Pacer,
        *,
        once: github.Github | None = None,
    ) -> None:
        self.full_name = full_name
        self._repo = gh.get_repo(full_name)
        self._once_repo = once.get_repo(full_name) if once is not None else self._repo
        self._pacer = pacer

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def default_branch(self) -> str:
        with _calls(f"read repository {self.full_name}"):
            return self._repo.default_branch

    def list_pulls(self, state: str = "all", head: str | None = None) -> list[PullInfo]:
        with _calls(f"list pull requests of {self.full_name}"):
            if head is None:
                pulls = self._repo.get_pulls(state=state, sort="created", direction="desc")
            else:
                pulls = self._repo.get_pulls(state=state, head=head)
            return [_pull(p, full=False) for p in pulls]

    def get_pull(self, number: int) -> PullInfo:
        with _calls(f"read PR #{number}"):
            pull = self._repo.get_pull(number)
            pull.mergeable  # noqa: B018 - loads the full PR (lazy mode)
            return _pull(pull, full=True)

    def pull_commits(self, number: int) -> list[CommitInfo]:
        with _calls(f"list the commits of PR #{number}"):
            return [_commit(c) for c in self._repo.get_pull(number).get_commits()]

    def compare(self, base: str, head: str) -> Comparison:
        with _calls(f"compare {base[:12]}...{head[:12]}"):
            cmp = self._repo.compare(base, head)
            return Comparison(
                status=cmp.status,
                ahead_by=cmp.ahead_by,
                behind_by=cmp.behind_by,
                commits=tuple(_commit(c) for c in cmp.commits),
            )

    def create_pull(self, *, head: str, base: str, title: str, body: str, draft: bool) -> PullInfo:
        with _calls(f"open a PR for {head}"), self._pacer.write():
            pull = self._repo.create_pull(
                base=base,
                head=head,
                title=title,
                body=body,
                draft=draft,
                maintainer_can_modify=True,
            )
            return _pull(pull, full=True)

    def edit_pull(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        changes = {k: v for k, v in (("body", body), ("state", state)) if v is not None}
        with _calls(f"edit PR #{number}"), self._pacer.write():
            self._repo.get_pull(number).edit(**changes)

    def comments(self, number: int) -> list[CommentInfo]:
        with _calls(f"read the comments of #{number}"):
            return [_comment(c) for c in self._repo.get_issue(number).get_comments()]

    def create_comment(self, number: int, body: str) -> CommentInfo:
        """Post ``body`` on issue/PR ``number``, once, even when GitHub's answer is lost.

        The POST goes through the client that never repeats it blindly. When it fails with a
        5xx or no answer, GitHub may have created the comment all the same (a 502 from a
        proxy after the fact, a connection dropped after the request was sent): look for
        it, and post once more only when it is not there. A second failure raises as usual;
        rate limits and 4xx raise at once.
        """
        what = f"comment on #{number}"
        started = time.time()
        try:
            with _calls(what), self._pacer.write():
                return _comment(self._once_repo.get_issue(number).create_comment(body))
        except ApiError as exc:
            if not exc.maybe_done:
                raise
        with _calls(what):
            posted = self._lost_comment(number, body, started - LOST_COMMENT_WINDOW)
        if posted is not None:
            return posted
        with _calls(what), self._pacer.write():
            return _comment(self._once_repo.get_issue(number).create_comment(body))

    def _lost_comment(self, number: int, body: str, since: float) -> CommentInfo | None:
        """The newest comment on ``number`` with exactly ``body``, created after ``since``.

        Matched by body and time, not by author: the token's own login is not known cheaply
        (an installation token, the recommended kind, may not read ``GET /user``), and a
        person posting the very same text within the window is far less likely than the
        duplicate this prevents. The window keeps an identical earlier comment (the same
        reply to the same command yesterday) from being taken for the lost one.
        """
        found = None
        for comment in self._repo.get_issue(number).get_comments():
            created = comment.created_at
            if comment.body == body and created is not None and created.timestamp() >= since:
                found = comment
        return _comment(found) if found is not None else None

    def label_names(self) -> set[str]:
        with _calls(f"list the labels of {self.full_name}"):
            return {label.name for label in self._repo.get_labels()}

    def create_label(self, name: str, color: str, description: str) -> None:
        with _calls(f"create label {name!r}"), self._pacer.write():
            self._repo.create_label(name, color, description)

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        with _calls(f"label #{number}"), self._pacer.write():
            self._repo.get_issue(number).add_to_labels(*labels)

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        with _calls(f"request reviews on #{number}"), self._pacer.write():
            self._repo.get_pull(number).create_review_request(reviewers=list(reviewers))

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        with _calls(f"assign #{number}"), self._pacer.write():
            self._repo.get_issue(number).add_to_assignees(*assignees)

    def branches(self, prefix: str) -> dict[str, str]:
        """Branches whose name starts with ``prefix`` -> their head sha."""
        with _calls(f"list branches {prefix}*"):
            refs = self._repo.get_git_matching_refs(f"heads/{prefix}")
            return {r.ref.removeprefix("refs/heads/"): r.object.sha for r in refs}

    def delete_branch(self, name: str) -> None:
        with _calls(f"delete branch {name}"), self._pacer.write():
            self._repo.get_git_ref(f"heads/{name}").delete()

    # For the bot (PR commands) and the dashboard issue.

    def collaborator_permission(self, login: str) -> str:
        with _calls(f"read {login}'s permission"):
            return self._repo.get_collaborator_permission(login)

    def react(self, number: int, content: str, comment_id: int | None = None) -> None:
        """Add a reaction to issue/PR ``number``, or to one of its comments."""
        with _calls(f"react on #{number}"), self._pacer.write():
            issue = self._repo.get_issue(number)
            target = issue.get_comment(comment_id) if comment_id is not None else issue
            target.create_reaction(content)

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueInfo:
        with _calls("open an issue"), self._pacer.write():
            return _issue(self._repo.create_issue(title=title, body=body, labels=list(labels)))

    def list_issues(self, state: str = "open", labels: Sequence[str] = ()) -> list[IssueInfo]:
        with _calls(f"list issues of {self.full_name}"):
            if labels:
                issues = self._repo.get_issues(state=state, labels=list(labels))
            else:
                issues = self._repo.get_issues(state=state)
            return [_issue(i) for i in issues]

    def edit_issue(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> IssueInfo:
        changes = {k: v for k, v in (("body", body), ("state", state)) if v is not None}
        with _calls(f"edit issue #{number}"), self._pacer.write():
            issue = self._repo.get_issue(number)
            issue.edit(**changes)
            return _issue(issue)


@contextmanager
def _calls(what: str) -> Iterator[None]:
    """Turn PyGithub's and requests' exceptions into one ApiError that says what failed."""
    try:
        yield
    except GithubException as exc:
        data = exc.data if isinstance(exc.data, dict) else {}
        message = str(data.get("message") or exc.message or "")
        errors = tuple(e for e in data.get("errors") or () if isinstance(e, dict))
        headers = exc.headers or {}
        raise ApiError(
            exc.status, message, what, rate_limit_wait(exc.status, headers, message), errors
        ) from None
    except requests.RequestException as exc:
        raise ApiError(None, type(exc).__name__, what) from None


def _pull(p: PullRequest, *, full: bool) -> PullInfo:
    head, base = p.head, p.base
    return PullInfo(
        number=p.number,
        url=p.html_url,
        state=p.state,
        merged=p.merged_at is not None,
        title=p.title or "",
        body=p.body or "",
        head_ref=head.ref,
        head_sha=head.sha,
        head_repo=head.repo.full_name if head.repo is not None else None,
        base_ref=base.ref,
        base_sha=base.sha,
        user=p.user.login if p.user is not None else None,
        draft=bool(p.draft),
        mergeable=p.mergeable if full else None,
        mergeable_state=p.mergeable_state if full else None,
    )


def _commit(c: Commit) -> CommitInfo:
    git_commit = c.commit
    return CommitInfo(
        sha=c.sha,
        parents=tuple(parent.sha for parent in c.parents),
        author_name=git_commit.author.name or "",
        author_email=git_commit.author.email or "",
        committer_name=git_commit.committer.name or "",
        committer_email=git_commit.committer.email or "",
        message=git_commit.message or "",
    )


def _issue(i: Issue) -> IssueInfo:
    return IssueInfo(
        number=i.number,
        url=i.html_url,
        state=i.state,
        title=i.title or "",
        body=i.body or "",
        labels=tuple(label.name for label in i.labels),
        is_pull=i.pull_request is not None,
        author=i.user.login if i.user else None,
        author_is_bot=bool(i.user and i.user.type == "Bot"),
    )


def _comment(c: IssueComment) -> CommentInfo:
    return CommentInfo(
        c.id,
        c.body or "",
        c.user.login if c.user else None,
        bool(c.user and c.user.type == "Bot"),
    )
