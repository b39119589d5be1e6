"""Where verified fixes go: a Publisher. Locally, a branch and a patch per fix.

The night calls ``prior`` for each finding before trying it (is it already proposed,
ignored, or over a limit?), and ``publish`` for each verified fix, whose commit already
exists (one commit on the base, authored by Nightcrew). A GitHub publisher pushes that
commit and opens a PR; the local one makes a branch and writes a patch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import git

from bot import gitops
from bot.model import Finding
from bot.recipes.model import Recipe
from bot.report import NightReport
from bot.results import Step


@dataclass(frozen=True)
class Proposal:
    """A verified fix, committed, ready to publish."""

    recipe: Recipe
    finding: Finding
    branch: str
    base: str  # the base commit's sha
    commit: str  # the fix's commit sha (its parent is ``base``)
    title: str
    message: str  # the full commit message
    evidence: tuple[str, ...]
    steps: tuple[Step, ...]
    diff: str  # `git diff base commit`
    costs: dict[str, float] = field(default_factory=dict)  # agents: tokens, dollars
    summary: str = ""  # an agent's own account of the change (untrusted: quote it)


@dataclass(frozen=True)
class Published:
    branch: str
    url: str | None = None  # a PR's address, when there is one
    patch: str | None = None  # a patch file's path, when one was written
    note: str = ""


@dataclass(frozen=True)
class NotPublished:
    """Publishing failed; ``stop`` asks the night to publish nothing more (rate limits)."""

    reason: str
    stop: bool = False


class Publisher(Protocol):
    name: str

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> str | None:
        """Why this finding must not be tried tonight, or None to go ahead."""
        ...

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        """Make the verified fix visible; never raises for expected failures."""
        ...

    def finish(self, report: NightReport) -> None:
        """After the night: tidy what tonight's findings say is gone (close stale PRs)."""
        ...


class LocalPublisher:
    """A branch per fix in the repository itself, and a patch file in ``out/patches``."""

    name = "local"

    def __init__(self, repo: git.Repo, out: Path) -> None:
        self.repo = repo
        self.patches = out / "patches"

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> str | None:
        del recipe, finding
        if gitops.branch_exists(self.repo, branch):
            return f"already proposed on branch {branch}"
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

    def finish(self, report: NightReport) -> None:
        """Local branches are the user's to delete; nothing to tidy."""
        del report
