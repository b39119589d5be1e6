"""`nightcrew recipes list | validate | schema`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import load_config
from bot.errors import UserError
from bot.recipes import loader, validation
from bot.recipes.yamlpos import display_path

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def cmd_list(args: argparse.Namespace) -> int:
    """Print a table of the built-in recipes and, with ``--repo``, the repository's."""
    repo = Path(args.repo) if getattr(args, "repo", None) else None
    if repo is not None and not repo.is_dir():
        raise UserError("no such folder (check --repo)", display_path(repo))
    extra = load_config(repo).recipe_dirs if repo is not None else ()
    recipes = loader.discover(repo, extra)
    header = ("ID", "VERSION", "SCHEDULE", "SOURCE", "TITLE")
    rows = [header] + [
        (
            r.id,
            str(r.version),
            r.schedule,
            "built-in" if r.builtin or r.source is None else display_path(r.source),
            r.title,
        )
        for r in recipes
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Check recipe files: ``ok  <path>`` for each good one, every error of each bad one;
    against a repository (``--repo``, else the checkout around ``.``), warn of scope globs
    that take none of its files."""
    from bot.recipes.reach import print_scope_warnings, repository_files

    repo = repository_files(Path(args.repo) if getattr(args, "repo", None) else None)
    paths = [Path(p) for p in args.paths]
    if not paths:
        paths = [loader.builtin_recipes_dir()]
        base = repo.top if repo is not None and getattr(args, "repo", None) else Path.cwd()
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
