"""Where verified fixes go (pure): the Publisher protocol and the values it takes and gives.

The night asks ``quota`` once per recipe (how many of its fixes to try tonight), calls
``prior`` for each finding before trying it (is it already proposed, ignored, or over a
limit?), and ``publish`` for each verified fix, whose commit already
exists (one commit on the base, authored by Nightcrew). A GitHub publisher pushes that
commit and opens a PR; the local one makes a branch and writes a patch. A group of fixes
(``pr.grouping``) is one Proposal whose ``fixes`` are its members, one commit each, stacked
on the base in order; its ``commit`` is the last of them and its ``finding`` the first's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.model import Finding
from bot.publish.quota import Quota
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.results import Reason, Step


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
    untested: bool = False  # no test executes its lines; published as a draft labelled so
    fixes: tuple[Proposal, ...] = ()  # a group's members, in commit order; () for one fix
    grouping: str = "finding"  # how the group was formed (recipes.model.GROUPINGS)
    unit: str = "<module>"  # a group's: the def or class all of its fixes are in, if one

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """Every finding this proposal fixes, in commit order."""
        return tuple(p.finding.fingerprint for p in self.fixes) or (self.finding.fingerprint,)


@dataclass(frozen=True)
class Published:
    branch: str
    url: str | None = None  # a PR's address, when there is one
    patch: str | None = None  # a patch file's path, when one was written
    note: str = ""


@dataclass(frozen=True)
class NotPublished:
    """Not published (or, from ``prior``, not tried); ``stop`` asks the night to publish
    nothing more (rate limits, a token that may not write)."""

    reason: str
    stop: bool = False
    kind: Reason = Reason.PUBLISH_FAILED


class Publisher(Protocol):
    name: str

    def prior(self, recipe: Recipe, finding: Finding, branch: str) -> NotPublished | None:
        """Why this finding must not be tried tonight, or None to go ahead."""
        ...

    def publish(self, proposal: Proposal) -> Published | NotPublished:
        """Make the verified fix visible; never raises for expected failures."""
        ...

    def quota(self, recipe: Recipe) -> Quota | None:
        """The recipe's new PRs tonight from its record here; None: no record (its maximum)."""
        ...

    def finish(self, report: NightReport) -> None:
        """After the night: tidy what tonight's findings say is gone (close stale PRs)."""
        ...
