"""A verified fix becomes one commit on the base and a Proposal for the night's publisher.

Publishing stops for the rest of the night when the publisher says so (a rate limit, a
token that may not write); fixes verified after that are kept in the report, unpublished.
Each recipe's quota of new PRs tonight (``quota``) is the publisher's to say, once a night.
"""

from __future__ import annotations

from collections.abc import Sequence

import git

from bot import gitops
from bot.config import RepoConfig
from bot.publish import messages
from bot.publish.proposal import NotPublished, Proposal, Publisher
from bot.publish.quota import Quota
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import FixResult, NoteKind, Reason, Status
from bot.sandbox.bwrap import Sandbox
from bot.verify.grouped import Candidate, Outcome


class Publishing:
    """The night's publishing: commit each verified fix, hand it on, stop when told to."""

    def __init__(
        self,
        repo: git.Repo,
        base_sha: str,
        config: RepoConfig,
        publisher: Publisher,
        report: NightReport,
        sandbox: Sandbox,
        recipes: Sequence[Recipe] = (),
    ) -> None:
        self.repo, self.base_sha, self.config = repo, base_sha, config
        self.publisher, self.report, self.sandbox = publisher, report, sandbox
        self.stopped: NotPublished | None = None  # why publishing stopped early, when it did
        self.quotas: dict[str, Quota] = {}
        for recipe in recipes:
            self.quota(recipe)

    @property
    def stop_reason(self) -> str:
        return f"publishing stopped: {self.stopped.reason}" if self.stopped else ""

    def quota(self, recipe: Recipe) -> Quota:
        """The recipe's new PRs tonight, asked of the publisher once and put in the report.

        A publisher that keeps no record (local branches, the bot's rebuild) gives none:
        the recipe's ``pr.max_per_night``, and nothing in the report.
        """
        if recipe.id not in self.quotas:
            found = self.publisher.quota(recipe)
            if found is not None:
                self.report.quotas.append(found.to_json())
            self.quotas[recipe.id] = found or Quota(recipe.id, recipe.pr.max_per_night)
        return self.quotas[recipe.id]

    def conclude(self, c: Candidate, outcome: Outcome | None) -> FixResult:
        """Record the verification; commit and publish a verified fix."""
        steps = [*c.steps, *(outcome.steps if outcome else ())]
        if outcome is not None and not outcome.ok:
            return FixResult(
                c.finding,
                Status.REJECTED,
                outcome.reason,
                kind=Reason.TESTS_FAILED,
                diff_lines=c.diff_lines,
                steps=steps,
                costs=c.costs,
            )
        evidence = self._evidence(c, outcome)
        message = messages.commit_message(c.recipe, c.finding, evidence)
        sha = gitops.commit_patch(
            self.repo,
            self.base_sha,
            c.patch,
            message,
            self.config.author_name,
            self.config.author_email,
        )
        result = FixResult(
            c.finding,
            Status.VERIFIED,
            "; ".join(evidence),
            kind=Reason.PUBLISHED,
            commit=sha,
            diff_lines=c.diff_lines,
            steps=steps,
            costs=c.costs,
            summary=c.summary,
        )
        if self.stopped is not None:
            result.reason += f"; not published: {self.stop_reason}"
            result.kind = Reason.PUBLISHING_STOPPED
            return result
        proposal = Proposal(
            recipe=c.recipe,
            finding=c.finding,
            branch=c.branch,
            base=self.base_sha,
            commit=sha,
            title=messages.title(c.recipe, c.finding),
            message=message,
            evidence=tuple(evidence),
            steps=tuple(steps),
            diff=c.patch,
            costs=c.costs,
            summary=c.summary,
        )
        published = self.publisher.publish(proposal)
        if isinstance(published, NotPublished):
            result.reason += f"; not published: {published.reason}"
            result.kind = published.kind
            if published.stop:
                self.stopped = published
                kind = (
                    NoteKind.PERMISSION_DENIED
                    if published.kind is Reason.PERMISSION_DENIED
                    else NoteKind.PUBLISHING_STOPPED
                )
                self.report.note(kind, self.stop_reason)
            return result
        result.branch, result.url, result.patch = published.branch, published.url, published.patch
        return result

    def _evidence(self, c: Candidate, outcome: Outcome | None) -> list[str]:
        evidence = list(c.evidence)
        if outcome is None:
            evidence.append("no tests in the repository: verified by compile and ruff only")
            return evidence
        evidence.append(
            f"tests {outcome.how}: "
            + "; ".join(
                s.detail.split(": ", 1)[-1] for s in outcome.steps if s.name == "tests" and s.ok
            )
        )
        evidence.append(
            f"tests ran in a sandbox: {self.sandbox.describe()}"
            if self.sandbox.active
            else f"tests ran unsandboxed: {self.sandbox.problem}"
        )
        if outcome.flaky:
            names = ", ".join(outcome.flaky)
            evidence.append(
                f"{names} failed once and passed on a rerun (a flaky test, or a failure only "
                "together with another fix)"
            )
            self.report.note(
                NoteKind.FLAKY, f"flaky test(s) seen verifying {c.finding.path}: {names}"
            )
        return evidence
