"""The GitHub API adapter: the only module that imports PyGithub.

Everything above this module sees the plain values of ``api`` (``PullInfo``,
``CommitInfo``...) and one exception, ``ApiError``. Every call goes through one retry layer,
``pacing.retrying`` (tenacity), with the night's ``WaitBudget``; PyGithub's own retry and
write throttle are off, so that nothing retries twice and the ``Pacer`` alone spaces writes.
A repeated request is safe or its repeat is detected: a repeated "create PR" or "create
label" answers 422 "already exists", which the publisher reads; labels, reviewers,
assignees and reactions are sets; a second dashboard issue made by a repeated "create
issue" is merged into the first by the next update (dashboard/board.py). Comments are none
of these: their POST is repeated only after a rate limit (GitHub did nothing then). When it
fails with a 5xx or no answer, ``create_comment`` looks for the comment among the PR's
recent ones and posts once more only when it is not there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import github
import requests
from github import Auth, GithubException
from github.Commit import Commit
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest

from bot.github.api import ApiError, CommentInfo, CommitInfo, Comparison, IssueInfo, PullInfo
from bot.github.pacing import Pacer, Retries, WaitBudget, rate_limit_wait

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = "nightcrew"
# How long before its POST a comment found by ``create_comment``'s look-up may have been
# created and still be the one whose answer was lost: created_at is in whole seconds, by
# GitHub's clock, which the runner's may be a little ahead of.
LOST_COMMENT_WINDOW = 60.0
_VIEWER = "query { viewer { login } }"

T = TypeVar("T")


class Connection:
    """An authenticated PyGithub client; ``repo()`` binds it to one repository."""

    def __init__(self, gh: github.Github, pacer: Pacer, retries: Retries) -> None:
        self._gh = gh
        self.pacer = pacer
        self.retries = retries

    @property
    def budget(self) -> WaitBudget:
        """The night's wait budget, shared by the API calls and git pushes."""
        return self.retries.budget

    def repo(self, full_name: str) -> GitHubRepo:
        return GitHubRepo(self._gh, full_name, self.pacer, self.retries)

    def rate_limit(self) -> tuple[int, int]:
        """(remaining, limit) of the core REST budget."""

        def read() -> tuple[int, int]:
            core = self._gh.get_rate_limit().resources.core
            return core.remaining, core.limit

        return self.retries.call(lambda: _converted("read the rate limit", read))

    def close(self) -> None:
        self._gh.close()


def connect(
    token: str,
    base_url: str = DEFAULT_API_URL,
    *,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: int = 30,
    pacer: Pacer | None = None,
    per_page: int = 100,
    budget: WaitBudget | None = None,
) -> Connection:
    """Log in to the API at ``base_url`` (``GITHUB_API_URL``; GitHub Enterprise Server too).

    ``retries``: tries after the first; ``budget``: the night's seconds of waiting
    (default ``pacing.DEFAULT_WAIT_BUDGET``).
    """
    gh = github.Github(
        base_url=base_url.rstrip("/"),
        auth=Auth.Token(token),
        retry=0,  # ``Retries`` is the one retry layer
        timeout=timeout,
        user_agent=USER_AGENT,
        per_page=per_page,
        seconds_between_requests=None,
        seconds_between_writes=None,  # the Pacer spaces writes, with an injectable clock
        lazy=True,  # no GET before every write: objects load only when read
    )
    return Connection(gh, pacer or Pacer(), Retries(budget or WaitBudget(), retries + 1, backoff))


