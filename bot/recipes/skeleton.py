"""`nightcrew recipes new ID`: a commented recipe skeleton that validates and tests green.

The skeleton is a working recipe (ruff's E713 and E714, with fixtures), so the first
`recipes validate` and `recipes test` pass and every later failure is the author's edit.
It is written where the repository's recipes are found (the first of the config's
``recipe_dirs``, by default ``.nightcrew/recipes``), or to ``--out``; never over a file.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import git

from bot.config import load_config
from bot.errors import UserError
from bot.recipes import loader
from bot.recipes.validation import recipe_schema
from bot.recipes.yamlpos import display_path

SKELETON = """\
# A Nightcrew recipe. Guide: docs/recipes.md, "Writing your own recipe"; every key:
# `nightcrew recipes schema` (a JSON Schema editors can use for completion).
# Check it:  nightcrew recipes validate __FILE__
# Test it:   nightcrew recipes test __FILE__
# Try it:    nightcrew run --recipe __ID__
schema_version: 1
id: __ID__
# Bump the version when the recipe's behaviour changes: commits and PRs show it.
version: 1
# One line, then why the change is worth a reviewer's minute: PRs quote the description.
title: Write `not in` and `is not`
description: |
  `not x in y` and `not x is None` read as if `not` applied to `x`; `x not in y` and
  `x is not None` say what is tested, and mean exactly the same.
  (This is the skeleton's example: replace the finder, the text and the tests.)
# @daily, @weekly (Sundays), @monthly (the 1st), or cron days such as "0 3 * * 1".
schedule: "@weekly"
scope:
  # Globs over whole repo-relative paths; ** spans folders.
  include: ["**/*.py"]
  # Test code (test/, tests/, testing/ at any depth, test_*.py, *_test.py, conftest.py)
  # is excluded already; write `include_tests: true` for a recipe meant for tests.
  exclude: ["docs/**"]
find:
  # What finds: ruff rules (`ruff rule E713` explains one), Nightcrew's detectors
  # (`detectors: [...]`), or a Claude agent (`agent: {instructions: ...}`, docs/agents.md).
  ruff:
    select: [E713, E714]
fix:
  # Only the fixes ruff marks safe. Your test suite still gates every fix.
  unsafe: false
verify:
  # grouped: fixes to separate code share test runs; each: one test run per fix.
  mode: grouped
pr:
  # Placeholders: {recipe} {recipe_title} {recipe_version} {rule} {message} {path}
  # {function} (`Class.method`, or module-level code) {line} {fingerprint}
  title: "{recipe_title} in {function} ({path})"
  labels: [nightcrew]
  max_per_night: 5  # at most; fewer on GitHub while reviewers close its PRs unmerged
# `nightcrew recipes test` runs these through the real finder and fixer. A case without
# `path:` is written to a file the scope takes (example.py for "**/*.py").
tests:
  - id: not-in
    before: |
      def missing(key, table):
          return not key in table
    after: |
      def missing(key, table):
          return key not in table
  - id: is-not
    before: |
      def given(value):
          return not value is None
    after: |
      def given(value):
          return value is not None
  # A decoy: code the recipe must leave alone.
  - id: already-not-in
    unchanged: |
      def missing(key, table):
          return not (key in table and table[key]) or key is not None
"""


def check_id(recipe_id: str) -> None:
    """Refuse an id the schema would refuse, quoting the schema's rule."""
    rule = recipe_schema()["properties"]["id"]
    if not re.fullmatch(rule["pattern"], recipe_id) or len(recipe_id) > rule["maxLength"]:
        message = rule["errorMessage"].replace("{value}", repr(recipe_id))
        raise UserError(f"{message}; at most {rule['maxLength']} characters", field="ID")


def skeleton(recipe_id: str, file: str) -> str:
    """The skeleton's text for ``recipe_id``, its comments naming ``file``."""
    return SKELETON.replace("__ID__", recipe_id).replace("__FILE__", file)


def recipe_folder(repo: Path) -> Path:
    """Where the repository's recipes are found: its top level's first ``recipe_dirs``."""
    if not repo.is_dir():
        raise UserError("no such folder (check --repo)", display_path(repo), field="--repo")
    try:
        top = Path(git.Repo(repo, search_parent_directories=True).working_tree_dir or repo)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        top = repo
    dirs = load_config(top).recipe_dirs
    return top / (dirs[0] if dirs else loader.REPO_RECIPES_DIR)


def write_skeleton(recipe_id: str, target: Path) -> None:
    """Write the skeleton to ``target``; an existing file is never overwritten."""
    check_id(recipe_id)
    shown = display_path(target)
    if target.exists():
        raise UserError("already exists: pick another id or --out FILE (nothing written)", shown)
    same_id = _files_with_id(target.parent, recipe_id)
    if same_id:
        raise UserError(
            f"{same_id[0]} already has the id {recipe_id!r}: pick another id (nothing written)",
            shown,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(skeleton(recipe_id, shown))
    except FileExistsError:
        raise UserError("already exists: pick another id or --out FILE", shown) from None
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", shown) from None


def _files_with_id(folder: Path, recipe_id: str) -> list[str]:
    """The recipe files in ``folder`` whose id is ``recipe_id`` (broken files are skipped)."""
    if not folder.is_dir() or not any(p.suffix in loader.RECIPE_SUFFIXES for p in folder.iterdir()):
        return []
    results = loader.check_files([folder])
    return [r.display for r in results if r.recipe is not None and r.recipe.id == recipe_id]


def cmd_new(args: argparse.Namespace) -> int:
    """``nightcrew recipes new ID [--repo PATH | --out FILE]``: 0 when written."""
    check_id(args.id)
    target = Path(args.out) if args.out else recipe_folder(Path(args.repo)) / f"{args.id}.yml"
    write_skeleton(args.id, target)
    shown = display_path(target)
    print(f"wrote {shown}")
    builtin = {p.stem for p in loader.builtin_recipes_dir().glob("*.yml")}
    if args.id in builtin and not args.out:
        print(f"note: it replaces the built-in recipe {args.id!r} in this repository")
    print(f"next: nightcrew recipes validate {shown} && nightcrew recipes test {shown}")
    return 0
