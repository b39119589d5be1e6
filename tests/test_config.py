"""The repository config, .github/nightcrew.yml -> RepoConfig."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from bot.config import RepoConfig, check_enabled, config_schema, load_config
from bot.errors import UserError
from bot.recipes.model import GROUPINGS, Recipe

FULL = """\
version: 1
recipes:
  - unnecessary-copies
  - modern-syntax
recipe_dirs: [.nightcrew/recipes, tools/recipes]
test_command: python -m pytest -q -x
base: main
limits:
  max_fixes: 3
  max_changed_lines: 40
  test_timeout: 600
protected: ["migrations/**", "**/settings.py"]
git:
  author_name: Night Bot
  author_email: bot@example.com
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    return tmp_path


def write_config(repo: Path, text: str, name: str = ".github/nightcrew.yml") -> Path:
    path = repo / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_file_means_defaults(repo: Path) -> None:
    assert load_config(repo) == RepoConfig()
    assert load_config(repo, None).recipes is None


def test_full_config(repo: Path) -> None:
    path = write_config(repo, FULL)
    config = load_config(repo)
    assert config == RepoConfig(
        recipes=("unnecessary-copies", "modern-syntax"),
        recipe_dirs=(".nightcrew/recipes", "tools/recipes"),
        test_command="python -m pytest -q -x",
        base="main",
        max_fixes=3,
        max_changed_lines=40,
        test_timeout=600.0,
        protected=("migrations/**", "**/settings.py"),
        author_name="Night Bot",
        author_email="bot@example.com",
        source=path.resolve(),
    )
    assert config.recipe_lines == (3, 4)
    assert isinstance(config.test_timeout, float)


def test_yaml_extension_and_explicit_path(repo: Path) -> None:
    write_config(repo, "version: 1\nbase: dev\n", ".github/nightcrew.yaml")
    assert load_config(repo).base == "dev"
    other = write_config(repo, "version: 1\nbase: release\n", "elsewhere.yml")
    assert load_config(repo, other).base == "release"


def test_explicit_missing_path_is_a_user_error(repo: Path) -> None:
    with pytest.raises(UserError, match=r"^nope\.yml: config file not found"):
        load_config(repo, repo / "nope.yml")


def test_schema_defaults_match_the_dataclass() -> None:
    props = config_schema()["properties"]
    limits, git = props["limits"]["properties"], props["git"]["properties"]
    assert props["recipe_dirs"]["default"] == list(RepoConfig.recipe_dirs)
    assert props["protected"]["default"] == list(RepoConfig.protected)
    assert limits["max_fixes"]["default"] == RepoConfig.max_fixes
    assert limits["max_changed_lines"]["default"] == RepoConfig.max_changed_lines
    assert limits["test_timeout"]["default"] == RepoConfig.test_timeout
    assert git["author_name"]["default"] == RepoConfig.author_name
    assert git["author_email"]["default"] == RepoConfig.author_email
    assert props["github"]["properties"]["wait_budget"]["default"] == RepoConfig.wait_budget
    grouping = props["pr"]["properties"]["grouping"]
    assert grouping["default"] == RepoConfig.pr_grouping == "finding"
    assert tuple(grouping["enum"]) == GROUPINGS
    verify = props["verify"]["properties"]
    assert verify["forget_rejections_after_days"]["default"] == (
        RepoConfig.forget_rejections_after_days
    )
    assert verify["require_coverage"]["default"] is RepoConfig.require_coverage


def test_github_wait_budget(repo: Path) -> None:
    assert load_config(repo).wait_budget == 600.0  # about ten minutes a night
    write_config(repo, "version: 1\ngithub:\n  wait_budget: 120\n")
    config = load_config(repo)
    assert config.wait_budget == 120.0 and isinstance(config.wait_budget, float)


def test_verify_require_coverage(repo: Path) -> None:
    assert load_config(repo).require_coverage is True  # no test executes it: no PR
    write_config(repo, "version: 1\nverify:\n  require_coverage: false\n")
    assert load_config(repo).require_coverage is False


