"""The night's sweep: every recipe's finders over its scope of the base tree.

A recipe's scope is the tracked files (of this shard) that its include/exclude globs take,
less the protected paths. One recipe's finder crashing skips only that recipe. A repository
recipe that replaces a built-in is said in a note, so the swap is never silent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import CommandError, UserError
from bot.find.search import find
from bot.globs import in_scope, matches
from bot.model import Finding
from bot.recipes.model import Recipe
from bot.report.document import NightReport
from bot.report.progress import Phase, Progress
from bot.report.results import NoteKind

if TYPE_CHECKING:
    from bot.agents.session import AgentSession

AGENTS_NEED_SANDBOX = (
    "needs a sandbox for the code its agents write (see the note on the sandbox); "
    "install bubblewrap, or set `sandbox: {mode: disabled}` to accept the risk"
)
AGENTS_NEED_KEY = "needs Claude agents: set ANTHROPIC_API_KEY to run it"


def uses_agents(recipe: Recipe) -> bool:
    return recipe.agent_find is not None or recipe.agent_fix is not None


def scope(recipe: Recipe, files: Sequence[str], protected: Sequence[str]) -> list[str]:
    """The files the recipe searches: taken by its include/exclude globs, not protected."""
    return [
        p
        for p in files
        if in_scope(p, recipe.include, recipe.exclude) and not matches(p, protected)
    ]


def sweep(
    recipes: Sequence[Recipe],
    tree: Path,
    files: Sequence[str],
    *,
    protected: Sequence[str],
    agents: AgentSession | None,
    agents_allowed: bool,
    report: NightReport,
    progress: Progress,
) -> list[tuple[Recipe, Finding]]:
    """Each recipe's findings in its scope, in recipe order; skipped recipes say why."""
    started = time.monotonic()
    work: list[tuple[Recipe, Finding]] = []
    for recipe in recipes:
        if recipe.replaces is not None:
            mine = os.path.relpath(recipe.source or "", Path(report.repo).resolve())
            text = f"recipe {recipe.id} is the repository's {mine}, which replaces the built-in"
            note = report.note(NoteKind.RECIPE_REPLACED, text)
            progress(Phase.SETUP, note.text)
        if uses_agents(recipe) and not agents_allowed:
            report.recipes_skipped.append((recipe.id, AGENTS_NEED_SANDBOX))
            continue
        if uses_agents(recipe) and agents is None:
            report.recipes_skipped.append((recipe.id, AGENTS_NEED_KEY))
            continue
        scoped = scope(recipe, files, protected)
        try:
            findings = find(recipe, tree, scoped)
            if recipe.agent_find is not None and agents is not None:
                findings += agents.find(recipe, tree, scoped)
        except UserError:
            raise
        except Exception as exc:  # one recipe's finder failing never stops the night
            reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, CommandError) else exc
            note = report.note(
                NoteKind.SEARCH_FAILED, f"recipe {recipe.id} could not search: {reason}"
            )
            progress(Phase.FIND, note.text)
            continue
        if recipe.agent_find is None:
            # Agents' findings vary from night to night: a missing one proves nothing gone.
            report.recipes_searched.append(recipe.id)
        progress(Phase.FIND, f"{recipe.id}: {len(findings)} finding(s) in {len(scoped)} file(s)")
        report.findings.extend(findings)
        work.extend((recipe, f) for f in findings)
    report.timings["find"] = time.monotonic() - started
    return work
