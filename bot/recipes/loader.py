"""Find and load recipe files into Recipes; every mistake is ``file:line: field:``.

Checking a file is ``validation``'s (schema, then semantic checks); this module reads the
files, builds Recipe values from the ones that pass, and finds them.

Where recipes come from (``discover``): the built-ins, then the repository's recipe folders
(``.nightcrew/recipes`` and any extra ones). A repository recipe with the same id as a
built-in *replaces* it, so a team can tune a built-in by copying its file (the recipe's
``replaces`` names the built-in's file, so the night and ``recipes list`` can say so). Two
files with the same id in one folder, or across the repository's folders, are an error.
``scan`` goes on past bad files and returns their errors with the good recipes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.errors import UserError
from bot.globs import example_path
from bot.recipes.model import (
    DEFAULT_AGENT_LIMITS,
    AgentFind,
    AgentFix,
    FixtureCase,
    Limits,
    PrSettings,
    Recipe,
    scope_globs,
)
from bot.recipes.validation import recipe_schema, schema_errors, semantic_errors
from bot.recipes.yamlpos import display_path, load_yaml

RECIPE_SUFFIXES = (".yml", ".yaml")
REPO_RECIPES_DIR = ".nightcrew/recipes"


# --- building Recipes -----------------------------------------------------------------------


def _build(data: dict[str, Any], source: Path, builtin: bool) -> Recipe:
    find = data["find"]
    ruff, verify, pr = find.get("ruff", {}), data.get("verify", {}), data.get("pr", {})
    fields: dict[str, Any] = _pick(data, ("version", "schedule"))
    include, exclude = scope_globs(data.get("scope", {}))
    fields |= {"include": include, "exclude": exclude}
    fixture_path = example_path(include, exclude) or FixtureCase.path
    if ruff:
        fields["ruff_select"] = tuple(ruff["select"])
        fields["ruff_preview"] = ruff.get("preview", False)
    fields |= _pick(find, ("detectors",), tuple)
    if "agent" in find:
        fields["agent_find"] = AgentFind(**find["agent"])
    if "unsafe" in data.get("fix", {}):
        fields["fix_unsafe"] = data["fix"]["unsafe"]
    if "agent" in data.get("fix", {}):
        fields["agent_fix"] = AgentFix(**data["fix"]["agent"])
    budget = data.get("budget", {})
    if "agent" in budget:
        fields["agent_budget"] = _limits(budget["agent"], DEFAULT_AGENT_LIMITS)
    if "recipe" in budget:
        fields["recipe_budget"] = _limits(budget["recipe"], Limits())
    if "commands" in verify:
        fields["verify_commands"] = tuple(verify["commands"])
    if "timeout" in verify:
        fields["verify_timeout"] = float(verify["timeout"])
    if "mode" in verify:
        fields["verify_mode"] = verify["mode"]
    fields |= _pick(verify, ("allow_lint_only",))
    if "require_coverage" in verify:
        fields["verify_require_coverage"] = verify["require_coverage"]
    pr_fields = _pick(pr, ("title", "body", "grouping", "max_per_night", "draft"))
    pr_fields |= _pick(pr, ("labels",), tuple)
    tests = tuple(
        FixtureCase(
            id=case["id"],
            before=case.get("before", case.get("unchanged", "")),
            after=case.get("after"),
            path=case.get("path", fixture_path),
        )
        for case in data.get("tests", ())
    )
    return Recipe(
        id=data["id"],
        title=data["title"],
        description=data["description"],
        pr=PrSettings(**pr_fields),
        tests=tests,
        source=source,
        builtin=builtin,
        **fields,
    )


def _limits(given: dict[str, Any], defaults: Limits) -> Limits:
    """A budget block over its defaults: a key left out keeps its default (fail closed)."""
    turns, tokens = given.get("turns", defaults.turns), given.get("tokens", defaults.tokens)
    dollars, seconds = (
        given.get("dollars", defaults.dollars),
        given.get("seconds", defaults.seconds),
    )
    return Limits(
        turns=turns,
        tokens=tokens,
        dollars=None if dollars is None else float(dollars),
        seconds=None if seconds is None else float(seconds),
    )


def _pick(mapping: dict[str, Any], keys: Iterable[str], convert: Any = None) -> dict[str, Any]:
    return {k: convert(mapping[k]) if convert else mapping[k] for k in keys if k in mapping}


@dataclass
class FileResult:
    """The outcome of checking one recipe file."""

    path: Path
    display: str
    recipe: Recipe | None = None
    errors: list[UserError] = field(default_factory=list)
    id_line: int = 1


def check_file(path: Path, builtin: bool = False) -> FileResult:
    """Parse and validate one recipe file, collecting every error rather than stopping."""
    result = FileResult(path, display_path(path))
    try:
        doc = load_yaml(path, result.display)
    except UserError as exc:
        result.errors.append(exc)
        return result
    if doc.data is None:
        result.errors.append(
            UserError(
                "the file is empty: a recipe needs schema_version, id, title, description and find",
                result.display,
            )
        )
        return result
    result.errors = schema_errors(doc, recipe_schema()) or semantic_errors(doc)
    if not result.errors:
        result.recipe = _build(doc.data, path.resolve(), builtin)
        result.id_line = doc.line(("id",))
    return result


def load_recipe(path: Path, builtin: bool = False) -> Recipe:
    """Load one recipe file; raise the first UserError if it is not valid."""
    result = check_file(path, builtin)
    if result.errors:
        raise result.errors[0]
    assert result.recipe is not None
    return result.recipe


def recipe_files(paths: Iterable[Path]) -> list[Path]:
    """``paths`` with folders replaced by the recipe files (*.yml, *.yaml) directly in them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in RECIPE_SUFFIXES and p.is_file())
            if not found:
                raise UserError(
                    "no recipe files (*.yml, *.yaml) in this folder", display_path(path)
                )
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UserError("no such file or folder", display_path(path))
    return files