def test_pr_grouping_default_and_a_bad_value(repo: Path) -> None:
    write_config(repo, "version: 1\npr:\n  grouping: file\n")
    assert load_config(repo).pr_grouping == "file"
    write_config(repo, "version: 1\npr:\n  grouping: line\n")
    with pytest.raises(UserError, match=r"nightcrew\.yml:3: pr\.grouping: .*'finding'"):
        load_config(repo)


def test_verify_forget_rejections_after_days(repo: Path) -> None:
    assert load_config(repo).forget_rejections_after_days == 30.0
    write_config(repo, "version: 1\nverify:\n  forget_rejections_after_days: 0\n")
    assert load_config(repo).forget_rejections_after_days == 0.0  # every night
    write_config(repo, "version: 1\nverify:\n  forget_rejections_after_days: 7\n")
    days = load_config(repo).forget_rejections_after_days
    assert days == 7.0 and isinstance(days, float)


def test_sandbox_settings(repo: Path) -> None:
    assert load_config(repo).sandbox_mode == "auto"  # no file: sandbox when it can
    assert load_config(repo).sandbox_network is False
    write_config(
        repo, "version: 1\nsandbox:\n  mode: required\n  hide: [~/.corp, /etc/x]\n  network: true\n"
    )
    config = load_config(repo)
    assert (config.sandbox_mode, config.sandbox_line, config.sandbox_network) == (
        "required",
        3,
        True,
    )
    assert config.sandbox_hide == ("~/.corp", "/etc/x")
    assert config_schema()["properties"]["sandbox"]["properties"]["mode"]["default"] == "auto"


def test_pr_reverify_after_days(repo: Path) -> None:
    assert load_config(repo).reverify_after_days == 14
    pr = config_schema()["properties"]["pr"]["properties"]
    assert pr["reverify_after_days"]["default"] == RepoConfig.reverify_after_days
    write_config(repo, "version: 1\npr:\n  max_open: 5\n  reverify_after_days: 30\n")
    config = load_config(repo)
    assert (config.max_open_prs, config.reverify_after_days) == (5, 30)


