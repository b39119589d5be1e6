"""The end of a GitHub night: close PRs whose finding is gone, delete abandoned branches (adapter).

Only findings of recipes whose finders completed tonight can be gone. A shard searched only
its files, so it judges only the PRs whose marker names a file of its shard, and the
abandoned branches whose commit's ``Nightcrew-Path`` trailer does; PRs and branches made
before those named the file are left to an unsharded night.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from bot.dashboard import markers
from bot.dashboard.state import Identity, PullState, RepoState, foreign_commits
from bot.github.api import ApiError, CommitInfo, RepoApi
from bot.model import in_shard
from bot.publish import pr_text
from bot.publish.trailers import Trailer, recipe_id
from bot.report.document import NightReport
from bot.report.results import NoteKind


class Desk(Protocol):
    """What tidying shares with publishing (``GitHubPublisher`` is one)."""

    repo: RepoApi
    state: RepoState
    identity: Identity
    base_branch: str

    def pull_commits(self, number: int) -> list[CommitInfo]: ...
    def leave(self, pull: PullState) -> None: ...
    def comment_once(self, pull: PullState, kind: str, body: str) -> None: ...
    def stop(self, exc: ApiError) -> None: ...
    def act(
        self,
        kind: str,
        branch: str,
        number: int | None = None,
        url: str | None = None,
        reason: str = "",
    ) -> None: ...


def tidy(desk: Desk, report: NightReport) -> None:
    """Tidy up after tonight's ``report``; a rate limit or a failure leaves the rest for later."""
    try:
        _tidy(desk, report)
    except ApiError as exc:
        if exc.rate_limited:
            desk.stop(exc)
        else:
            desk.act("failed", "", reason=str(exc))


def stopped_note(reason: str, left: int) -> str:
    """The report's note when publishing stopped early, so nothing was tidied."""
    fixes = f"{left} verified fix(es) and " if left else ""
    return (
        f"GitHub: publishing stopped early ({reason}); {fixes}stale PRs "
        "were left for the next night"
    )


def _tidy(desk: Desk, report: NightReport) -> None:
    """Close PRs whose finding is gone and delete branches abandoned before their PR."""
    searched = searched_recipes(report)
    found = {f.fingerprint for f in report.findings}
    shard = report.shard if is_shard(report) else None
    unjudged: list[PullState] = []  # a shard cannot tell where their finding was
    for pull in desk.state.open_pulls():
        if pull.recipe not in searched:
            continue
        if shard is not None:
            if pull.path is None:
                unjudged.append(pull)
                continue
            if not in_shard(pull.path, shard):
                continue  # another shard's file: absent from this report, gone or not
        if found.isdisjoint(pull.members):  # a group PR goes when all its findings have
            close_gone(desk, pull, report.base)
    unjudged_branches = 0
    for branch, sha in desk.state.never_proposed().items():
        commits = desk.repo.compare(desk.base_branch, sha).commits
        if not commits or foreign_commits(commits, desk.identity):
            continue
        message = commits[-1].message
        fingerprint = Trailer.FINGERPRINT.read(message) or ""
        recipe = recipe_id(message) or ""
        path = Trailer.PATH.read(message)
        if shard is not None and recipe in searched:
            if path is None:  # made before commits named their file
                unjudged_branches += 1
                continue
            if not in_shard(path, shard):
                continue
        if recipe in searched and fingerprint not in found:
            desk.repo.delete_branch(branch)
            desk.state.branches.pop(branch, None)
            desk.act("deleted", branch, reason="its finding is gone; no PR was opened")
    if shard is not None:
        note = unjudged_note(unjudged, unjudged_branches)
        if note:
            report.note(NoteKind.TIDY, note)


def close_gone(desk: Desk, pull: PullState, base_sha: str) -> None:
    """Say why, close the PR and delete its branch: its finding is gone from the base."""
    commits = desk.pull_commits(pull.number)
    if foreign_commits(commits, desk.identity, pull.members):
        desk.leave(pull)  # a person's work is theirs to close
        return
    body = pr_text.gone_comment(pull.fingerprint, desk.base_branch, base_sha, pull.recipe)
    desk.comment_once(pull, "gone", body)
    closed = markers.PullMarker(pull.fingerprint, pull.recipe, closed="gone", path=pull.path)
    current = desk.repo.get_pull(pull.number).body
    desk.repo.edit_pull(
        pull.number, body=markers.replace_pull_marker(current, closed), state="closed"
    )
    desk.state.replace(replace(pull, status="closed", closed_by_nightcrew=True))
    try:
        desk.repo.delete_branch(pull.branch)
    except ApiError as exc:
        if exc.status != 422:  # 422: the branch is already gone
            raise
    desk.state.branches.pop(pull.branch, None)
    reason = "its finding is gone from the base branch"
    desk.act("closed", pull.branch, pull.number, pull.url, reason)


def is_shard(report: NightReport) -> bool:
    """A shard sees only part of the files: it can tell a finding is gone only in those."""
    return report.shard is not None and report.shard[1] > 1


def unjudged_note(pulls: Sequence[PullState], branches: int, shown: int = 10) -> str:
    """What a shard left for an unsharded night, or "" when it left nothing."""
    parts = []
    if pulls:
        numbers = sorted(p.number for p in pulls)
        listed = ", ".join(f"#{n}" for n in numbers[:shown])
        more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
        parts.append(
            f"{len(numbers)} PR(s) opened before Nightcrew recorded the finding's file "
            f"({listed}{more})"
        )
    if branches:
        parts.append(f"{branches} branch(es) without a PR")
    if not parts:
        return ""
    return (
        "GitHub: a shard tidies only the PRs of its own files; "
        + " and ".join(parts)
        + " wait for an unsharded night"
    )


def searched_recipes(report: NightReport) -> set[str]:
    """Recipes whose finders completed tonight: only their absent findings are really gone."""
    return set(report.recipes_searched)