def check_files(paths: Iterable[Path], builtin: bool = False) -> list[FileResult]:
    """Check every file (folders expanded), including duplicate ids within one folder."""
    results = [check_file(path, builtin) for path in recipe_files(paths)]
    by_folder_and_id: dict[tuple[Path, str], FileResult] = {}
    for result in results:
        if result.recipe is None:
            continue
        key = (result.path.resolve().parent, result.recipe.id)
        first = by_folder_and_id.setdefault(key, result)
        if first is not result:
            result.errors.append(_duplicate_id_error(result, first))
            result.recipe = None
    return results


def _duplicate_id_error(result: FileResult, first: FileResult) -> UserError:
    assert first.recipe is not None
    return UserError(
        f"duplicate recipe id {first.recipe.id!r}: {first.display} has it too; rename one of them",
        result.display,
        result.id_line,
        "id",
    )


def validate_all(paths: Iterable[Path]) -> list[UserError]:
    """Every error in every recipe file of ``paths`` (files or folders), in file order."""
    return [error for result in check_files(paths) for error in result.errors]


def load_recipes(paths: Iterable[Path], builtin: bool = False) -> list[Recipe]:
    """Load recipe files and folders; raise the first UserError found."""
    recipes = []
    for result in check_files(paths, builtin):
        if result.errors:
            raise result.errors[0]
        assert result.recipe is not None
        recipes.append(result.recipe)
    return recipes


# --- discovery ------------------------------------------------------------------------------


def builtin_recipes_dir() -> Path:
    """Where the built-in recipes are: in the wheel, or in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_builtin_recipes"
    return installed if installed.is_dir() else package.parent / "recipes"


@dataclass
class Discovery:
    """Every recipe that loaded, sorted by id, and what was wrong with the rest."""

    recipes: list[Recipe]
    errors: list[UserError] = field(default_factory=list)


def discover(repo: Path | None, extra_dirs: Iterable[Path | str] = ()) -> list[Recipe]:
    """Built-in recipes plus the repository's, sorted by id; repository recipes win on id.

    The repository's folders are ``<repo>/.nightcrew/recipes`` (skipped when missing) and
    ``extra_dirs`` (relative to ``repo``; these must exist). The first error is raised.
    """
    found = scan(repo, extra_dirs)
    if found.errors:
        raise found.errors[0]
    return found.recipes


def scan(repo: Path | None, extra_dirs: Iterable[Path | str] = ()) -> Discovery:
    """``discover`` that goes on past bad repository recipes, collecting their errors.

    A repository recipe with a built-in's id has ``replaces`` set to the built-in's file.
    """
    builtins = {r.id: r for r in _load_folder(builtin_recipes_dir(), builtin=True)}
    errors: list[UserError] = []
    from_repo: dict[str, FileResult] = {}
    for folder in _repo_folders(repo, extra_dirs, errors):
        try:
            results = check_files([folder])
        except UserError as exc:  # a folder without recipe files
            errors.append(exc)
            continue
        for result in results:
            errors += result.errors
            if result.recipe is None:
                continue
            first = from_repo.setdefault(result.recipe.id, result)
            if first is not result:
                errors.append(_duplicate_id_error(result, first))
    recipes = dict(builtins)
    for recipe_id, result in from_repo.items():
        assert result.recipe is not None
        replaced = builtins.get(recipe_id)
        recipes[recipe_id] = replace(result.recipe, replaces=replaced and replaced.source)
    return Discovery(sorted(recipes.values(), key=lambda r: r.id), errors)


def _load_folder(folder: Path, builtin: bool) -> list[Recipe]:
    if not folder.is_dir() or not any(p.suffix in RECIPE_SUFFIXES for p in folder.iterdir()):
        return []
    return load_recipes([folder], builtin)


def _repo_folders(
    repo: Path | None, extra_dirs: Iterable[Path | str], errors: list[UserError]
) -> list[Path]:
    base = repo if repo is not None else Path.cwd()
    default = (base / REPO_RECIPES_DIR).resolve()
    folders = [default] if repo is not None and default.is_dir() else []
    for extra in extra_dirs:
        folder = (base / extra).resolve()
        if folder in folders or (folder == default and repo is not None):
            continue
        if not folder.is_dir():
            errors.append(UserError("recipe folder does not exist", display_path(folder)))
            continue
        folders.append(folder)
    return folders