def test_config_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(config_schema())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ".github/nightcrew.yml:1: the file is empty: write at least `version: 1`"),
        ("base: main\n", ".github/nightcrew.yml:1: missing required key 'version'"),
        (
            "version: 2\n",
            ".github/nightcrew.yml:1: version: unsupported version 2: "
            "this Nightcrew reads version 1",
        ),
        (
            "version: 1\nlimits:\n  max_fix: 3\n",
            ".github/nightcrew.yml:3: limits: unknown key 'max_fix' (did you mean 'max_fixes'?)",
        ),
        (
            "version: 1\nlimits:\n  max_fixes: 0\n",
            ".github/nightcrew.yml:3: limits.max_fixes: must be at least 1, got 0",
        ),
        (
            "version: 1\nlimits:\n  test_timeout: soon\n",
            ".github/nightcrew.yml:3: limits.test_timeout: "
            "expected a number, got the string 'soon'",
        ),
        (
            "version: 1\npr:\n  max_new: 3\n  reverify_after_days: 0\n",
            ".github/nightcrew.yml:4: pr.reverify_after_days: must be at least 1, got 0",
        ),
        (
            "version: 1\npr:\n  reverify_after_days: 2.5\n",
            ".github/nightcrew.yml:3: pr.reverify_after_days: expected a whole number, "
            "got the number 2.5",
        ),
        (
            "version: 1\npr:\n  reverify_days: 7\n",
            ".github/nightcrew.yml:3: pr: unknown key 'reverify_days' "
            "(did you mean 'reverify_after_days'?)",
        ),
        (
            "version: 1\nrecipes: unnecessary-copies\n",
            ".github/nightcrew.yml:2: recipes: expected a list of strings, got the string "
            "'unnecessary-copies': write it as a list, [\"unnecessary-copies\"]",
        ),
        (
            "version: 1\nrecipes:\n  - Bad Id\n",
            ".github/nightcrew.yml:3: recipes[0]: 'Bad Id' is not a recipe id",
        ),
        (
            "version: 1\nprotected:\n  - ok/**\n  - /etc/**\n",
            ".github/nightcrew.yml:4: protected[1]: pattern '/etc/**' is absolute",
        ),
        (
            "version: 1\nrecipe_dirs: [../shared]\n",
            ".github/nightcrew.yml:2: recipe_dirs[0]: '../shared' must be a folder inside the "
            "repository",
        ),
        (
            "version: 1\nbase: my branch\n",
            ".github/nightcrew.yml:2: base: 'my branch' is not a valid branch name",
        ),
        (
            "version: 1\ngit:\n  author_email: nightcrew\n",
            ".github/nightcrew.yml:3: git.author_email: 'nightcrew' is not an email address",
        ),
        (
            "version: 1\nversion: 1\n",
            ".github/nightcrew.yml:2: duplicate key 'version' (first on line 1)",
        ),
        ("version: [1\n", ".github/nightcrew.yml:1: invalid YAML: expected ',' or ']'"),
        (
            "version: 1\nsandbox:\n  mode: off\n",  # YAML reads `off` as false
            ".github/nightcrew.yml:3: sandbox.mode: expected a string, got false",
        ),
        (
            "version: 1\nsandbox:\n  mode: strict\n",
            ".github/nightcrew.yml:3: sandbox.mode: 'strict' is not supported: "
            "use 'auto', 'required', 'disabled'",
        ),
        (
            "version: 1\ngithub:\n  wait_budget: -5\n",
            ".github/nightcrew.yml:3: github.wait_budget: must be at least 0, got -5",
        ),
        (
            "version: 1\ngithub:\n  wait_budget: 10 minutes\n",
            ".github/nightcrew.yml:3: github.wait_budget: expected a number, got the string "
            "'10 minutes'",
        ),
        (
            "version: 1\nverify:\n  require_coverage: sometimes\n",
            ".github/nightcrew.yml:3: verify.require_coverage: expected true or false, got the "
            "string 'sometimes'",
        ),
        (
            "version: 1\nverify:\n  forget_rejections_after_days: -1\n",
            ".github/nightcrew.yml:3: verify.forget_rejections_after_days: must be at least 0, "
            "got -1",
        ),
        (
            "version: 1\nverify:\n  forget_rejections_after_days: a month\n",
            ".github/nightcrew.yml:3: verify.forget_rejections_after_days: expected a number, "
            "got the string 'a month'",
        ),
        (
            "version: 1\nverify:\n  forget_after: 3\n",
            ".github/nightcrew.yml:3: verify: unknown key 'forget_after'",
        ),
        (
            "version: 1\ngithub:\n  retries: 3\n",
            ".github/nightcrew.yml:3: github: unknown key 'retries'",
        ),
        (
            "version: 1\nsandbox:\n  hide: [.aws]\n",
            ".github/nightcrew.yml:3: sandbox.hide[0]: '.aws' must be an absolute path or "
            "start with ~/",
        ),
    ],
    ids=lambda v: v.splitlines()[-1][:30] if "\n" in v else None,
)
def test_bad_config_names_file_line_and_field(repo: Path, text: str, expected: str) -> None:
    write_config(repo, text)
    with pytest.raises(UserError) as caught:
        load_config(repo)
    assert str(caught.value).startswith(expected), str(caught.value)


def _recipe(recipe_id: str) -> Recipe:
    return Recipe(id=recipe_id, title="t", description="d")


def test_check_enabled_accepts_known_ids(repo: Path) -> None:
    write_config(repo, FULL)
    check_enabled(load_config(repo), [_recipe("modern-syntax"), _recipe("unnecessary-copies")])
    check_enabled(RepoConfig(), [])  # None enables whatever exists


def test_check_enabled_points_at_the_config_line(repo: Path) -> None:
    write_config(repo, FULL)
    with pytest.raises(UserError) as caught:
        check_enabled(load_config(repo), [_recipe("unnecessary-copies"), _recipe("modern-syntx")])
    assert str(caught.value) == (
        ".github/nightcrew.yml:4: recipes[1]: unknown recipe 'modern-syntax' "
        "(did you mean 'modern-syntx'?); known recipes: modern-syntx, unnecessary-copies"
    )
