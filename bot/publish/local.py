"""Adapter: the local publisher, a branch and a patch file per verified fix, or per group.

A group's branch holds one commit per fix and its patch file all of them (``git am`` takes
them in order). Findings already on a ``nightcrew/`` branch, alone or in a group (read back
from the ``Nightcrew-Fingerprint`` trailers of the branch's own commits), are not proposed
again.
"""

from __future__ import annotations

from pathlib import Path

import git

from bot import gitops
from bot.dashboard.state import BRANCH_PREFIX
from bot.model import Finding
from bot.publish.proposal import NotPublished, Proposal, Published
from bot.publish.quota import Quota
from bot.publish.trailers import Trailer
from bot.recipes.model import Recipe
from bot.report.document import PATCHES_DIR, NightReport
from bot.report.results import Reason

# A branch's own commits are read back from its tip, at most this many.
_MAX_COMMITS = 200


class LocalPublisher:
    """A branch per fix or group in the repository itself, and a patch file in ``out/patches``."""

    name = "local"

    def __init__(self, repo: git.Repo, out: Path) -> None:
        self.repo = repo
        self.patches = out / PATCHES_DIR
        self._proposed: dict[str, str] | None = None  # fingerprint -> its branch

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        del recipe
        if not gitops.branch_exists(self.repo, branch):
            branch = self.proposed().get(finding.fingerprint, "")
        if branch:
            return NotPublished(
                f"already proposed on branch {branch}", kind=Reason.ALREADY_PROPOSED
            )
        return None

    def proposed(self) -> dict[str, str]:
        """Every finding on a ``nightcrew/`` branch: the trailers of its tip's own commits."""
        if self._proposed is None:
            self._proposed = {}
            refs = self.repo.git.for_each_ref(
                "--format=%(refname:short)", f"refs/heads/{BRANCH_PREFIX}"
            )
            for ref in refs.splitlines():
                log = self.repo.git.log(
                    "--first-parent", f"-n{_MAX_COMMITS}", "--format=%B%x00", ref
                )
                for message in log.split("\0"):
                    found = Trailer.FINGERPRINT.read(message)
                    if found is None:
                        break  # past Nightcrew's commits: the base it was built on
                    self._proposed.setdefault(found, ref)
        return self._proposed

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        try:
            gitops.create_branch(self.repo, proposal.branch, proposal.commit)
        except git.GitCommandError as exc:
            return NotPublished(f"could not create branch {proposal.branch}: {exc.stderr.strip()}")
        for fingerprint in proposal.fingerprints:
            self.proposed().setdefault(fingerprint, proposal.branch)
        self.patches.mkdir(parents=True, exist_ok=True)
        patch = self.patches / f"{proposal.branch.replace('/', '__')}.patch"
        text = gitops.format_patch(self.repo, proposal.commit, since=proposal.base)
        patch.write_text(text, encoding="utf-8")
        return Published(proposal.branch, patch=str(patch))

    def quota(self, recipe: Recipe) -> Quota | None:
        """No reviewers' record locally: every recipe gets its ``pr.max_per_night``."""
        del recipe
        return None

    def finish(self, report: NightReport) -> None:
        """Local branches are the user's to delete; nothing to tidy."""
        del report
