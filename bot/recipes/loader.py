"""Find, parse and validate recipe files into Recipes; every mistake is ``file:line: field:``.

Validation runs in two passes. The committed JSON Schema (``schema.json``, also what editors
use) checks structure; then semantic checks need the outside world: the ruff rules the
installed ruff knows, the detector registry, glob and schedule syntax, fixture consistency.

Where recipes come from (``discover``): the built-ins, then the repository's recipe folders
(``.nightcrew/recipes`` and any extra ones). A repository recipe with the same id as a
built-in *replaces* it, so a team can tune a built-in by copying its file. Two files with
the same id in one folder, or across the repository's folders, are an error.
"""

from __future__ import annotations

import difflib
import json
import re
import string
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from ruff import find_ruff_bin

from bot.errors import CommandError, UserError
from bot.globs import in_scope, pattern_problem
from bot.recipes.model import (
    DEFAULT_AGENT_LIMITS,
    AgentFind,
    AgentFix,
    FixtureCase,
    Limits,
    PrSettings,
    Recipe,
)
from bot.recipes.schedule import ScheduleError, parse_schedule
from bot.recipes.yamlpos import Document, FieldPath, display_path, format_path, load_yaml

RECIPE_SUFFIXES = (".yml", ".yaml")
REPO_RECIPES_DIR = ".nightcrew/recipes"
# What a pull request title or body may name: the fields bot.messages.template_fields fills.
PR_PLACEHOLDERS = (
    "recipe",
    "recipe_title",
    "recipe_version",
    "rule",
    "message",
    "path",
    "line",
    "fingerprint",
)


# --- the schema and its errors -------------------------------------------------------------


@cache
def recipe_schema_text() -> str:
    """The committed JSON Schema of recipe files, as text."""
    return resources.files("bot.recipes").joinpath("schema.json").read_text(encoding="utf-8")


@cache
def recipe_schema() -> dict[str, Any]:
    """The committed JSON Schema of recipe files."""
    return json.loads(recipe_schema_text())


def schema_errors(doc: Document, schema: dict[str, Any]) -> list[UserError]:
    """Every way ``doc`` breaks ``schema``, as line-numbered UserErrors sorted by line."""
    found: dict[str, UserError] = {}
    for error in Draft202012Validator(schema).iter_errors(doc.data):
        for user_error in _convert(error, doc):
            found.setdefault(str(user_error), user_error)
    return sorted(found.values(), key=lambda e: (e.line or 0, e.field or ""))


def _convert(error: ValidationError, doc: Document) -> list[UserError]:
    path: FieldPath = tuple(error.absolute_path)
    where = format_path(path) or None
    instance, schema, kind = error.instance, error.schema, error.validator
    value = error.validator_value

    def at(sub: FieldPath, message: str) -> UserError:
        # Named by the mapping the key belongs to: "find.ruff: unknown key 'selct'".
        return UserError(message, doc.file, doc.line((*path, *sub)), where)

    if kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        return [at((key,), _unknown_key(key, known)) for key in instance if key not in known]
    if kind == "required":
        return [at((), f"missing required key {key!r}") for key in value if key not in instance]
    if kind == "dependentRequired":
        return [
            at((key,), f"{key!r} needs {need!r} too")
            for key, needs in value.items()
            if key in instance
            for need in needs
            if need not in instance
        ]
    if kind == "uniqueItems":
        repeats = [
            doc.error((*path, i), f"{item!r} is listed twice: remove one")
            for i, item in enumerate(instance)
            if item in instance[:i]
        ]
        return repeats or [doc.error(path, "has repeated items: remove them")]
    if kind in ("oneOf", "anyOf") and not isinstance(instance, dict):
        return []  # the type error at the same place says it better
    if kind == "oneOf" and "unchanged" in instance and instance.keys() & {"before", "after"}:
        message = (
            "has both before/after and unchanged: a test either changes code or leaves it "
            "unchanged, keep one"
        )
        return [doc.error(path, message)]
    return [doc.error(path, _message(kind, value, instance, schema, error.message))]


