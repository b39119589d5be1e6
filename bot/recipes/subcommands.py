"""`nightcrew recipes list | validate | schema`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot import gitops
from bot.config import RepoConfig, check_enabled, load_config
from bot.errors import UserError
from bot.recipes import loader, schedule, validation
from bot.recipes.model import Recipe
from bot.recipes.yamlpos import display_path

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def cmd_list(args: argparse.Namespace) -> int:
    """The built-in recipes and the repository's, as a table or JSON; 2 if any is bad.

    Bad repository recipes (and a bad config) do not hide the rest: every recipe that
    loads is listed, then every error is printed, and the exit status is 2 (`run` would
    refuse the same files).
    """
    folder = Path(args.repo)
    if not folder.is_dir():
        raise UserError("no such folder (check --repo)", display_path(folder))
    repo = gitops.top_level(folder) or folder
    errors: list[UserError] = []
    try:
        config = load_config(repo)
    except UserError as exc:
        errors.append(exc)
        config = RepoConfig()
    found = loader.scan(repo, config.recipe_dirs)
    errors += found.errors
    try:
        check_enabled(config, found.recipes)
    except UserError as exc:
        errors.append(exc)
    rows = describe(found.recipes, config, datetime.now(UTC))
    if getattr(args, "json", False):
        data = {"recipes": rows, "errors": [asdict(e) for e in errors]}
        print(json.dumps(data, indent=2))
    else:
        print_table(rows)
    for error in errors:
        print(f"nightcrew: error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT if errors else EXIT_OK


def describe(recipes: list[Recipe], config: RepoConfig, now: datetime) -> list[dict[str, Any]]:
    """One JSON object per recipe: where it comes from, whether it runs tonight, and when next."""
    on = {r.id for r in schedule.enabled(recipes, config)}
    return [
        {
            "id": r.id,
            "version": r.version,
            "title": r.title,
            "schedule": r.schedule,
            "enabled": r.id in on,
            "due_today": schedule.is_due(r.schedule, now),
            "next_due": schedule.next_due(r.schedule, now).isoformat(),
            "builtin": r.builtin,
            "source": None if r.source is None else display_path(r.source),
            "replaces": None if r.replaces is None else display_path(r.replaces),
        }
        for r in recipes
    ]


def _due(row: dict[str, Any]) -> str:
    if not row["enabled"]:
        return "off (not in the config's recipes:)"
    if row["due_today"]:
        return "today"
    return f"{date.fromisoformat(row['next_due']):%a %Y-%m-%d}"


def _source(row: dict[str, Any]) -> str:
    if row["builtin"] or row["source"] is None:
        return "built-in"
    return row["source"] + (" (replaces the built-in)" if row["replaces"] else "")


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ("ID", "VERSION", "SCHEDULE", "DUE", "SOURCE", "TITLE")
    table = [header] + [
        (r["id"], str(r["version"]), r["schedule"], _due(r), _source(r), r["title"]) for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))


def cmd_validate(args: argparse.Namespace) -> int:
    """Check recipe files: ``ok  <path>`` for each good one, every error of each bad one;
    against a repository (``--repo``, else the checkout around ``.``), warn of scope globs
    that take none of its files.

    Without paths: the built-ins and ``.nightcrew/recipes`` of that checkout (its top
    level, found upward as git does).
    """
    from bot.recipes.reach import print_scope_warnings, repository_files

    repo = repository_files(Path(args.repo) if getattr(args, "repo", None) else None)
    paths = [Path(p) for p in args.paths]
    if not paths:
        paths = [loader.builtin_recipes_dir()]
        base = repo.top if repo is not None else Path.cwd()
        if (base / loader.REPO_RECIPES_DIR).is_dir():
            paths.append(base / loader.REPO_RECIPES_DIR)
    bad = False
    files: list[Path] = []
    for path in paths:
        try:
            files += loader.recipe_files([path])
        except UserError as exc:  # a missing path or a folder without recipes
            print(exc, file=sys.stderr)
            bad = True
    results = loader.check_files(files)
    for result in results:
        for error in result.errors:
            print(error, file=sys.stderr)
        if result.errors:
            bad = True
        else:
            print(f"ok  {result.display}")
    print_scope_warnings(results, repo)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of recipe files."""
    sys.stdout.write(validation.recipe_schema_text())
    return EXIT_OK
