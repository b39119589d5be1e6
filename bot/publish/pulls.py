"""The GitHub publisher: one branch and one PR per verified fix, kept right across nights.

State lives on GitHub only (``state.read_state``, once per night): an open PR for a
finding means it is proposed; a PR closed without merging means it is ignored; a
``nightcrew/`` branch without a PR is repaired. Every push is leased, so two runs at once
cannot both publish a finding: the loser re-reads GitHub and skips. Nothing is ever
pushed over a commit that Nightcrew did not make. Transient faults are retried within the
night's wait budget (``github.pacing``); what still fails stops publishing for the night
only when ``faults`` says so (``NotPublished(stop=True)``), and whatever was left is found
again the next night.
What is done once publishing is over is ``tidy``'s; the record of what was done, ``ledger``'s;
which open PRs are rebuilt tonight and which are left alone, ``refresh``'s.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import git

from bot.config import RepoConfig
from bot.dashboard import markers
from bot.dashboard.state import (
    BRANCH_PREFIX,
    Identity,
    PullState,
    foreign_commits,
    read_state,
    to_pull_state,
)
from bot.github.api import ApiError, CommitInfo, RepoApi
from bot.github.client import Connection
from bot.github.push import LeaseRejected, PushError, push
from bot.model import Finding
from bot.publish import faults, ledger, pr_text, quota, tidy
from bot.publish.decorations import Decorations
from bot.publish.faults import PERMISSIONS_HINT as PERMISSIONS_HINT  # the action's
from bot.publish.ledger import Action
from bot.publish.proposal import NotPublished, Proposal, Published
from bot.publish.quota import Quota
from bot.publish.refresh import Refresh, Verdict
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import UNTESTED_LABEL, NoteKind, Reason


@dataclass(frozen=True)
class PublishLimits:
    max_new_prs: int = RepoConfig.max_new_prs  # new PRs per night (config pr.max_new)
    max_open_prs: int = RepoConfig.max_open_prs  # open Nightcrew PRs at once (pr.max_open)
    # An open PR is rebuilt when it conflicts with the base, or its verification is older
    # than this (pr.reverify_after_days); otherwise it is left alone (``refresh``).
    reverify_after_days: int = RepoConfig.reverify_after_days


class GitHubPublisher:
    """``bot.publish.Publisher`` for GitHub: push with a lease, then open or update the PR."""

    name = "github"

    def __init__(
        self,
        api: Connection,
        repo_full_name: str,
        workspace: git.Repo,
        base_branch: str,
        *,
        token: str | None = None,
        limits: PublishLimits | None = None,
        labels: Sequence[str] = (),
        reviewers: Sequence[str] = (),
        assignees: Sequence[str] = (),
        draft: bool = False,
        identity: Identity | None = None,
        base_sha: str | None = None,
        push_attempts: int = 3,
        push_backoff: float = 2.0,
    ) -> None:
        self.repo: RepoApi = api.repo(repo_full_name)
        self.workspace = Path(workspace.working_tree_dir or workspace.git_dir)
        self.base_branch = base_branch
        self.base_sha = base_sha or workspace.head.commit.hexsha
        self.limits = limits or PublishLimits()
        self.labels = tuple(labels)
        self.reviewers = tuple(reviewers)
        self.assignees = tuple(assignees)
        self.draft = draft
        self.identity = identity or Identity()
        self.actions: list[Action] = []
        self.new_prs = 0
        self._token = token
        self._push_attempts = push_attempts
        self._push_backoff = push_backoff
        self._budget = api.budget  # the night's wait budget: the API's retries and pushes
        self._stop_reason: str | None = None
        self._stop_kind = Reason.PUBLISHING_STOPPED  # what stopped publishing, when it did
        self._left_after_stop = 0
        self._commits: dict[int, list[CommitInfo]] = {}
        self._rebuild_why: dict[int, Verdict] = {}  # PR number -> why it is rebuilt
        self._lock = threading.RLock()  # the night may ask from several threads
        self.decorations = Decorations(self.repo, labels, reviewers, assignees)
        self.state = read_state(self.repo)
        self.refresh = Refresh(
            self.workspace, reverify_after_days=self.limits.reverify_after_days, token=token
        )

    # The Publisher protocol.

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        with self._lock:
            return self._guarded_prior(recipe, finding, branch)

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        with self._lock:
            return self._guarded_publish(proposal)

    def quota(self, recipe: Recipe) -> Quota:
        """The recipe's new PRs tonight, from its merged and closed PRs (``quota.of_recipe``)."""
        with self._lock:
            return quota.of_recipe(recipe.id, recipe.pr.max_per_night, self.state.pulls)

    def finish(self, report: NightReport) -> None:
        """Close PRs whose finding is gone, delete abandoned branches, note what was done."""
        with self._lock:
            self._finish(report)

    def _guarded_prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        if self._stop_reason:
            return NotPublished(f"not tried: {self._stop_reason}", kind=self._stop_kind)
        try:
            return self._prior(recipe, finding, branch)
        except ApiError as exc:
            if exc.rate_limited or exc.budget_left is not None:
                self.stop(exc)
                return NotPublished(f"not tried: {self._stop_reason}", kind=self._stop_kind)
            return NotPublished(f"not tried: {exc}", kind=Reason.PUBLISH_FAILED)

    def _guarded_publish(self, proposal: Proposal) -> Published | NotPublished:
        branch = proposal.branch
        if self._stop_reason:
            self._left_after_stop += 1
            return NotPublished(
                f"not published: {self._stop_reason}", stop=True, kind=self._stop_kind
            )
        self.base_sha = proposal.base
        try:
            return self._publish(proposal)
        except (ApiError, PushError) as exc:
            stop = faults.stop_for(exc, f"{BRANCH_PREFIX}*")
            if stop is None:
                self.act("failed", branch, reason=str(exc))
                return NotPublished(f"{exc}; the next night tries again")
            self._halt(stop, branch)
            if stop.waits:  # left for the next night, like every fix after it
                self._left_after_stop += 1
                return NotPublished(f"not published: {stop.summary}", stop=True, kind=stop.kind)
            return NotPublished(stop.detail, stop=True, kind=stop.kind)

    def _finish(self, report: NightReport) -> None:
        if self._stop_reason:
            report.note(
                NoteKind.PUBLISHING_STOPPED,
                tidy.stopped_note(self._stop_reason, self._left_after_stop),
            )
        else:
            tidy.tidy(self, report)
        summary = self.summary()
        if summary:
            report.note(NoteKind.TIDY, summary)

    def summary(self) -> str:
        """One line: what the publisher did tonight."""
        return ledger.summary(self.actions)

    def published_urls(self) -> list[str]:
        return ledger.published_urls(self.actions)

    # prior()

    def _prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        del recipe
        fingerprint = finding.fingerprint
        pull = self.state.open_pull(fingerprint)
        if pull is not None:
            commits = self.pull_commits(pull.number)
            if foreign_commits(commits, self.identity, pull.members):
                self.leave(pull)
                return NotPublished(
                    f"a person pushed to #{pull.number}; left alone", kind=Reason.HUMAN_PUSHED
                )
            verdict = self._verdict(pull, commits)
            if verdict.rebuild:
                self._rebuild_why[pull.number] = verdict
                return None
            reason = f"already open as #{pull.number}"
            if verdict.why:  # the base moved, and the PR is fine on it: no push, no CI run
                reason += f"; left alone: {verdict.why}"
                self.act("kept", pull.branch, pull.number, pull.url, reason)
            else:
                self._skip(pull.branch, reason, pull)
            return NotPublished(reason, kind=Reason.ALREADY_PROPOSED)
        ignoring = self.state.ignoring_pull(fingerprint)
        if ignoring is not None:
            reason = f"ignored: PR #{ignoring.number} was closed without merging"
            return NotPublished(self._skip(branch, reason, ignoring), kind=Reason.IGNORED)
        orphan = self.state.orphan_sha(branch)
        if orphan is not None and self._orphan_is_foreign(orphan, fingerprint):
            reason = self._skip(branch, self._foreign_branch_reason(branch))
            return NotPublished(reason, kind=Reason.HUMAN_PUSHED)
        limit = self._limit_reason()
        if limit:
            return NotPublished(self._skip(branch, limit), kind=Reason.OPEN_LIMIT)
        return None

    def _verdict(self, pull: PullState, commits: list[CommitInfo]) -> Verdict:
        """Rebuild the open PR on tonight's base, or leave it alone (``refresh``)?"""

        def github_conflicts() -> bool:  # asked only when git cannot tell
            info = self.repo.get_pull(pull.number)
            return info.mergeable is False or info.mergeable_state == "dirty"

        return self.refresh.verdict(pull.branch, commits, self.base_sha, github_conflicts)

    def _limit_reason(self) -> str | None:
        if self.new_prs >= self.limits.max_new_prs:
            return f"waiting for a free slot (limit: {self.limits.max_new_prs} new PRs per night)"
        open_now = len(self.state.open_pulls())
        if open_now >= self.limits.max_open_prs:
            return (
                f"waiting for a free slot (limit: {self.limits.max_open_prs} open Nightcrew "
                f"PRs; {open_now} are open)"
            )
        return None

    # publish()

    def _publish(self, proposal: Proposal) -> Published | NotPublished:
        fingerprint, members = proposal.finding.fingerprint, proposal.fingerprints
        pull = next(filter(None, map(self.state.open_pull, members)), None)
        if pull is not None:  # a group: the open PR of any of its fixes is rebuilt
            return self._rebuild(pull, proposal)
        ignoring = next(filter(None, map(self.state.ignoring_pull, members)), None)
        if ignoring is not None:
            return NotPublished(
                f"ignored: PR #{ignoring.number} was closed without merging", kind=Reason.IGNORED
            )
        limit = self._limit_reason()
        if limit:
            self._skip(proposal.branch, limit)
            return NotPublished(limit, kind=Reason.OPEN_LIMIT)
        branch = proposal.branch
        expect = self.state.orphan_sha(branch)
        if expect is not None and self._orphan_is_foreign(expect, members):
            reason = self._skip(branch, self._foreign_branch_reason(branch))
            return NotPublished(reason, kind=Reason.HUMAN_PUSHED)
        try:
            self._push(proposal.commit, branch, expect)
        except LeaseRejected:
            return self._lost_race(branch)
        self.state.branches[branch] = proposal.commit
        try:
            info = self.repo.create_pull(
                head=branch,
                base=self.base_branch,
                title=pr_text.title(proposal),
                body=pr_text.pull_body(proposal),
                draft=self.draft or proposal.recipe.pr.draft or proposal.untested,
            )
        except ApiError as exc:
            if not exc.already_exists:
                raise
            existing = self._find_open(branch)
            if existing is None:
                raise
            if existing.head_sha != proposal.commit:  # another run's PR
                reason = f"already open as #{existing.number}"
                self._skip(branch, reason, existing)
                return Published(branch, url=existing.url, note=reason)
            # Ours, made by a request whose answer was lost (the retry was told it exists).
            number, url = existing.number, existing.url
        else:
            number, url = info.number, info.url
        self.new_prs += 1
        self.state.replace(
            PullState(
                number=number,
                url=url,
                status="open",
                branch=branch,
                head_sha=proposal.commit,
                base_ref=self.base_branch,
                base_sha=proposal.base,
                fingerprint=fingerprint,
                recipe=proposal.recipe.id,
                path=proposal.finding.path,
                fingerprints=members if proposal.fixes else (),
            )
        )
        untested = (UNTESTED_LABEL,) if proposal.untested else ()
        problems, limited = self.decorations.apply(number, (*proposal.recipe.pr.labels, *untested))
        if limited is not None:
            self.stop(limited)
        kind = "repaired" if expect is not None else "opened"
        note = f"opened #{number}" + (
            " (its branch was left by an interrupted run)" if expect is not None else ""
        )
        if problems:
            note += "; " + "; ".join(problems)
        self.act(kind, branch, number, url, note)
        return Published(branch, url=url, note=note)

    def _rebuild(self, pull: PullState, proposal: Proposal) -> Published | NotPublished:
        commits = self.pull_commits(pull.number)
        if foreign_commits(commits, self.identity, pull.members):
            self.leave(pull)
            return NotPublished(
                f"a person pushed to #{pull.number}; left alone", kind=Reason.HUMAN_PUSHED
            )
        head = commits[-1].sha if commits else pull.head_sha
        try:
            self._push(proposal.commit, pull.branch, head)
        except LeaseRejected:
            reason = (
                f"#{pull.number} changed on GitHub while Nightcrew worked; "
                "left as it is for the next night to look at"
            )
            self._skip(pull.branch, reason, pull)
            return NotPublished(reason)
        self._commits.pop(pull.number, None)
        rebuilt = replace(
            pull,
            head_sha=proposal.commit,
            base_sha=proposal.base,
            path=proposal.finding.path,
            fingerprint=proposal.finding.fingerprint,
            fingerprints=proposal.fingerprints if proposal.fixes else (),
        )
        self.state.replace(rebuilt)  # the new body's marker names the file, as new PRs do
        self.repo.edit_pull(pull.number, body=pr_text.pull_body(proposal))
        self.repo.create_comment(pull.number, pr_text.rebuilt_comment(proposal, self.base_branch))
        why = self._rebuild_why.pop(pull.number, Verdict(True))
        note = f"rebuilt #{pull.number} on {proposal.base[:10]}"
        note += f" ({why.why})" if why.why else ""
        self.act("rebuilt", pull.branch, pull.number, pull.url, note, why.short)
        return Published(pull.branch, url=pull.url, note=note)

    def _lost_race(self, branch: str) -> NotPublished:
        """Our lease failed: another run (or a person) got there first. Skip, never duplicate."""
        existing = self._find_open(branch)
        if existing is not None:
            reason = f"already open as #{existing.number} (published by another run)"
            return NotPublished(self._skip(branch, reason, existing), kind=Reason.ALREADY_PROPOSED)
        reason = f"{branch} changed on GitHub while Nightcrew worked; left for the next night"
        return NotPublished(self._skip(branch, reason))

    def _find_open(self, branch: str) -> PullState | None:
        for info in self.repo.list_pulls("open", head=f"{self.repo.owner}:{branch}"):
            pull = to_pull_state(info, self.repo.full_name)
            if pull is not None:
                self.state.replace(pull)
                return pull
        return None

    def _push(self, sha: str, branch: str, expect: str | None) -> None:
        push(
            self.workspace,
            sha,
            branch,
            expect=expect,
            token=self._token,
            attempts=self._push_attempts,
            backoff=self._push_backoff,
            budget=self._budget,
        )

    # Shared by publishing and tidying (``tidy.Desk``).

    def pull_commits(self, number: int) -> list[CommitInfo]:
        """The PR's commits, read from GitHub once a night."""
        if number not in self._commits:
            self._commits[number] = self.repo.pull_commits(number)
        return self._commits[number]

    def _orphan_is_foreign(self, sha: str, fingerprint: str | tuple[str, ...]) -> bool:
        commits = self.repo.compare(self.base_branch, sha).commits
        return bool(foreign_commits(commits, self.identity, fingerprint))

    @staticmethod
    def _foreign_branch_reason(branch: str) -> str:
        return f"branch {branch} exists on GitHub with commits Nightcrew did not make; left alone"

    def leave(self, pull: PullState) -> None:
        """A person has pushed to the PR: say so once, then never touch it."""
        if any(a.kind == "left" and a.number == pull.number for a in self.actions):
            return
        self.comment_once(
            pull, "human-push", pr_text.human_push_comment(pull.branch, pull.fingerprint)
        )
        self.act("left", pull.branch, pull.number, pull.url, "a person pushed to it")

    def comment_once(self, pull: PullState, kind: str, body: str) -> None:
        said = any(
            markers.has_notice(c.body, kind, pull.fingerprint)
            for c in self.repo.comments(pull.number)
        )
        if not said:
            self.repo.create_comment(pull.number, body)

    def stop(self, exc: ApiError) -> None:
        """A rate limit, or the wait budget spent: publish nothing more tonight, say why once."""
        stop = faults.stop_for(exc)
        if stop is None:  # not a reason to stop; kept for callers that ask anyway
            stop = faults.Stop(faults.rate_limit_summary(exc), str(exc), Reason.RATE_LIMITED)
        self._halt(stop)

    def _halt(self, stop: faults.Stop, branch: str = "") -> None:
        if self._stop_reason is None:
            self._stop_reason = stop.summary
            self._stop_kind = stop.kind
            self.act("stopped", branch, reason=stop.detail)

    def _skip(self, branch: str, reason: str, pull: PullState | None = None) -> str:
        number, url = (pull.number, pull.url) if pull else (None, None)
        self.act("skipped", branch, number, url, reason)
        return reason

    def act(
        self,
        kind: str,
        branch: str,
        number: int | None = None,
        url: str | None = None,
        reason: str = "",
        short: str = "",
    ) -> None:
        self.actions.append(Action(kind, branch, number, url, reason, short))
