"""The GitHub API adapter: the only module that imports PyGithub.

Everything above this module sees the plain values of ``api`` (``PullInfo``,
``CommitInfo``...) and one exception, ``ApiError``; how often requests are retried and how
fast writes go is ``pacing``'s. The retry layer repeats POSTs too, except one: a comment is
posted through a second client whose ``Retry`` never repeats a POST that may have reached
GitHub, because a repeated comment is a duplicate on the PR. When such a POST fails (5xx,
or no answer), ``create_comment`` looks for the comment among the PR's recent ones and
posts once more only when it is not there. PyGithub's own write throttle is off so that it
and the ``Pacer`` do not add up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import github
import requests
from github import Auth, GithubException
from github.Commit import Commit
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from urllib3.util.retry import Retry

from bot.github.api import ApiError, CommentInfo, CommitInfo, Comparison, IssueInfo, PullInfo
from bot.github.pacing import Pacer, rate_limit_wait, retry_policy

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = "nightcrew"
# How long before its POST a comment found by ``create_comment``'s look-up may have been
# created and still be the one whose answer was lost: created_at is in whole seconds, by
# GitHub's clock, which the runner's may be a little ahead of.
LOST_COMMENT_WINDOW = 60.0
_VIEWER = "query { viewer { login } }"


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
        self._gh = gh
        self._own_login: str | None = None
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

    def own_login(self) -> str:
        """The login this token posts as (read once): who Nightcrew's comments are by.

        ``GET /user`` answers for a person's or a machine user's token; an App's
        installation token (``GITHUB_TOKEN`` is one too) may not read it (403), and for
        those GraphQL's ``viewer`` is the App's bot account, ``<app-slug>[bot]``.
        """
        if self._own_login is None:
            what = "read which account the token posts as"
            with _calls(what):
                try:
                    login = self._gh.get_user().login
                except GithubException as exc:
                    if exc.status != 403:
                        raise
                    _, data = self._gh.requester.graphql_query(_VIEWER, {})
                    viewer = (data.get("data") or {}).get("viewer") or {}
                    login = viewer.get("login") if isinstance(viewer, dict) else None
            if not isinstance(login, str) or not login:
                raise ApiError(200, "the answer names no login", what)
            self._own_login = login
        return self._own_login

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
