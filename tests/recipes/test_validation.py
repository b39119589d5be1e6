"""Recipe documents checked: the schema, its errors as ``file:line: field: message``, semantics."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from bot.errors import UserError
from bot.recipes import validation
from bot.recipes.loader import load_recipe
from bot.recipes.model import TEST_PATHS, AgentFind, PrSettings, Recipe, scope_globs
from bot.recipes.validation import recipe_schema
from bot.recipes.yamlpos import parse_yaml
from tests.recipes import MINIMAL, write


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the schema ----------------------------------------------------------------------------


def _schema_default(*path: str) -> object:
    node = recipe_schema()
    for key in path:
        node = node["properties"][key]
    return node["default"]


@pytest.mark.parametrize(
    ("schema_path", "model_default"),
    [
        (("version",), Recipe.version),
        (("schedule",), Recipe.schedule),
        (("scope", "include"), list(Recipe.include)),
        (("scope", "exclude"), []),  # a file's own excludes, added to TEST_PATHS
        (("scope", "include_tests"), False),
        (("find", "ruff", "preview"), Recipe.ruff_preview),
        (("find", "agent", "files_per_agent"), AgentFind.files_per_agent),
        (("find", "agent", "max_findings"), AgentFind.max_findings),
        (("fix", "unsafe"), Recipe.fix_unsafe),
        (("verify", "allow_lint_only"), Recipe.allow_lint_only),
        (("verify", "mode"), Recipe.verify_mode),
        (("pr", "title"), PrSettings.title),
        (("pr", "body"), PrSettings.body),
        (("pr", "labels"), list(PrSettings.labels)),
        (("pr", "max_per_night"), PrSettings.max_per_night),
        (("pr", "draft"), PrSettings.draft),
    ],
    ids=lambda v: ".".join(v) if isinstance(v, tuple) else None,
)
def test_schema_defaults_match_the_model(
    schema_path: tuple[str, ...], model_default: object
) -> None:
    assert _schema_default(*schema_path) == model_default


def test_a_file_without_scope_gets_the_models_scope() -> None:
    assert scope_globs({}) == (Recipe.include, Recipe.exclude) == (("**/*.py",), TEST_PATHS)
    assert scope_globs({"exclude": ["docs/**"]}) == (("**/*.py",), (*TEST_PATHS, "docs/**"))
    assert scope_globs({"include_tests": True, "exclude": ["docs/**"]}) == (
        ("**/*.py",),
        ("docs/**",),
    )


def test_committed_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(recipe_schema())


def _schema_nodes(node: object, path: str = "") -> list[tuple[str, dict]]:
    out = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            out.append((path, node))
        for key, value in node.get("properties", {}).items():
            out += _schema_nodes(value, f"{path}.{key}")
        for key, value in node.get("$defs", {}).items():
            out += _schema_nodes(value, f"$defs.{key}")
    return out


def test_schema_closes_every_object_and_describes_every_field() -> None:
    for path, node in _schema_nodes(recipe_schema()):
        assert node.get("additionalProperties") is False, path
        for key, prop in node.get("properties", {}).items():
            assert prop.get("description"), f"{path}.{key}"


def test_pr_placeholders_are_the_ones_messages_fills() -> None:
    from bot.model import Finding
    from bot.publish import messages

    finding = Finding("r", "ruff:C414", "a.py", 1, 1, 1, 2, "msg", fingerprint="f" * 16)
    filled = messages.template_fields(Recipe(id="r", title="t", description="d"), finding)
    assert set(validation.PR_PLACEHOLDERS) == set(filled)


# --- bad recipes: the exact location and a message that says what to do ---------------------

BAD = [
    pytest.param(
        MINIMAL.replace("title: Minimal", "titel: Minimal"),
        "1: ",
        "missing required key 'title'",
        id="missing-required-at-parent-line",
    ),
    pytest.param(
        MINIMAL.replace("title: Minimal", "title: Minimal\ntitel: Minimal"),
        "4: ",
        "unknown key 'titel' (did you mean 'title'?)",
        id="unknown-top-level-key",
    ),
    pytest.param(
        MINIMAL + "    selct: [C4]\n",
        "8: find.ruff: ",
        "unknown key 'selct' (did you mean 'select'?)",
        id="unknown-nested-key-did-you-mean",
    ),
    pytest.param(
        MINIMAL + "    frobnicate: 1\n",
        "8: find.ruff: ",
        "unknown key 'frobnicate': expected one of select, preview",
        id="unknown-key-no-close-match",
    ),
    pytest.param(
        MINIMAL.replace("select: [C414]", "select: C414"),
        "7: find.ruff.select: ",
        "expected a list of strings, got the string 'C414': write it as a list, [\"C414\"]",
        id="string-instead-of-list",
    ),
    pytest.param(
        MINIMAL.replace("description: Why.", "description: 3"),
        "4: description: ",
        "expected a string, got the number 3: put it in quotes",
        id="number-instead-of-string",
    ),
    pytest.param(
        MINIMAL.replace("description: Why.", "description:"),
        "4: description: ",
        "expected a string, got nothing: fill in a value or remove the key",
        id="empty-value",
    ),
    pytest.param(
        MINIMAL + "    preview: 'yes'\n",
        "8: find.ruff.preview: ",
        "expected true or false, got the string 'yes'",
        id="quoted-boolean",
    ),
    pytest.param(
        MINIMAL.replace("schema_version: 1", "schema_version: 2"),
        "1: schema_version: ",
        "unsupported schema_version 2: this Nightcrew reads schema_version 1",
        id="future-schema-version",
    ),
    pytest.param(
        MINIMAL.replace("id: minimal", "id: Minimal_Recipe"),
        "2: id: ",
        "'Minimal_Recipe' is not a valid id: use lowercase letters, digits and dashes",
        id="bad-id",
    ),
    pytest.param(
        MINIMAL + "verify:\n  mode: batch\n",
        "9: verify.mode: ",
        "'batch' is not supported: use 'grouped', 'each'",
        id="enum",
    ),
    pytest.param(
        MINIMAL + "pr:\n  grouping: line\n",
        "9: pr.grouping: ",
        "'line' is not supported: use 'finding', 'function', 'file', 'rule', 'recipe'",
        id="grouping-enum",
    ),
    pytest.param(
        MINIMAL + "verify:\n  timeout: 0\n",
        "9: verify.timeout: ",
        "must be more than 0, got 0",
        id="timeout-zero",
    ),
    pytest.param(
        MINIMAL.replace("  ruff:\n    select: [C414]\n", "  {}\n"),
        "5: find: ",
        "needs at least one of: ruff, detectors, agent",
        id="find-without-finders",
    ),
    pytest.param(
        MINIMAL + "pr:\n  labels:\n    - a\n    - b\n    - a\n",
        "12: pr.labels[2]: ",
        "'a' is listed twice: remove one",
        id="duplicate-list-item",
    ),
    pytest.param(
        MINIMAL.replace("select: [C414]", "select: [C414, C4199]"),
        "7: find.ruff.select[1]: ",
        "unknown rule 'C4199' (did you mean C419?)",
        id="unknown-rule-did-you-mean",
    ),
    pytest.param(
        MINIMAL.replace("select: [C414]", "select: [PE]"),
        "7: find.ruff.select[0]: ",
        "unknown rule 'PE'",
        id="prefix-that-is-no-linter",
    ),
    pytest.param(
        MINIMAL.replace("select: [C414]", "select: [S401]"),
        "7: find.ruff.select[0]: ",
        "rule 'S401' (suspicious-telnetlib-import) is a preview rule: set find.ruff.preview: true",
        id="preview-rule-without-preview",
    ),
    pytest.param(
        MINIMAL.replace("select: [C414]", "select: [ANN101]"),
        "7: find.ruff.select[0]: ",
        "rule 'ANN101' (missing-type-self) was removed from ruff",
        id="removed-rule",
    ),
    pytest.param(
        MINIMAL.replace("select: [C414]", "select: [E501]"),
        "7: find.ruff.select[0]: ",
        "rule 'E501' (line-too-long) has no automatic fix",
        id="unfixable-rule",
    ),
    pytest.param(
        MINIMAL.replace("  ruff:\n    select: [C414]\n", "  detectors:\n    - list-concat\n"),
        "7: find.detectors[0]: ",
        "unknown detector 'list-concat' (did you mean 'list-concat-in-loop'?); known detectors: ",
        id="unknown-detector",
    ),
    pytest.param(
        MINIMAL + "scope:\n  exclude:\n    - tests/**\n    - ../vendor/**\n",
        "11: scope.exclude[1]: ",
        "pattern '../vendor/**' contains '..'",
        id="glob-with-dotdot",
    ),
    pytest.param(
        MINIMAL + "scope:\n  include: ['/src/**']\n",
        "9: scope.include[0]: ",
        "pattern '/src/**' is absolute",
        id="absolute-glob",
    ),
    pytest.param(
        MINIMAL + "scope:\n  include: ['']\n",
        "9: scope.include[0]: ",
        "empty pattern",
        id="empty-glob",
    ),
    pytest.param(
        MINIMAL + "schedule: '0 3 * * funday'\n",
        "8: schedule: ",
        "day-of-week field: 'funday' is not a number between 0 and 7 or a name",
        id="bad-schedule",
    ),
    pytest.param(
        MINIMAL + "pr:\n  title: 'Fix {paht}'\n",
        "9: pr.title: ",
        "unknown placeholder {paht} (did you mean {path}?)",
        id="unknown-placeholder",
    ),
    pytest.param(
        MINIMAL + "tests:\n  - id: both\n    before: a\n    after: b\n    unchanged: c\n",
        "9: tests[0]: ",
        "has both before/after and unchanged",
        id="after-and-unchanged",
    ),
    pytest.param(
        MINIMAL + "tests:\n  - id: half\n    before: a\n",
        "10: tests[0]: ",
        "'before' needs 'after' too",
        id="before-without-after",
    ),
    pytest.param(
        MINIMAL + "tests:\n  - id: empty\n",
        "9: tests[0]: ",
        "give either before and after, or unchanged",
        id="test-without-code",
    ),
    pytest.param(
        MINIMAL + "tests:\n  - id: same\n    before: a\n    after: a\n",
        "11: tests[0].after: ",
        "is the same as before: use unchanged",
        id="after-equals-before",
    ),
    pytest.param(
        MINIMAL + "tests:\n  - id: a\n    unchanged: x\n  - id: a\n    unchanged: y\n",
        "11: tests[1].id: ",
        "duplicate test id 'a' (also tests[0])",
        id="duplicate-test-id",
    ),
    pytest.param(
        MINIMAL + "scope:\n  exclude: ['tests/**']\ntests:\n  - id: a\n    path: tests/a.py\n"
        "    unchanged: x\n",
        "12: tests[0].path: ",
        "'tests/a.py' is outside the recipe's scope",
        id="fixture-out-of-scope",
    ),
    pytest.param(
        MINIMAL + "tests:\n  - id: a\n    path: tests/test_a.py\n    unchanged: x\n",
        "10: tests[0].path: ",
        "'tests/test_a.py' is outside the recipe's scope, so the recipe would never look at it: "
        "pick a path that scope.include matches and scope.exclude does not (test code is "
        "excluded by default: set scope.include_tests: true for a recipe meant for tests)",
        id="fixture-in-test-code",
    ),
    pytest.param(
        MINIMAL + "scope:\n  include: ['src/*.py']\n  exclude: ['src/*']\n"
        "tests:\n  - id: a\n    unchanged: x\n",
        "12: tests[0]: ",
        "no path given, and none could be derived from scope.include",
        id="fixture-no-default-path",
    ),
    pytest.param(
        MINIMAL + "scope:\n  include: ['tests/**/*.py']\ntests:\n  - id: a\n    unchanged: x\n",
        "11: tests[0]: ",
        "none could be derived from scope.include: add a path that scope.include matches and "
        "scope.exclude does not (test code is excluded by default: set "
        "scope.include_tests: true for a recipe meant for tests)",
        id="fixture-no-default-path-in-test-code",
    ),
    pytest.param(
        MINIMAL + "title: Again\n",
        "8: ",
        "duplicate key 'title' (first on line 3): keep only one",
        id="duplicate-key",
    ),
    pytest.param(
        MINIMAL + "find2: [a\n",
        "8: ",
        "invalid YAML: expected ',' or ']', but got '<stream end>'",
        id="broken-yaml",
    ),
    pytest.param(
        MINIMAL + "pr:\n  title: Fix: it\n",
        "9: ",
        "invalid YAML: mapping values are not allowed here",
        id="colon-in-unquoted-value",
    ),
    pytest.param(
        MINIMAL + "---\nid: second\n",
        "8: ",
        "invalid YAML: but found another document",
        id="two-documents",
    ),
    pytest.param(
        MINIMAL + "tests: [5]\n",
        "8: tests[0]: ",
        "expected a mapping of keys, got the number 5",
        id="test-case-not-a-mapping",
    ),
    pytest.param(
        "- a\n",
        "1: ",
        "expected a mapping of keys, got a list",
        id="root-is-a-list",
    ),
    pytest.param(
        "",
        "",
        "the file is empty",
        id="empty-file",
    ),
]


@pytest.mark.parametrize(("text", "where", "message"), BAD)
def test_bad_recipe_names_file_line_and_field(
    in_tmp: Path, text: str, where: str, message: str
) -> None:
    write(in_tmp, "recipe.yml", text)
    with pytest.raises(UserError) as caught:
        load_recipe(Path("recipe.yml"))
    rendered = str(caught.value)
    prefix = f"recipe.yml:{where}" if where else "recipe.yml: "
    assert rendered.startswith(prefix), rendered
    assert message in rendered.removeprefix(prefix), rendered
    assert "\n" not in rendered


# --- semantic checks beyond the messages above ----------------------------------------------------


def test_unfixable_rule_is_allowed_when_an_agent_fixes() -> None:
    text = MINIMAL.replace("[C414]", "[E501]") + "  agent:\n    instructions: Shorten lines.\n"
    doc = parse_yaml(text, "r.yml")
    assert validation.schema_errors(doc, recipe_schema()) == []
    assert validation.semantic_errors(doc) == []


def test_detector_names_come_from_the_registry() -> None:
    from bot.find.detectors import REGISTRY

    assert validation.detector_names() == frozenset(REGISTRY)
    assert {"list-concat-in-loop", "copy-before-iteration"} <= validation.detector_names()
