"""Verified fixes become commits on the base and Proposals for the night's publisher.

Each batch's verified fixes are planned into PRs first (``grouping``: by the recipe's
``pr.grouping``, neighbouring lines together): a PR of one fix is one commit on the base;
a group is one commit per fix, stacked in order. A fix whose change no longer applies on
top of the group's earlier ones waits for a later night, as does one next to a fix that is
already in a PR. Publishing stops for the rest of the night when the publisher says so (a
rate limit, a token that may not write); fixes verified after that are kept in the report,
unpublished. Each recipe's quota of new PRs tonight (``quota``) is the publisher's to say.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import git

from bot import gitops, pysource
from bot.config import RepoConfig
from bot.model import Finding
from bot.publish import grouping, messages
from bot.publish.grouping import Claim, Group
from bot.publish.proposal import NotPublished, Proposal, Published, Publisher
from bot.publish.quota import Quota
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import UNTESTED_TEXT, CoveredBy, FixResult, NoteKind, Reason, Status, Step
from bot.sandbox.bwrap import Sandbox
from bot.verify.footprint import function_at
from bot.verify.grouped import Candidate, Outcome

if TYPE_CHECKING:
    from bot.agents.refute import Refutation


class Refuting(Protocol):
    """Tries to refute verified agent fixes (``bot.agents.refute.Refuter``)."""

    def refute_all(self, candidates: Sequence[Candidate]) -> Mapping[int, Refutation]: ...


def requires_coverage(recipe: Recipe, config: RepoConfig) -> bool:
    """The recipe's ``verify.require_coverage``, else the config's (default: required)."""
    wanted = recipe.verify_require_coverage
    return config.require_coverage if wanted is None else wanted


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
        self.claims: list[Claim] = []  # lines open PRs and tonight's PRs already change
        self._trees: dict[str, ast.Module | None] = {}  # base files, for the functions
        self.refuter: Refuting | None = None  # agent fixes' refuter, when agents run
        self._refuted: dict[int, Refutation] = {}
        self.quotas: dict[str, Quota] = {}
        self.titles: set[str] = set()  # tonight's PR titles: no two PRs share one
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

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        """The publisher's ``prior``; a finding already in an open PR claims its lines."""
        said = self.publisher.prior(recipe, finding, branch)
        if said is not None and said.kind is Reason.ALREADY_PROPOSED:
            spans = grouping.finding_spans(finding)
            self.claims.append(Claim(recipe.id, spans, said.reason))  # "already open as #3"
        return said

    def conclude(self, c: Candidate, outcome: Outcome | None) -> FixResult:
        """One fix, alone: record its verification; commit and publish it when verified."""
        return self.conclude_all([c], {c.key: outcome} if outcome else {})[0]

    def conclude_all(
        self, batch: Sequence[Candidate], outcomes: Mapping[int, Outcome]
    ) -> list[FixResult]:
        """Every candidate's result, in order: rejected, waiting, or committed and published."""
        results: dict[int, FixResult] = {}
        verified: list[Candidate] = []
        for c in batch:
            outcome = outcomes.get(c.key)
            if outcome is not None and not outcome.ok:
                results[c.key] = FixResult(
                    c.finding,
                    Status.REJECTED,
                    outcome.reason,
                    kind=Reason.TESTS_FAILED,
                    diff_lines=c.diff_lines,
                    steps=[*c.steps, *outcome.steps],
                    costs=c.costs,
                    covered_by=outcome.covered,
                )
            elif (
                outcome is not None
                and _untested(outcome)
                and requires_coverage(c.recipe, self.config)
            ):
                results[c.key] = FixResult(
                    c.finding,
                    Status.REJECTED,
                    f"{UNTESTED_TEXT}: the tests pass ({outcome.how}), but none of them runs "
                    "this change; `verify.require_coverage: false` publishes such fixes as "
                    "drafts labelled untested",
                    kind=Reason.UNTESTED,
                    diff_lines=c.diff_lines,
                    steps=[*c.steps, *outcome.steps],
                    costs=c.costs,
                    covered_by=outcome.covered,
                )
            else:
                verified.append(c)
        verified = self._refute(verified, outcomes, results)
        planned = grouping.plan(
            verified,
            lambda recipe: grouping.grouping_of(recipe, self.config.pr_grouping),
            self._unit_of,
            self.claims,
            one_group=bool(getattr(self.publisher, "one_pr", False)),
        )
        for c in verified:
            if c.key in planned.waiting:
                result, _evidence = self._verified(c, outcomes.get(c.key))
                result.reason += f"; {planned.waiting[c.key]}"
                result.kind = Reason.NEIGHBOUR_PROPOSED
                results[c.key] = result
        for group in planned.groups:
            results |= self._publish_group(group, outcomes)
        return [results[c.key] for c in batch]

    def _refute(
        self,
        verified: list[Candidate],
        outcomes: Mapping[int, Outcome],
        results: dict[int, FixResult],
    ) -> list[Candidate]:
        """The verified fixes no refuter's test tells from the base; the others rejected."""
        if self.refuter is None or not verified:
            return verified
        said = self.refuter.refute_all(verified)
        self._refuted |= said
        kept = []
        for c in verified:
            refutation = said.get(c.key)
            if refutation is None or not refutation.refuted:
                kept.append(c)
                continue
            result, _evidence = self._verified(c, outcomes.get(c.key))
            result.status, result.kind = Status.REJECTED, Reason.REFUTED
            result.reason = refutation.reason
            results[c.key] = result
        return kept

    # ------------------------------------------------------------------ one PR

    def _publish_group(self, group: Group, outcomes: Mapping[int, Outcome]) -> dict[int, FixResult]:
        """Commit the group's fixes one on another, then publish them as one proposal."""
        results: dict[int, FixResult] = {}
        kept: list[tuple[Candidate, FixResult, Proposal]] = []
        first, *rest = group.members
        result, evidence = self._verified(first, outcomes.get(first.key))
        message = _message(first, outcomes.get(first.key), evidence, self._unit_of(first.finding))
        author = (self.config.author_name, self.config.author_email)
        sha = gitops.commit_patch(self.repo, self.base_sha, first.patch, message, *author)
        result.commit = sha
        kept.append((first, result, self._proposal(first, sha, message, evidence, result)))
        if rest:
            with gitops.worktree(
                self.repo, sha, f"group-{first.finding.short_fingerprint}"
            ) as tree:
                texts = dict(first.changes)  # path -> (base text, the group's text so far)
                for c in rest:
                    result, evidence = self._verified(c, outcomes.get(c.key))
                    if not _stack(tree, c, texts):
                        result.reason += (
                            "; not published: its change overlaps an earlier fix of its "
                            "group; a later night proposes it once that PR is merged or closed"
                        )
                        result.kind = Reason.NEIGHBOUR_PROPOSED
                        results[c.key] = result
                        continue
                    message = _message(c, outcomes.get(c.key), evidence, self._unit_of(c.finding))
                    sha = result.commit = gitops.commit_all(tree, message, *author)
                    kept.append((c, result, self._proposal(c, sha, message, evidence, result)))
        proposal = kept[0][2] if len(kept) == 1 else self._group_proposal(group, kept, sha)
        line = proposal.finding.start_line
        proposal = replace(
            proposal, title=messages.distinct_title(proposal.title, self.titles, line)
        )
        published = self._publish(proposal)
        if isinstance(published, Published):
            self.titles.add(proposal.title)
        for c, result, _proposal in kept:
            results[c.key] = result
            if isinstance(published, NotPublished):
                result.reason += f"; not published: {published.reason}"
                result.kind = published.kind
                continue
            result.branch, result.url = published.branch, published.url
            result.patch = published.patch
            where = f"published tonight as {published.url or published.branch}"
            self.claims.append(Claim(c.recipe.id, c.footprint.spans, where))
        return results

    def _publish(self, proposal: Proposal) -> Published | NotPublished:
        if self.stopped is not None:
            return NotPublished(self.stop_reason, kind=Reason.PUBLISHING_STOPPED)
        published = self.publisher.publish(proposal)
        if isinstance(published, NotPublished) and published.stop:
            self.stopped = published
            kind = (
                NoteKind.PERMISSION_DENIED
                if published.kind is Reason.PERMISSION_DENIED
                else NoteKind.PUBLISHING_STOPPED
            )
            self.report.note(kind, self.stop_reason)
        return published

    def _proposal(
        self, c: Candidate, sha: str, message: str, evidence: list[str], result: FixResult
    ) -> Proposal:
        return Proposal(
            recipe=c.recipe,
            finding=c.finding,
            branch=c.branch,
            base=self.base_sha,
            commit=sha,
            title=messages.title(c.recipe, c.finding, self._unit_of(c.finding)),
            message=message,
            evidence=tuple(evidence),
            steps=tuple(result.steps),
            diff=c.patch,
            costs=c.costs,
            summary=c.summary,
            untested=result.covered_by is not None and result.covered_by.untested,
        )

    def _group_proposal(
        self, group: Group, kept: list[tuple[Candidate, FixResult, Proposal]], head: str
    ) -> Proposal:
        """The PR of a group: its members' proposals, the last commit, the combined diff."""
        fixes = tuple(p for _c, _r, p in kept)
        group = replace(group, members=tuple(c for c, _r, _p in kept))
        costs: dict[str, float] = {}
        for fix in fixes:
            for key, value in fix.costs.items():
                costs[key] = costs.get(key, 0.0) + value
        return Proposal(
            recipe=group.recipe,
            finding=fixes[0].finding,
            branch=grouping.branch_name(group),
            base=self.base_sha,
            commit=head,
            title=grouping.title(group),
            message=fixes[-1].message,
            evidence=tuple(
                f"{f.finding.path}:{f.finding.start_line} {f.finding.rule}: {line}"
                for f in fixes
                for line in f.evidence
                if line.startswith("tests ")
            ),
            steps=(),
            diff=self.repo.git.diff(
                "--no-ext-diff",
                "--no-textconv",
                "--no-color",
                self.base_sha,
                head,
                strip_newline_in_stdout=False,
            ),
            costs=costs,
            untested=any(fix.untested for fix in fixes),
            fixes=fixes,
            grouping=group.grouping,
            unit=group.unit,
        )

    # ------------------------------------------------------------------ one fix

    def _verified(self, c: Candidate, outcome: Outcome | None) -> tuple[FixResult, list[str]]:
        """The fix's result as verified (no commit yet), and its evidence."""
        evidence = self._evidence(c, outcome)
        steps = [*c.steps, *(outcome.steps if outcome else ())]
        refutation = self._refuted.get(c.key)
        if refutation is not None:
            evidence.append(refutation.detail)
            steps.append(Step("refute", not refutation.refuted, refutation.detail))
        result = FixResult(
            c.finding,
            Status.VERIFIED,
            "; ".join(evidence),
            kind=Reason.PUBLISHED,
            diff_lines=c.diff_lines,
            steps=steps,
            costs=c.costs,
            summary=c.summary,
            covered_by=outcome.covered if outcome is not None else None,
            refutation=refutation.to_json() if refutation is not None else None,
        )
        return result, evidence

    def _unit_of(self, finding: Finding) -> str:
        """The def or class around the finding, in the base file's AST ("<module>" if none)."""
        if finding.path not in self._trees:
            try:
                text = self.repo.git.show(f"{self.base_sha}:{finding.path}")
                self._trees[finding.path] = pysource.parse(text)
            except (git.GitCommandError, SyntaxError, ValueError):
                self._trees[finding.path] = None
        tree = self._trees[finding.path]
        return function_at(tree, finding.start_line) if tree is not None else "<module>"

    def _evidence(self, c: Candidate, outcome: Outcome | None) -> list[str]:
        evidence = list(c.evidence)
        if outcome is None:
            evidence.append("no tests in the repository: verified by compile and ruff only")
            return evidence
        passed = [
            s.detail.split(": ", 1)[-1]
            for s in outcome.steps
            if s.name in ("tests", "failing-tests") and s.ok
        ]
        # A fix verified by a failed group's run (no failing test executed it) has no step
        # of its own that passed: its reason says what the run showed.
        shown = "; ".join(passed) or outcome.reason.removeprefix(f"{outcome.how}: ")
        evidence.append(f"tests {outcome.how}: {shown}")
        evidence.append(
            f"tests ran in a sandbox: {self.sandbox.describe()}"
            if self.sandbox.active
            else f"tests ran unsandboxed: {self.sandbox.problem}"
        )
        if outcome.covered is not None:  # first when it says no test executes the change
            at = 0 if outcome.covered.untested else len(evidence)
            evidence.insert(at, outcome.covered.describe())
        python = self.report.python  # which Python ran the tests, and why
        if python:
            evidence.append(f"tests ran with {python.get('path')} ({python.get('why')})")
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


