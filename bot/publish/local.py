"""Adapter: the local publisher, a branch and a patch file per verified fix."""

from __future__ import annotations

from pathlib import Path

import git

from bot import gitops
from bot.model import Finding
from bot.publish.proposal import NotPublished, Proposal, Published
from bot.publish.quota import Quota
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import Reason


class LocalPublisher:
    """A branch per fix in the repository itself, and a patch file in ``out/patches``."""

    name = "local"

    def __init__(self, repo: git.Repo, out: Path) -> None:
        self.repo = repo
        self.patches = out / "patches"

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        del recipe, finding
        if gitops.branch_exists(self.repo, branch):
            return NotPublished(
                f"already proposed on branch {branch}", kind=Reason.ALREADY_PROPOSED
            )
        return None

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        try:
            gitops.create_branch(self.repo, proposal.branch, proposal.commit)
        except git.GitCommandError as exc:
            return NotPublished(f"could not create branch {proposal.branch}: {exc.stderr.strip()}")
        self.patches.mkdir(parents=True, exist_ok=True)
        patch = self.patches / f"{proposal.branch.replace('/', '__')}.patch"
        patch.write_text(gitops.format_patch(self.repo, proposal.commit), encoding="utf-8")
        return Published(proposal.branch, patch=str(patch))

    def quota(self, recipe: Recipe) -> Quota | None:
        """No reviewers' record locally: every recipe gets its ``pr.max_per_night``."""
        del recipe
        return None

    def finish(self, report: NightReport) -> None:
        """Local branches are the user's to delete; nothing to tidy."""
        del report
