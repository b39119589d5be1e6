"""Checks a parsed recipe file and says every mistake as ``file:line: field: message``.

Validation runs in two passes. The committed JSON Schema (``schema.json``, also what editors
use) checks structure (``schema_errors``); then ``semantic_errors`` checks what needs the
outside world: the ruff rules the installed ruff knows, the detector registry, glob and
schedule syntax, fixture consistency. Pure but for asking ruff (``ruff_rules``) once.
"""

from __future__ import annotations

import difflib
import json
import re
import string
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from bot.errors import UserError
from bot.globs import example_path, in_scope, pattern_problem
from bot.recipes.model import TEST_PATHS, scope_globs
from bot.recipes.ruff_rules import ruff_select_problem
from bot.recipes.schedule import ScheduleError, parse_schedule
from bot.recipes.yamlpos import Document, FieldPath, format_path

# What a pull request title or body may name: the fields bot.publish.messages.template_fields fills.
PR_PLACEHOLDERS = (
    "recipe",
    "recipe_title",
    "recipe_version",
    "rule",
    "message",
    "path",
    "function",
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


# --- semantic checks ------------------------------------------------------------------------


def detector_names() -> frozenset[str]:
    """Names of Nightcrew's detectors (``bot.find.detectors.REGISTRY``)."""
    from bot.find.detectors import REGISTRY  # lazily: detectors pull in their own dependencies

    return frozenset(REGISTRY)


def semantic_errors(doc: Document) -> list[UserError]:
    """What the schema cannot see: ruff rules, detectors, globs, schedule, PR text, fixtures."""
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
        problem = ruff_select_problem(
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
    include, exclude = scope_globs(scope)
    default_path = example_path(include, exclude)
    seen: dict[str, int] = {}
    for i, case in enumerate(data.get("tests", ())):
        check(("tests", i, "id"), _duplicate(case["id"], i, seen))
        if "before" in case and case["before"] == case.get("after"):
            check(
                ("tests", i, "after"),
                "is the same as before: use unchanged for code the recipe must leave alone",
            )
        if "path" in case:
            check(("tests", i, "path"), _fixture_path_problem(case["path"], include, exclude))
        elif default_path is None:
            check(
                ("tests", i),
                "no path given, and none could be derived from scope.include: add a path "
                "that scope.include matches and scope.exclude does not"
                + _test_code_hint(include, exclude, None),
            )
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
            + _test_code_hint(include, exclude, path)
        )
    return None


def _test_code_hint(include: Sequence[str], exclude: Sequence[str], path: str | None) -> str:
    """Why a path (or every path) is out: the default test excludes, when they are the cause."""
    if tuple(exclude[: len(TEST_PATHS)]) != TEST_PATHS:
        return ""
    own = exclude[len(TEST_PATHS) :]
    if path is None and example_path(include, own) is None:
        return ""
    if path is not None and not in_scope(path, include, own):
        return ""
    return (
        " (test code is excluded by default: set scope.include_tests: true for a recipe "
        "meant for tests)"
    )
