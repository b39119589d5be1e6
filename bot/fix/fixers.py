"""How a finding's fix is made in its worktree: a Fixer.

Deterministic findings carry their edits (ruff's, or a detector's codemod); applying them
is all the EditFixer does. Agent fixers (recipes with ``fix.agent``) edit the worktree
through their confined tools instead. Either way, what the fixer leaves in the worktree
then goes through the same guard and verification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.model import EditError, Finding, apply_edits
from bot.recipes.model import Recipe


@dataclass(frozen=True)
class FixOutcome:
    ok: bool
    reason: str = ""  # why not, when not ok
    summary: str = ""  # what the fixer says it did (agents), for the commit and PR
    costs: dict[str, float] = field(default_factory=dict)  # tokens, dollars, turns


class Fixer(Protocol):
    def apply(self, recipe: Recipe, finding: Finding, tree: Path) -> FixOutcome: ...


def apply_to_bytes(raw: bytes, finding: Finding) -> bytes:
    """Apply the finding's edits to a file's bytes, keeping its newlines and its BOM.

    Ruff's columns (and so every finding's) do not count a byte order mark.
    """
    text = raw.decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    return (bom + apply_edits(text.removeprefix(bom), finding.edits)).encode("utf-8")


class EditFixer:
    """Apply the edits the finder attached to the finding."""

    def apply(self, recipe: Recipe, finding: Finding, tree: Path) -> FixOutcome:
        del recipe
        if not finding.edits:
            return FixOutcome(False, "no automatic fix is available for this finding")
        target = tree / finding.path
        try:
            target.write_bytes(apply_to_bytes(target.read_bytes(), finding))
        except (EditError, UnicodeDecodeError, OSError) as exc:
            return FixOutcome(False, f"the fix does not apply to {finding.path}: {exc}")
        return FixOutcome(True)
