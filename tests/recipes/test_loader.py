"""Recipe files -> Recipe, and every mistake reported as ``file:line: field: message``."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from bot.errors import UserError
from bot.recipes import loader
from bot.recipes.loader import (
    builtin_recipes_dir,
    discover,
    load_recipe,
    load_recipes,
    recipe_schema,
    ruff_rules,
    validate_all,
)
from bot.recipes.model import AgentFind, FixtureCase, PrSettings, Recipe
from bot.recipes.yamlpos import format_path, parse_yaml

DETECTORS = ("list-concat-in-loop", "copy-before-iteration")

MINIMAL = """\
schema_version: 1
id: minimal
title: Minimal
description: Why.
find:
  ruff:
    select: [C414]
"""

FULL = """\
# yaml-language-server: $schema=../bot/recipes/schema.json
schema_version: 1
id: unnecessary-copies
version: 2
title: Remove unnecessary data copies
description: |
  Why this matters.
schedule: "0 3 * * 1"
scope:
  include: ["**/*.py"]
  exclude: ["tests/**", "docs/**"]
find:
  ruff:
    select: [C414, C419, PERF101, C4]
    preview: false
  detectors: [list-concat-in-loop, copy-before-iteration]
  agent:
    instructions: Look for copies.
    files_per_agent: 3
    max_findings: 4
fix:
  unsafe: true
verify:
  commands: ["python -m pytest -q"]
  timeout: 600
  allow_lint_only: true
  mode: each
pr:
  title: "Remove an unnecessary copy in {path}"
  body: "Found by {recipe} at line {line}."
  labels: [nightcrew, performance]
  grouping: finding
  max_per_night: 3
  draft: true
tests:
  - id: sorted-of-list
    path: src/example.py
    before: |
      x = sorted(list(y))
    after: |
      x = sorted(y)
  - id: defensive-copy-returned
    unchanged: |
      def f(xs):
          return list(xs)