def _message(kind: str, value: Any, instance: Any, schema: dict[str, Any], default: str) -> str:
    custom = schema.get("errorMessage")
    if custom and kind in ("pattern", "const", "anyOf", "oneOf"):
        return str(custom).replace("{value}", repr(instance))
    if kind == "type":
        return _type_message(schema, instance)
    if kind == "enum":
        choices = ", ".join(repr(choice) for choice in value)
        return f"{instance!r} is not supported: use {choices}"
    if kind == "const":
        return f"must be {value!r}, got {instance!r}"
    if kind in ("minLength", "minItems") and value == 1:
        return "must not be empty"
    if kind == "minItems":
        return f"needs at least {value} items"
    if kind == "maxLength":
        return f"is too long: at most {value} characters"
    if kind == "minimum":
        return f"must be at least {value}, got {instance!r}"
    if kind == "exclusiveMinimum":
        return f"must be more than {value}, got {instance!r}"
    if kind == "pattern":
        return f"{instance!r} does not match the pattern {value}"
    return default


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "null": "nothing",
}
_PLURAL_TYPE_NAMES = {"string": "strings", "integer": "whole numbers", "number": "numbers"}


def _expected(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "")
    name = _TYPE_NAMES.get(kind, str(kind))
    item_kind = schema.get("items", {}).get("type") if kind == "array" else None
    if item_kind in _PLURAL_TYPE_NAMES:
        name += f" of {_PLURAL_TYPE_NAMES[item_kind]}"
    return name


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value}"  # e.g. a YAML date


def _type_message(schema: dict[str, Any], instance: Any) -> str:
    kind = schema.get("type")
    message = f"expected {_expected(schema)}, got {_describe(instance)}"
    if instance is None:
        return message + ": fill in a value or remove the key"
    if kind == "array" and not isinstance(instance, list | dict):
        return message + f": write it as a list, [{json.dumps(instance)}]"
    if kind == "string" and not isinstance(instance, list | dict):
        return message + ": put it in quotes"
    if kind == "boolean" and isinstance(instance, str):
        return message + ": write true or false, without quotes"
    return message


def _unknown_key(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r}: expected one of {', '.join(known)}"


# --- ruff and detectors ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuffRule:
    """One rule as the installed ruff describes it."""

    code: str
    name: str
    preview: bool
    removed: bool
    fixable: bool  # ruff can fix it at least sometimes


def _run_ruff(*args: str) -> Any:
    cmd = (str(find_ruff_bin()), *args)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandError(cmd, done.returncode, done.stdout + done.stderr)
    return json.loads(done.stdout)


@cache
def ruff_rules() -> dict[str, RuffRule]:
    """Every rule code the installed ruff knows (asked once per process)."""
    rules = {}
    for entry in _run_ruff("rule", "--all", "--output-format", "json"):
        if not entry.get("code"):
            continue  # a few preview rules have a name but no code yet
        status = entry.get("status") or {}
        rules[entry["code"]] = RuffRule(
            code=entry["code"],
            name=entry.get("name", ""),
            preview=bool(entry.get("preview")),
            removed="Removed" in status,
            fixable=entry.get("fix_availability", entry.get("fix"))
            not in (
                "None",
                "Fix is not available.",
            ),
        )
    return rules


@cache
def ruff_linter_prefixes() -> frozenset[str]:
    """Prefixes ruff accepts as the start of a selector: C4, PERF, E, PLC, ..."""
    prefixes = set()
    for linter in _run_ruff("linter", "--output-format", "json"):
        prefix = linter.get("prefix", "")
        if prefix:
            prefixes.add(prefix)
        prefixes.update(prefix + cat["prefix"] for cat in linter.get("categories") or ())
    return frozenset(prefixes)


