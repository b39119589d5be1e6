"""Nightcrew's PRs and branches as GitHub has them: the only state Nightcrew keeps.

Read once per night. A PR is Nightcrew's when its head is a ``nightcrew/`` branch of the
repository itself (not a fork) and its body carries a PR marker; the marker says which
finding it is for. A commit is Nightcrew's when Nightcrew both authored and committed it
and its message carries the ``Nightcrew-Fingerprint:`` trailer; anything else on a
branch means a person has worked there, and Nightcrew leaves it alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from bot.dashboard import markers
from bot.github.api import CommitInfo, PullInfo, RepoApi
from bot.publish.trailers import Trailer

BRANCH_PREFIX = "nightcrew/"


@dataclass(frozen=True)
class Identity:
    """Who Nightcrew's commits are by (``git.author_name``/``author_email`` in the config)."""

    name: str = "Nightcrew"
    email: str = "nightcrew@users.noreply.github.com"


@dataclass(frozen=True)
class PullState:
    number: int
    url: str
    status: str  # "open" | "merged" | "closed" (closed without merging)
    branch: str
    head_sha: str
    base_ref: str
    base_sha: str
    fingerprint: str
    recipe: str
    closed_by_nightcrew: bool = False  # closed because the finding was gone: not "ignored"
    path: str | None = None  # the finding's file; None when the marker predates paths
    fingerprints: tuple[str, ...] = ()  # a group PR's findings, in commit order; else ()
    closed_at: str | None = None  # when it was closed or merged (ISO 8601); None while open

    @property
    def members(self) -> tuple[str, ...]:
        """Every finding the PR fixes: its group's, or its one ``fingerprint``."""
        return self.fingerprints or (self.fingerprint,)

    @property
    def ignores_finding(self) -> bool:
        """A person closed it without merging: the finding must not be proposed again."""
        return self.status == "closed" and not self.closed_by_nightcrew


@dataclass
class RepoState:
    pulls: list[PullState] = field(default_factory=list)  # newest first
    branches: dict[str, str] = field(default_factory=dict)  # nightcrew/* -> head sha

    def for_fingerprint(self, fingerprint: str) -> list[PullState]:
        return [p for p in self.pulls if fingerprint in p.members]

    def open_pull(self, fingerprint: str) -> PullState | None:
        return next((p for p in self.for_fingerprint(fingerprint) if p.status == "open"), None)

    def ignoring_pull(self, fingerprint: str) -> PullState | None:
        """The closed PR that makes this finding ignored, unless a newer PR supersedes it."""
        pulls = self.for_fingerprint(fingerprint)
        if not pulls or any(p.status == "open" for p in pulls):
            return None
        latest = pulls[0]
        return latest if latest.ignores_finding else None

    def open_pulls(self) -> list[PullState]:
        return [p for p in self.pulls if p.status == "open"]

    def orphan_sha(self, branch: str) -> str | None:
        """The branch's head if it exists on GitHub without an open PR (a repair candidate)."""
        sha = self.branches.get(branch)
        if sha is None or any(p.branch == branch and p.status == "open" for p in self.pulls):
            return None
        return sha

    def never_proposed(self) -> dict[str, str]:
        """Branches no PR was ever opened for: a run stopped between push and PR."""
        with_pulls = {p.branch for p in self.pulls}
        return {b: sha for b, sha in self.branches.items() if b not in with_pulls}

    def replace(self, pull: PullState) -> None:
        """Record a PR opened, closed or rebuilt tonight."""
        self.pulls = [pull, *(p for p in self.pulls if p.number != pull.number)]


def read_state(repo: RepoApi, prefix: str = BRANCH_PREFIX) -> RepoState:
    """Every Nightcrew PR (open and closed) and every ``prefix`` branch, from GitHub."""
    pulls = [
        p
        for p in (to_pull_state(info, repo.full_name, prefix) for info in repo.list_pulls("all"))
        if p is not None
    ]
    return RepoState(pulls, repo.branches(prefix))


def to_pull_state(info: PullInfo, full_name: str, prefix: str = BRANCH_PREFIX) -> PullState | None:
    """The PR as Nightcrew's, or None when it is not one (other branch, fork, no marker)."""
    if not info.head_ref.startswith(prefix):
        return None
    if (info.head_repo or "").lower() != full_name.lower():
        return None  # a fork cannot speak for Nightcrew, whatever its body says
    marker = markers.parse_pull(info.body)
    if marker is None:
        return None
    status = "merged" if info.merged else ("open" if info.state == "open" else "closed")
    return PullState(
        number=info.number,
        url=info.url,
        status=status,
        branch=info.head_ref,
        head_sha=info.head_sha,
        base_ref=info.base_ref,
        base_sha=info.base_sha,
        fingerprint=marker.fingerprint,
        recipe=marker.recipe,
        # Closed by Nightcrew (finding gone) or re-allowed by `/nightcrew unignore`: either
        # way not a person's "don't propose this again".
        closed_by_nightcrew=marker.closed is not None,
        path=marker.path,
        fingerprints=marker.fingerprints,
        closed_at=info.closed_at,
    )


def is_nightcrew_commit(
    commit: CommitInfo, identity: Identity, fingerprint: str | Collection[str] | None = None
) -> bool:
    """Nightcrew authored and committed it, and it names its finding (one of ``fingerprint``,
    a fingerprint or a group PR's, if given)."""
    email = identity.email.casefold()
    if commit.author_email.casefold() != email or commit.committer_email.casefold() != email:
        return False
    found = Trailer.FINGERPRINT.read(commit.message)
    wanted = (fingerprint,) if isinstance(fingerprint, str) else fingerprint
    return found is not None and (wanted is None or found in wanted)


def foreign_commits(
    commits: Iterable[CommitInfo],
    identity: Identity,
    fingerprint: str | Collection[str] | None = None,
) -> list[CommitInfo]:
    return [c for c in commits if not is_nightcrew_commit(c, identity, fingerprint)]
