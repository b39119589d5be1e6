"""Fix one finding in its worktree and bound the change with the diff guard; nothing runs yet.

The patch is taken here, before any of the repository's code runs in the worktree (the
import-origin check and the tests come later): what the code does at import time can
never end up in the fix. A fix that brings lines over the repository's line-length limit
is first re-formatted with the repository's formatter (bot/fix/reformat.py), so the guard
bounds, and the patch holds, the fix as it will be verified and published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot import gitops
from bot.fix import guard
from bot.fix.fixers import Fixer
from bot.fix.reformat import reformat_long_lines
from bot.model import Finding
from bot.recipes.model import Recipe
from bot.report.results import FixResult, Reason, Status, Step

# How a fixer's ending maps onto the night's statuses (bot.agents.session.AgentOutcome.status).
_ENDINGS = {
    "gave_up": (Status.SKIPPED, Reason.AGENT_GAVE_UP),
    "skipped": (Status.SKIPPED, Reason.BUDGET),
    "errored": (Status.ERRORED, Reason.ERROR),
}


@dataclass(frozen=True)
class Fixed:
    """A fix made in its worktree and within the guard's bounds, with its patch."""

    changes: tuple[guard.FileChange, ...]
    patch: str
    diff_lines: int
    steps: tuple[Step, ...]
    costs: dict[str, float] = field(default_factory=dict)
    summary: str = ""

    @property
    def paths(self) -> list[str]:
        return [c.path for c in self.changes]

    @property
    def texts(self) -> dict[str, tuple[str, str]]:
        """path -> (old text, new text) of every changed file that existed before."""
        return {
            c.path: (c.old_text or "", c.new_text or "")
            for c in self.changes
            if c.old_text is not None
        }


def apply_fix(
    fixer: Fixer,
    recipe: Recipe,
    finding: Finding,
    tree: Path,
    base_sha: str,
    policy: guard.GuardPolicy,
) -> Fixed | FixResult:
    """The fixed tree's change, or why there is none (the fixer failed, the guard refused)."""
    outcome = fixer.apply(recipe, finding, tree)
    if not outcome.ok:
        status, kind = _ENDINGS.get(
            getattr(outcome, "status", ""), (Status.REJECTED, Reason.FIX_FAILED)
        )
        steps = [Step("fix", False, outcome.reason)] if outcome.costs else []
        return FixResult(
            finding, status, outcome.reason, kind=kind, steps=steps, costs=dict(outcome.costs)
        )
    changes = gitops.changed_files(tree, base_sha)
    formatted = reformat_long_lines(tree, changes)
    if formatted is not None:
        changes = gitops.changed_files(tree, base_sha)
    diff_lines = guard.changed_line_count(changes)
    verdict = guard.check(changes, policy)
    step = Step("guard", verdict.ok, "; ".join(verdict.reasons) or "diff within limits")
    steps = (step,) if formatted is None else (formatted, step)
    if not verdict.ok:
        return FixResult(
            finding,
            Status.REJECTED,
            "; ".join(verdict.reasons),
            kind=Reason.GUARD,
            diff_lines=diff_lines,
            steps=list(steps),
            costs=dict(outcome.costs),
        )
    return Fixed(
        changes=tuple(changes),
        patch=gitops.staged_patch(tree, base_sha),
        diff_lines=diff_lines,
        steps=steps,
        costs=dict(outcome.costs),
        summary=outcome.summary,
    )