def _ruff_select_problem(selector: str, preview: bool, has_agent: bool) -> str | None:
    rules = ruff_rules()
    rule = rules.get(selector)
    if rule is not None:
        label = f"rule {selector!r} ({rule.name})"
        if rule.removed:
            return f"{label} was removed from ruff: drop it"
        if rule.preview and not preview:
            return f"{label} is a preview rule: set find.ruff.preview: true to use it"
        if not rule.fixable and not has_agent:
            return f"{label} has no automatic fix, so Nightcrew could never fix what it finds"
        return None
    matching = [r for code, r in rules.items() if code.startswith(selector) and not r.removed]
    if matching and any(selector.startswith(p) for p in ruff_linter_prefixes()):
        if not preview and all(r.preview for r in matching):
            return (
                f"every rule matching {selector!r} is a preview rule: "
                "set find.ruff.preview: true to use them"
            )
        return None
    close = difflib.get_close_matches(selector, [*rules, *ruff_linter_prefixes()], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ": see `ruff rule --all` for the codes"
    return f"unknown rule {selector!r}{hint}"


def detector_names() -> frozenset[str]:
    """Names of Nightcrew's detectors (``bot.detectors.REGISTRY``)."""
    from bot.find.detectors import REGISTRY  # lazily: detectors pull in their own dependencies

    return frozenset(REGISTRY)


# --- semantic checks ------------------------------------------------------------------------


def _semantic_errors(doc: Document) -> list[UserError]:
    data: dict[str, Any] = doc.data
    errors: list[UserError] = []

    def check(path: FieldPath, problem: str | None) -> None:
        if problem:
            errors.append(doc.error(path, problem))

    if "schedule" in data:
        try:
            parse_schedule(data["schedule"])
        except ScheduleError as exc:
            check(("schedule",), str(exc))
    scope = data.get("scope", {})
    for key in ("include", "exclude"):
        for i, pattern in enumerate(scope.get(key, ())):
            check(("scope", key, i), pattern_problem(pattern))
    find = data["find"]
    agent_fixes = "agent" in data.get("fix", {})
    ruff = find.get("ruff", {})
    for i, selector in enumerate(ruff.get("select", ())):
        problem = _ruff_select_problem(
            selector, ruff.get("preview", False), "agent" in find or agent_fixes
        )
        check(("find", "ruff", "select", i), problem)
    if find.get("detectors"):
        known = sorted(detector_names())
        for i, name in enumerate(find["detectors"]):
            problem = _detector_problem(name, known) or _needs_agent_problem(name, agent_fixes)
            check(("find", "detectors", i), problem)
    for key in ("title", "body"):
        if key in data.get("pr", {}):
            check(("pr", key), _template_problem(data["pr"][key]))
    include = scope.get("include", Recipe.include)
    exclude = scope.get("exclude", Recipe.exclude)
    seen: dict[str, int] = {}
    for i, case in enumerate(data.get("tests", ())):
        check(("tests", i, "id"), _duplicate(case["id"], i, seen))
        if "before" in case and case["before"] == case.get("after"):
            check(
                ("tests", i, "after"),
                "is the same as before: use unchanged for code the recipe must leave alone",
            )
        path_field = ("tests", i, "path") if "path" in case else ("tests", i)
        path = case.get("path", FixtureCase.path)
        check(path_field, _fixture_path_problem(path, include, exclude))
    return errors


def _detector_problem(name: str, known: Sequence[str]) -> str | None:
    if name in known:
        return None
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown detector {name!r}{hint}; known detectors: {', '.join(known)}"


def _needs_agent_problem(name: str, agent_fixes: bool) -> str | None:
    """Candidate-only detectors (no codemod of their own) are only useful with fix.agent."""
    from bot.find.detectors import REGISTRY

    if agent_fixes or not getattr(REGISTRY[name], "needs_agent", False):
        return None
    return (
        f"detector {name!r} only finds candidates for an agent to judge (it has no fix of "
        "its own): add a fix.agent block, or use a detector that fixes"
    )


def _template_problem(template: str) -> str | None:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return f"{exc}: write {{{{ and }}}} for literal braces"
    for name in fields:
        base = re.split(r"[.\[]", name, maxsplit=1)[0]
        if base not in PR_PLACEHOLDERS:
            close = difflib.get_close_matches(base, PR_PLACEHOLDERS, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            available = ", ".join(f"{{{p}}}" for p in PR_PLACEHOLDERS)
            return f"unknown placeholder {{{name}}}{hint}; available: {available}"
    return None


def _duplicate(case_id: str, index: int, seen: dict[str, int]) -> str | None:
    if case_id in seen:
        return f"duplicate test id {case_id!r} (also tests[{seen[case_id]}]): rename one"
    seen[case_id] = index
    return None


def _fixture_path_problem(path: str, include: Sequence[str], exclude: Sequence[str]) -> str | None:
    parts = path.split("/")
    if path.startswith("/") or ".." in parts or "\\" in path:
        return f"{path!r} must be a relative path inside the repository, with '/' separators"
    if not in_scope(path, include, exclude):
        return (
            f"{path!r} is outside the recipe's scope, so the recipe would never look at it: "
            "pick a path that scope.include matches and scope.exclude does not"
        )
    return None


# --- building Recipes -----------------------------------------------------------------------


def _build(data: dict[str, Any], source: Path, builtin: bool) -> Recipe:
    scope, find = data.get("scope", {}), data["find"]
    ruff, verify, pr = find.get("ruff", {}), data.get("verify", {}), data.get("pr", {})
    fields: dict[str, Any] = _pick(data, ("version", "schedule"))
    fields |= _pick(scope, ("include", "exclude"), tuple)
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
    pr_fields = _pick(pr, ("title", "body", "grouping", "max_per_night", "draft"))
    pr_fields |= _pick(pr, ("labels",), tuple)
    tests = tuple(
        FixtureCase(
            id=case["id"],
            before=case.get("before", case.get("unchanged", "")),
            after=case.get("after"),
            **_pick(case, ("path",)),
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
    result.errors = schema_errors(doc, recipe_schema()) or _semantic_errors(doc)
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


def discover(repo: Path | None, extra_dirs: Iterable[Path | str] = ()) -> list[Recipe]:
    """Built-in recipes plus the repository's, sorted by id; repository recipes win on id.

    The repository's folders are ``<repo>/.nightcrew/recipes`` (skipped when missing) and
    ``extra_dirs`` (relative to ``repo``; these must exist).
    """
    recipes = {r.id: r for r in _load_folder(builtin_recipes_dir(), builtin=True)}
    from_repo: dict[str, FileResult] = {}
    for folder in _repo_folders(repo, extra_dirs):
        for result in check_files([folder]):
            if result.errors:
                raise result.errors[0]
            assert result.recipe is not None
            first = from_repo.setdefault(result.recipe.id, result)
            if first is not result:
                raise _duplicate_id_error(result, first)
    recipes |= {
        recipe_id: result.recipe for recipe_id, result in from_repo.items() if result.recipe
    }
    return sorted(recipes.values(), key=lambda r: r.id)


def _load_folder(folder: Path, builtin: bool) -> list[Recipe]:
    if not folder.is_dir() or not any(p.suffix in RECIPE_SUFFIXES for p in folder.iterdir()):
        return []
    return load_recipes([folder], builtin)


def _repo_folders(repo: Path | None, extra_dirs: Iterable[Path | str]) -> list[Path]:
    base = repo if repo is not None else Path.cwd()
    default = (base / REPO_RECIPES_DIR).resolve()
    folders = [default] if repo is not None and default.is_dir() else []
    for extra in extra_dirs:
        folder = (base / extra).resolve()
        if folder in folders or (folder == default and repo is not None):
            continue
        if not folder.is_dir():
            raise UserError("recipe folder does not exist", display_path(folder))
        folders.append(folder)
    return folders