"""


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- good recipes ---------------------------------------------------------------------------


def test_full_recipe_becomes_recipe(in_tmp: Path) -> None:
    path = write(in_tmp, "copies.yml", FULL)
    assert load_recipe(path) == Recipe(
        id="unnecessary-copies",
        title="Remove unnecessary data copies",
        description="Why this matters.\n",
        version=2,
        schedule="0 3 * * 1",
        include=("**/*.py",),
        exclude=("tests/**", "docs/**"),
        ruff_select=("C414", "C419", "PERF101", "C4"),
        ruff_preview=False,
        detectors=DETECTORS,
        agent_find=AgentFind("Look for copies.", files_per_agent=3, max_findings=4),
        fix_unsafe=True,
        verify_commands=("python -m pytest -q",),
        verify_timeout=600.0,
        allow_lint_only=True,
        verify_mode="each",
        pr=PrSettings(
            title="Remove an unnecessary copy in {path}",
            body="Found by {recipe} at line {line}.",
            labels=("nightcrew", "performance"),
            grouping="finding",
            max_per_night=3,
            draft=True,
        ),
        tests=(
            FixtureCase(
                "sorted-of-list", "x = sorted(list(y))\n", "x = sorted(y)\n", "src/example.py"
            ),
            FixtureCase("defensive-copy-returned", "def f(xs):\n    return list(xs)\n", None),
        ),
        source=path.resolve(),
        builtin=False,
    )


def test_minimal_recipe_gets_model_defaults(in_tmp: Path) -> None:
    recipe = load_recipe(write(in_tmp, "minimal.yaml", MINIMAL))
    assert recipe == Recipe(
        id="minimal",
        title="Minimal",
        description="Why.",
        ruff_select=("C414",),
        source=(in_tmp / "minimal.yaml").resolve(),
    )


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
        (("scope", "exclude"), list(Recipe.exclude)),
        (("find", "ruff", "preview"), Recipe.ruff_preview),
        (("find", "agent", "files_per_agent"), AgentFind.files_per_agent),
        (("find", "agent", "max_findings"), AgentFind.max_findings),
        (("fix", "unsafe"), Recipe.fix_unsafe),
        (("verify", "allow_lint_only"), Recipe.allow_lint_only),
        (("verify", "mode"), Recipe.verify_mode),
        (("pr", "title"), PrSettings.title),
        (("pr", "body"), PrSettings.body),
        (("pr", "labels"), list(PrSettings.labels)),
        (("pr", "grouping"), PrSettings.grouping),
        (("pr", "max_per_night"), PrSettings.max_per_night),
        (("pr", "draft"), PrSettings.draft),
    ],
    ids=lambda v: ".".join(v) if isinstance(v, tuple) else None,
)
def test_schema_defaults_match_the_model(
    schema_path: tuple[str, ...], model_default: object
) -> None:
    assert _schema_default(*schema_path) == model_default


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
    assert set(loader.PR_PLACEHOLDERS) == set(filled)


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


def test_non_utf8_file_names_the_file_and_line(in_tmp: Path) -> None:
    (in_tmp / "latin1.yml").write_bytes(MINIMAL.replace("Why.", "Caf\xe9.").encode("latin-1"))
    with pytest.raises(UserError) as caught:
        load_recipe(in_tmp / "latin1.yml")
    assert str(caught.value) == "latin1.yml:4: is not UTF-8 text: save it as UTF-8"


def test_paths_outside_the_cwd_are_shown_as_given(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yml", MINIMAL.replace("id: minimal", "id: Bad"))
    with pytest.raises(UserError) as caught:
        load_recipe(path)
    assert str(caught.value).startswith(f"{path}:2: id: ")


def test_preview_rule_is_accepted_with_preview(in_tmp: Path) -> None:
    text = MINIMAL.replace("select: [C414]", "select: [E225, E2]\n    preview: true")
    recipe = load_recipe(write(in_tmp, "p.yml", text))
    assert recipe.ruff_select == ("E225", "E2")
    assert recipe.ruff_preview is True


@pytest.mark.parametrize("selector", ["C4", "PERF", "E", "PLC", "PLC0", "RUF0"])
def test_rule_prefixes_are_accepted(in_tmp: Path, selector: str) -> None:
    recipe = load_recipe(write(in_tmp, "p.yml", MINIMAL.replace("C414", selector)))
    assert recipe.ruff_select == (selector,)


def test_unfixable_rule_is_allowed_when_an_agent_fixes() -> None:
    text = MINIMAL.replace("[C414]", "[E501]") + "  agent:\n    instructions: Shorten lines.\n"
    doc = parse_yaml(text, "r.yml")
    assert loader.schema_errors(doc, recipe_schema()) == []
    assert loader._semantic_errors(doc) == []


def test_ruff_rules_come_from_the_installed_ruff() -> None:
    rules = ruff_rules()
    assert rules["C414"].name == "unnecessary-double-cast-or-process"
    assert rules["C414"].fixable and not rules["C414"].preview
    assert rules["ANN101"].removed


def test_detector_names_come_from_the_registry() -> None:
    from bot.find.detectors import REGISTRY

    assert loader.detector_names() == frozenset(REGISTRY)
    assert set(DETECTORS) <= loader.detector_names()


def test_validate_all_collects_errors_from_every_file(in_tmp: Path) -> None:
    write(in_tmp, "recipes/a.yml", MINIMAL.replace("id: minimal", "id: a"))
    write(in_tmp, "recipes/b.yml", MINIMAL.replace("title: Minimal", "title: 5"))
    write(in_tmp, "recipes/c.yaml", MINIMAL.replace("id: minimal", "id: c") + "bogus: 1\n")
    write(in_tmp, "recipes/notes.txt", "not a recipe")
    errors = [str(e) for e in validate_all([Path("recipes")])]
    assert errors == [
        "recipes/b.yml:3: title: expected a string, got the number 5: put it in quotes",
        "recipes/c.yaml:8: unknown key 'bogus': expected one of "
        + ", ".join(recipe_schema()["properties"]),
    ]


def test_duplicate_ids_in_one_folder_name_both_files(in_tmp: Path) -> None:
    write(in_tmp, "recipes/a.yml", MINIMAL)
    write(in_tmp, "recipes/b.yml", MINIMAL)
    with pytest.raises(UserError) as caught:
        load_recipes([Path("recipes")])
    assert str(caught.value) == (
        "recipes/b.yml:2: id: duplicate recipe id 'minimal': recipes/a.yml has it too; "
        "rename one of them"
    )


def test_same_id_in_different_folders_is_fine_for_validation(in_tmp: Path) -> None:
    write(in_tmp, "one/a.yml", MINIMAL)
    write(in_tmp, "two/a.yml", MINIMAL)
    assert validate_all([Path("one"), Path("two")]) == []


def test_missing_path_and_empty_folder_are_user_errors(in_tmp: Path) -> None:
    (in_tmp / "empty").mkdir()
    with pytest.raises(UserError, match=r"^nothere: no such file or folder$"):
        load_recipes([Path("nothere")])
    with pytest.raises(UserError, match=r"^empty: no recipe files \(\*\.yml, \*\.yaml\)"):
        load_recipes([Path("empty")])


# --- discovery ------------------------------------------------------------------------------


@pytest.fixture
def builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "builtin"
    write(folder, "minimal.yml", MINIMAL)
    write(folder, "other.yml", MINIMAL.replace("id: minimal", "id: other"))
    monkeypatch.setattr(loader, "builtin_recipes_dir", lambda: folder)
    return folder


def test_discover_without_repo_lists_builtins(builtins: Path) -> None:
    recipes = discover(None)
    assert [(r.id, r.builtin, r.source) for r in recipes] == [
        ("minimal", True, (builtins / "minimal.yml").resolve()),
        ("other", True, (builtins / "other.yml").resolve()),
    ]


def test_repo_recipe_overrides_builtin_with_same_id(builtins: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo, ".nightcrew/recipes/mine.yml", MINIMAL.replace("Minimal", "Tuned"))
    write(repo, "more/extra.yaml", MINIMAL.replace("id: minimal", "id: extra"))
    recipes = discover(repo, [".nightcrew/recipes", "more"])
    assert [(r.id, r.title, r.builtin) for r in recipes] == [
        ("extra", "Minimal", False),
        ("minimal", "Tuned", False),
        ("other", "Minimal", True),
    ]


def test_discover_rejects_same_id_in_two_repo_folders(builtins: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo, ".nightcrew/recipes/a.yml", MINIMAL)
    write(repo, "more/b.yml", MINIMAL)
    with pytest.raises(UserError, match=r"duplicate recipe id 'minimal': .*a\.yml has it too"):
        discover(repo, ["more"])


def test_discover_requires_configured_extra_folders(builtins: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="missing: recipe folder does not exist"):
        discover(tmp_path, ["missing"])
    assert len(discover(tmp_path / "no-recipes-here", [".nightcrew/recipes"])) == 2


def test_builtin_recipes_dir_in_a_source_checkout() -> None:
    assert builtin_recipes_dir() == Path(loader.__file__).resolve().parents[2] / "recipes"


def test_builtin_recipes_are_valid() -> None:
    folder = builtin_recipes_dir()
    files = sorted(folder.glob("*.y*ml"))
    assert {f.stem for f in files} >= {"unnecessary-copies", "unused-imports", "modern-syntax"}
    assert [str(e) for e in validate_all(files)] == []


# --- yamlpos --------------------------------------------------------------------------------


def test_yamlpos_records_the_line_of_every_field() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  -\n    c: true\n# gap\nd: [p, q]\n", "f.yml")
    assert doc.data == {"a": 1, "b": ["x", {"c": True}], "d": ["p", "q"]}
    assert doc.lines == {
        (): 1,
        ("a",): 1,
        ("b",): 2,
        ("b", 0): 3,
        ("b", 1): 5,
        ("b", 1, "c"): 5,
        ("d",): 7,
        ("d", 0): 7,
        ("d", 1): 7,
    }
    assert doc.line(("b", 1, "missing", 3)) == 5


def test_yamlpos_keys_stay_text_and_aliases_resolve() -> None:
    doc = parse_yaml("on: &x [1]\nyes: *x\n", "f.yml")
    assert doc.data == {"on": [1], "yes": [1]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x [*x]\n", "f.yml:1: an alias refers to itself"),
        (
            "a: !!python/name:os.system x\n",
            "f.yml:1: invalid YAML: could not determine a constructor",
        ),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", "f.yml:3: c: YAML merge keys (<<) are not supported"),
        ("? [a]\n: 1\n", "f.yml:1: a key must be plain text"),
        ("a: \x00\n", "f.yml: invalid YAML: unacceptable character #x0000"),
    ],
)
def test_yamlpos_refuses_what_a_recipe_never_needs(text: str, expected: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_yaml(text, "f.yml")
    assert str(caught.value).startswith(expected), str(caught.value)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("find", "ruff", "select", 1), "find.ruff.select[1]"),
        (("tests", 0, "id"), "tests[0].id"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text
