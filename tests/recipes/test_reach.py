"""`recipes validate` against a repository: bad globs are errors, globs taking no file warn."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.recipes import MINIMAL, write


def recipe(scope: str) -> str:
    return MINIMAL + "scope:\n" + scope


@pytest.fixture
def repo(make_repo, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo("proj", {"pkg/mod.py": "X = 1\n", "tests/test_mod.py": "Y = 2\n"})
    monkeypatch.chdir(repo)
    return repo


def test_an_include_glob_matching_no_file_warns_naming_the_repository(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "r.yml", recipe("  include: ['pkg/**/*.py', 'src/**/*.py']\n"))
    assert main(["recipes", "validate", "r.yml"]) == 0
    out, err = capsys.readouterr()
    assert out == "ok  r.yml\n"
    assert err == (
        f"r.yml:9: scope.include[1]: warning: 'src/**/*.py' matches no file git tracks in "
        f"{repo}: check the pattern (globs match whole paths from the repository root; "
        "'**/' spans any folders)\n"
    )


def test_an_include_of_test_code_only_warns_of_the_default_excludes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "r.yml", recipe("  include: ['tests/**/*.py']\n"))
    assert main(["recipes", "validate", "r.yml"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("r.yml:9: scope.include[0]: warning: 'tests/**/*.py' matches 1 file")
    assert "set scope.include_tests: true" in err
    write(repo, "r.yml", recipe("  include: ['tests/**/*.py']\n  include_tests: true\n"))
    assert main(["recipes", "validate", "r.yml"]) == 0
    assert capsys.readouterr().err == ""


def test_an_include_its_own_exclude_empties_warns(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "r.yml", recipe("  include: ['pkg/*.py']\n  exclude: ['pkg/**']\n"))
    assert main(["recipes", "validate", "r.yml"]) == 0
    assert "scope.exclude drops every one of them" in capsys.readouterr().err


def test_the_default_include_is_checked_too(
    make_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo("docs-only", {"README.md": "hi\n"})
    write(repo / "sub", "r.yml", MINIMAL)
    monkeypatch.chdir(repo / "sub")  # the checkout around . is found upwards
    assert main(["recipes", "validate", "r.yml"]) == 0
    assert capsys.readouterr().err == (
        f"r.yml:1: scope: warning: the default include '**/*.py' matches no file git tracks "
        f"in {repo}: check the pattern (globs match whole paths from the repository root; "
        "'**/' spans any folders)\n"
    )


def test_repo_option_checks_against_that_checkout(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    write(outside, "r.yml", recipe("  include: ['src/**/*.py']\n"))
    monkeypatch.chdir(outside)  # not a checkout: nothing to check against
    assert main(["recipes", "validate", "r.yml"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["recipes", "validate", "--repo", str(repo), "r.yml"]) == 0
    assert f"matches no file git tracks in {repo}" in capsys.readouterr().err
    assert main(["recipes", "validate", "--repo", str(outside), "r.yml"]) == 2
    assert "is not inside a git checkout" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("/src/**", "is absolute"),
        ("../other/**", "contains '..'"),
        ("src/[", "opens a '['"),
        ("", "empty pattern"),
    ],
)
def test_a_bad_glob_is_an_error_with_file_line_and_field(
    repo: Path, pattern: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "r.yml", recipe(f"  include: ['pkg/*.py']\n  exclude: ['{pattern}']\n"))
    assert main(["recipes", "validate", "r.yml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("r.yml:10: scope.exclude[0]: "), err
    assert problem in err
