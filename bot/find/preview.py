"""`nightcrew find`: what every enabled recipe finds, in seconds, with no test run.

The night's own finders (``find.search.find``) run over each recipe's scope
(``find.sweep.scope``: its globs, less the protected paths; no shards) of the commit the
night works from (the config's ``base:``, default HEAD). They read a copy of that commit's
files (``gitops.exported_tree``: a private index checked out into a temporary folder), so
uncommitted changes are not searched, and the user's checkout, index and branches are never
touched: no worktree, no branch, no test, no fix.

Schedules are ignored: every enabled recipe (the config's ``recipes:``, default all), or
the ``--recipe`` ones. Agent recipes run their deterministic part only: a ``fix.agent``
recipe's ruff rules and detectors (``copy-candidates`` is such a prefilter) list the
candidates an agent judges at night; a ``find.agent`` finder needs the Claude key and the
sandbox, so it is not run, and the recipe says so.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import gitops
from bot.config import check_enabled, load_config
from bot.errors import CommandError, UserError
from bot.find.search import find
from bot.find.sweep import scope
from bot.fix import guard
from bot.model import Finding
from bot.recipes.loader import discover
from bot.recipes.model import Recipe
from bot.recipes.schedule import select_recipes
from bot.report.document import finding_json

AGENT_FIND_NOT_RUN = "its agent finder (find.agent) is not run by `find`: it needs Claude"
AGENT_JUDGES = "candidates: at night an agent judges each one"


@dataclass
class Found:
    """One recipe's findings, or why it found nothing."""

    recipe: Recipe
    files: int  # in its scope
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""  # the finder failed; the other recipes still ran

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.recipe.id,
            "files": self.files,
            "count": len(self.findings),
            "notes": self.notes,
            "error": self.error or None,
            "findings": [finding_json(f) for f in self.findings],
        }


@dataclass
class Preview:
    """What `nightcrew find` saw: the commit it searched and each recipe's findings."""

    repo: Path
    base: str
    recipes: list[Found]
    dirty: bool = False  # the working tree has changes `find` did not search

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": str(self.repo),
            "base": self.base,
            "dirty_worktree": self.dirty,
            "recipes": [r.to_json() for r in self.recipes],
        }


def preview(
    repo_path: Path,
    recipe_ids: Sequence[str] = (),
    config_path: Path | None = None,
) -> Preview:
    """Every chosen recipe's findings on the base commit; bad input raises UserError."""
    repo = gitops.open_repo(repo_path.resolve())
    top = Path(repo.working_tree_dir or repo_path.resolve())
    config = load_config(top, config_path)
    recipes = discover(top, tuple(config.recipe_dirs))
    check_enabled(config, recipes)
    chosen, _ = select_recipes(recipes, config, recipe_ids, datetime.now(UTC), every=True)
    base = gitops.resolve_base(repo, config.base)
    files = gitops.tracked_files(repo, base)
    protected = guard.DEFAULT_PROTECTED + tuple(config.protected)
    with gitops.exported_tree(repo, base) as tree:
        found = [_search(recipe, tree, scope(recipe, files, protected)) for recipe in chosen]
    return Preview(top, base, found, gitops.is_dirty(repo))


def _search(recipe: Recipe, tree: Path, scoped: list[str]) -> Found:
    result = Found(recipe, len(scoped))
    if recipe.agent_find is not None:
        result.notes.append(AGENT_FIND_NOT_RUN)
    if recipe.agent_fix is not None and (recipe.ruff_select or recipe.detectors):
        result.notes.append(AGENT_JUDGES)
    try:
        result.findings = find(recipe, tree, scoped)
    except UserError:
        raise
    except Exception as exc:  # as in the night: one recipe's finder failing skips only it
        result.error = str(exc) if isinstance(exc, CommandError) else f"{type(exc).__name__}: {exc}"
    return result


def cmd_find(args: argparse.Namespace) -> int:
    """`nightcrew find`: 0, or 1 when a recipe's finder failed (the others are still shown)."""
    config = Path(args.config) if args.config else None
    seen = preview(Path(args.repo), tuple(args.recipe), config)
    if args.json:
        print(json.dumps(seen.to_json(), indent=2))
    else:
        print(render(seen))
    return 1 if any(r.error for r in seen.recipes) else 0


def render(seen: Preview) -> str:
    """The findings as a table, then one line per recipe with its count."""
    header = ("RECIPE", "RULE", "WHERE", "MESSAGE")
    rows = [
        (
            f.recipe,
            f.rule,
            f"{f.path}:{f.start_line}",
            f.message.splitlines()[0] if f.message else "",
        )
        for r in seen.recipes
        for f in r.findings
    ]
    lines = []
    if rows:
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        lines.append("")
    width = max((len(r.recipe.id) for r in seen.recipes), default=0)
    for r in seen.recipes:
        count = f"{len(r.findings)} finding(s) in {r.files} file(s)"
        if r.error:
            count = f"could not search: {r.error}"
        notes = f" ({'; '.join(r.notes)})" if r.notes else ""
        lines.append(f"{r.recipe.id.ljust(width)}  {count}{notes}")
    if not seen.recipes:
        lines.append("no recipe is enabled (see the config's `recipes:`)")
    total = sum(len(r.findings) for r in seen.recipes)
    lines.append(f"{total} finding(s) on {seen.base[:10]}; no test was run, nothing was changed.")
    if seen.dirty:
        lines.append("Uncommitted changes were not searched: the night works from commits too.")
    return "\n".join(lines)
