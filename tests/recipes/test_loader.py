"""Recipe files -> Recipe: building values, loading files and folders, and discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import UserError
from bot.globs import in_scope
from bot.recipes import loader
from bot.recipes.fixtures import run_fixture
from bot.recipes.loader import (
    builtin_recipes_dir,
    discover,
    load_recipe,
    load_recipes,
    validate_all,
)
from bot.recipes.model import TEST_PATHS, AgentFind, FixtureCase, PrSettings, Recipe
from bot.recipes.validation import recipe_schema
from tests.recipes import MINIMAL, write

DETECTORS = ("list-concat-in-loop", "copy-before-iteration")

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
  require_coverage: false
pr:
  title: "Remove an unnecessary copy in {path}"
  body: "Found by {recipe} at line {line}."
  labels: [nightcrew, performance]
  grouping: function
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
        exclude=(*TEST_PATHS, "tests/**", "docs/**"),
        ruff_select=("C414", "C419", "PERF101", "C4"),
        ruff_preview=False,
        detectors=DETECTORS,
        agent_find=AgentFind("Look for copies.", files_per_agent=3, max_findings=4),
        fix_unsafe=True,
        verify_commands=("python -m pytest -q",),
        verify_timeout=600.0,
        allow_lint_only=True,
        verify_mode="each",
        verify_require_coverage=False,
        pr=PrSettings(
            title="Remove an unnecessary copy in {path}",
            body="Found by {recipe} at line {line}.",
            labels=("nightcrew", "performance"),
            grouping="function",
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


# --- reading files and folders --------------------------------------------------------------------


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


def test_scan_goes_on_past_bad_repo_recipes(builtins: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo, ".nightcrew/recipes/bad.yml", "id: [\n")
    write(repo, ".nightcrew/recipes/good.yml", MINIMAL.replace("id: minimal", "id: good"))
    write(repo, ".nightcrew/recipes/minimal.yml", MINIMAL.replace("Minimal", "Tuned"))
    found = loader.scan(repo, [".nightcrew/recipes", "missing"])
    assert [(r.id, r.title, r.replaces) for r in found.recipes] == [
        ("good", "Minimal", None),
        ("minimal", "Tuned", (builtins / "minimal.yml").resolve()),
        ("other", "Minimal", None),
    ]
    assert [(Path(e.file or "").name, e.line, e.message.split(":")[0]) for e in found.errors] == [
        ("missing", None, "recipe folder does not exist"),
        ("bad.yml", 2, "invalid YAML"),
    ]
    with pytest.raises(UserError, match="invalid YAML"):
        discover(repo)


def test_repo_recipes_leave_test_code_alone_unless_they_include_tests(in_tmp: Path) -> None:
    plain = load_recipe(write(in_tmp, "plain.yml", MINIMAL + "scope:\n  exclude: [docs/**]\n"))
    assert plain.exclude == (*TEST_PATHS, "docs/**")
    for_tests = load_recipe(
        write(
            in_tmp,
            "for-tests.yml",
            MINIMAL.replace("id: minimal", "id: for-tests")
            + "scope:\n  include: ['**/test_*.py']\n  include_tests: true\n"
            + "tests:\n  - id: a\n    unchanged: x = 1\n",
        )
    )
    assert for_tests.include == ("**/test_*.py",)
    assert for_tests.exclude == ()
    assert for_tests.tests[0].path == "test_example.py"  # derived from scope.include


def test_fixture_default_path_lies_in_the_scope(in_tmp: Path) -> None:
    text = MINIMAL + "scope:\n  include: ['src/**/*.py']\ntests:\n  - id: a\n    unchanged: x = 1\n"
    recipe = load_recipe(write(in_tmp, "src-only.yml", text))
    assert recipe.tests[0].path == "src/example.py"
    assert in_scope(recipe.tests[0].path, recipe.include, recipe.exclude)
    assert run_fixture(recipe, recipe.tests[0]).status == "pass"