def _untested(outcome: Outcome) -> bool:
    """The tests were measured, and none of them executed the fix's changed lines."""
    return outcome.covered is not None and outcome.covered.untested


def _message(c: Candidate, outcome: Outcome | None, evidence: list[str], unit: str) -> str:
    """The fix's commit message; its Nightcrew-Covered-By trailer says 0 when no test ran
    at all (verify.allow_lint_only), ``unknown`` when the tests ran unmeasured."""
    covered = outcome.covered if outcome is not None else None
    trailer = covered or CoveredBy(() if outcome is None else None, "not measured")
    return messages.commit_message(c.recipe, c.finding, evidence, trailer, unit)


def _stack(tree: Path, c: Candidate, texts: dict[str, tuple[str, str]]) -> bool:
    """Make ``c``'s change in ``tree`` on top of the group's earlier fixes; False if it
    overlaps them. A file no earlier fix changed takes ``c``'s own patch as it is."""
    if texts.keys().isdisjoint(c.changes):
        if gitops.apply_patch(tree, c.patch) is not None:
            return False
        texts.update(c.changes)
        return True
    merged = {}
    for path, (old, new) in c.changes.items():
        text = grouping.merge_texts(old, texts.get(path, (old, old))[1], new)
        if text is None:
            return False
        merged[path] = text
    for path, text in merged.items():
        (tree / path).write_bytes(text.encode("utf-8", errors="surrogateescape"))
        texts[path] = (c.changes[path][0], text)
    return True
