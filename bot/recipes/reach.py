"""`recipes validate` against a repository: scope globs that take none of its files.

A glob that cannot work (bad syntax, absolute, ``..``) is an error of ``validation``; a glob
that works but takes no file of the repository is only suspicious (the files may come
later, or the recipe is shared), so it is a warning. Only ``scope.include`` is checked: an
exclude that matches nothing (``docs/**`` in a repository without docs) is normal.

Adapter: asks git which files the checkout tracks (``git ls-files``, the index).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from bot.errors import UserError
from bot.globs import in_scope, matches
from bot.recipes.loader import FileResult
from bot.recipes.model import TEST_PATHS
from bot.recipes.yamlpos import display_path, load_yaml


@dataclass(frozen=True)
class RepoFiles:
    """The checkout scope globs are checked against, and the files git tracks in it."""

    top: Path
    files: tuple[str, ...]


def repository_files(repo: Path | None) -> RepoFiles | None:
    """``--repo``'s checkout (an error if it is in none); without it, the checkout around
    the current folder, or None when there is none (then nothing is checked)."""
    start = repo if repo is not None else Path.cwd()
    if repo is not None and not repo.is_dir():
        raise UserError("no such folder (check --repo)", display_path(repo), field="--repo")
    try:
        found = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        if repo is None:
            return None
        raise UserError(
            "is not inside a git checkout: pass --repo with a folder of one, or leave --repo "
            "out to skip checking scope globs against a repository's files",
            display_path(repo),
            field="--repo",
        ) from None
    if found.bare or found.working_tree_dir is None:
        if repo is None:
            return None
        raise UserError("is a bare repository: pass a checkout", display_path(repo), field="--repo")
    top = Path(found.working_tree_dir)
    listed = found.git.ls_files("-z")
    return RepoFiles(top, tuple(p for p in listed.split("\0") if p))


def scope_warnings(result: FileResult, repo: RepoFiles) -> list[str]:
    """``file:line: field: warning: ...`` for each include glob that takes no file of ``repo``."""
    recipe = result.recipe
    if recipe is None:
        return []
    doc = load_yaml(result.path, result.display)
    scope = doc.data.get("scope", {}) if isinstance(doc.data, dict) else {}
    declared = "include" in scope
    # The file's own excludes, without the default test paths (when it has them).
    defaults = recipe.exclude[: len(TEST_PATHS)] == TEST_PATHS
    own_exclude = recipe.exclude[len(TEST_PATHS) :] if defaults else recipe.exclude
    warnings = []
    for i, pattern in enumerate(recipe.include):
        path = ("scope", "include", i) if declared else ("scope",)
        taken = [p for p in repo.files if matches(p, [pattern])]
        if not taken:
            problem = (
                f"{'' if declared else 'the default include '}{pattern!r} matches no file git "
                f"tracks in {repo.top}: check the pattern (globs match whole paths from the "
                "repository root; '**/' spans any folders)"
            )
        elif not any(in_scope(p, [pattern], recipe.exclude) for p in taken):
            by_tests = defaults and any(in_scope(p, [pattern], own_exclude) for p in taken)
            problem = f"{pattern!r} matches {len(taken)} file(s) tracked in {repo.top}, but " + (
                "all of them are test code, which is excluded by default: set "
                "scope.include_tests: true for a recipe meant for tests"
                if by_tests
                else "scope.exclude drops every one of them"
            )
        else:
            continue
        error = doc.error(path, f"warning: {problem}")
        warnings.append(str(error))
    return warnings


def print_scope_warnings(results: Sequence[FileResult], repo: RepoFiles | None) -> None:
    """Print every warning of ``results`` on stderr (nothing without a repository)."""
    if repo is None:
        return
    for result in results:
        for warning in scope_warnings(result, repo):
            print(warning, file=sys.stderr)