class GitHubRepo:
    """``RepoApi`` over PyGithub's ``Repository``, every call through ``retries``."""

    def __init__(
        self, gh: github.Github, full_name: str, pacer: Pacer, retries: Retries | None = None
    ) -> None:
        self.full_name = full_name
        self._gh = gh
        self._own_login: str | None = None
        self._repo = gh.get_repo(full_name)
        self._pacer = pacer
        self._retries = retries or Retries()

    def _read(self, what: str, fn: Callable[[], T]) -> T:
        return self._retries.call(lambda: _converted(what, fn))

    def _write(self, what: str, fn: Callable[[], T], *, unsure: bool = True) -> T:
        def paced() -> T:
            with _calls(what), self._pacer.write():
                return fn()

        return self._retries.call(paced, unsure=unsure)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def default_branch(self) -> str:
        return self._read(f"read repository {self.full_name}", lambda: self._repo.default_branch)

    def own_login(self) -> str:
        """The login this token posts as (read once): who Nightcrew's comments are by.

        ``GET /user`` answers for a person's or a machine user's token; an App's
        installation token (``GITHUB_TOKEN`` is one too) may not read it (403), and for
        those GraphQL's ``viewer`` is the App's bot account, ``<app-slug>[bot]``.
        """
        if self._own_login is None:
            what = "read which account the token posts as"

            def read() -> object:
                try:
                    return self._gh.get_user().login
                except GithubException as exc:
                    if exc.status != 403:
                        raise
                    _, data = self._gh.requester.graphql_query(_VIEWER, {})
                    viewer = (data.get("data") or {}).get("viewer") or {}
                    return viewer.get("login") if isinstance(viewer, dict) else None

            login = self._read(what, read)
            if not isinstance(login, str) or not login:
                raise ApiError(200, "the answer names no login", what)
            self._own_login = login
        return self._own_login

    def list_pulls(self, state: str = "all", head: str | None = None) -> list[PullInfo]:
        def read() -> list[PullInfo]:
            if head is None:
                pulls = self._repo.get_pulls(state=state, sort="created", direction="desc")
            else:
                pulls = self._repo.get_pulls(state=state, head=head)
            return [_pull(p, full=False) for p in pulls]

        return self._read(f"list pull requests of {self.full_name}", read)

    def get_pull(self, number: int) -> PullInfo:
        def read() -> PullInfo:
            pull = self._repo.get_pull(number)
            pull.mergeable  # noqa: B018 - loads the full PR (lazy mode)
            return _pull(pull, full=True)

        return self._read(f"read PR #{number}", read)

    def pull_commits(self, number: int) -> list[CommitInfo]:
        return self._read(
            f"list the commits of PR #{number}",
            lambda: [_commit(c) for c in self._repo.get_pull(number).get_commits()],
        )

    def compare(self, base: str, head: str) -> Comparison:
        def read() -> Comparison:
            cmp = self._repo.compare(base, head)
            return Comparison(
                status=cmp.status,
                ahead_by=cmp.ahead_by,
                behind_by=cmp.behind_by,
                commits=tuple(_commit(c) for c in cmp.commits),
            )

        return self._read(f"compare {base[:12]}...{head[:12]}", read)

    def create_pull(self, *, head: str, base: str, title: str, body: str, draft: bool) -> PullInfo:
        """Open a PR; a repeat after a lost answer gets 422 "already exists" (the caller's)."""

        def write() -> PullInfo:
            pull = self._repo.create_pull(
                base=base,
                head=head,
                title=title,
                body=body,
                draft=draft,
                maintainer_can_modify=True,
            )
            return _pull(pull, full=True)

        return self._write(f"open a PR for {head}", write)

    def edit_pull(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        changes = {k: v for k, v in (("body", body), ("state", state)) if v is not None}
        self._write(f"edit PR #{number}", lambda: self._repo.get_pull(number).edit(**changes))

    def comments(self, number: int) -> list[CommentInfo]:
        return self._read(
            f"read the comments of #{number}",
            lambda: [_comment(c) for c in self._repo.get_issue(number).get_comments()],
        )

    def create_comment(self, number: int, body: str) -> CommentInfo:
        """Post ``body`` on issue/PR ``number``, once, even when GitHub's answer is lost.

        The POST is repeated only after a rate limit. When it fails with a 5xx or no
        answer, GitHub may have created the comment all the same (a 502 from a proxy
        after the fact, a connection dropped after the request was sent): look for it, and
        post once more only when it is not there. A second failure raises as usual; 4xx
        raise at once.
        """
        what = f"comment on #{number}"
        started = time.time()

        def post() -> CommentInfo:
            return _comment(self._repo.get_issue(number).create_comment(body))

        try:
            return self._write(what, post, unsure=False)
        except ApiError as exc:
            if not exc.maybe_done or exc.budget_left is not None:
                raise
        posted = self._read(
            what, lambda: self._lost_comment(number, body, started - LOST_COMMENT_WINDOW)
        )
        if posted is not None:
            return posted
        return self._write(what, post, unsure=False)

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
        return self._read(
            f"list the labels of {self.full_name}",
            lambda: {label.name for label in self._repo.get_labels()},
        )

    def create_label(self, name: str, color: str, description: str) -> None:
        self._write(
            f"create label {name!r}", lambda: self._repo.create_label(name, color, description)
        )

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        self._write(f"label #{number}", lambda: self._repo.get_issue(number).add_to_labels(*labels))

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        self._write(
            f"request reviews on #{number}",
            lambda: self._repo.get_pull(number).create_review_request(reviewers=list(reviewers)),
        )

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        self._write(
            f"assign #{number}", lambda: self._repo.get_issue(number).add_to_assignees(*assignees)
        )

    def branches(self, prefix: str) -> dict[str, str]:
        """Branches whose name starts with ``prefix`` -> their head sha."""

        def read() -> dict[str, str]:
            refs = self._repo.get_git_matching_refs(f"heads/{prefix}")
            return {r.ref.removeprefix("refs/heads/"): r.object.sha for r in refs}

        return self._read(f"list branches {prefix}*", read)

    def delete_branch(self, name: str) -> None:
        self._write(
            f"delete branch {name}", lambda: self._repo.get_git_ref(f"heads/{name}").delete()
        )

    # For the bot (PR commands) and the dashboard issue.

    def collaborator_permission(self, login: str) -> str:
        return self._read(
            f"read {login}'s permission", lambda: self._repo.get_collaborator_permission(login)
        )

    def react(self, number: int, content: str, comment_id: int | None = None) -> None:
        """Add a reaction to issue/PR ``number``, or to one of its comments."""

        def write() -> None:
            issue = self._repo.get_issue(number)
            target = issue.get_comment(comment_id) if comment_id is not None else issue
            target.create_reaction(content)

        self._write(f"react on #{number}", write)

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueInfo:
        return self._write(
            "open an issue",
            lambda: _issue(self._repo.create_issue(title=title, body=body, labels=list(labels))),
        )

    def list_issues(self, state: str = "open", labels: Sequence[str] = ()) -> list[IssueInfo]:
        def read() -> list[IssueInfo]:
            if labels:
                issues = self._repo.get_issues(state=state, labels=list(labels))
            else:
                issues = self._repo.get_issues(state=state)
            return [_issue(i) for i in issues]

        return self._read(f"list issues of {self.full_name}", read)

    def edit_issue(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> IssueInfo:
        changes = {k: v for k, v in (("body", body), ("state", state)) if v is not None}

        def write() -> IssueInfo:
            issue = self._repo.get_issue(number)
            issue.edit(**changes)
            return _issue(issue)

        return self._write(f"edit issue #{number}", write)


def _converted(what: str, fn: Callable[[], T]) -> T:
    with _calls(what):
        return fn()


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
        closed_at=p.closed_at.isoformat() if p.closed_at is not None else None,
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
        committed_at=git_commit.committer.date,
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
