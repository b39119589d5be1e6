"""Globs for scopes and protected paths: whole-path, ** spans folders, dot-files included."""

from __future__ import annotations

import pytest

from bot.globs import example_path, in_scope, matches, pattern_problem


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a.py", "**/*.py", True),  # ** can be zero folders
        ("src/pkg/a.py", "**/*.py", True),
        ("src/pkg/a.pyi", "**/*.py", False),
        ("src/.hidden/a.py", "**/*.py", True),  # DOTGLOB
        (".github/workflows/ci.yml", ".github/**", True),
        ("config/.env", "config/*", True),
        ("tests/unit/test_a.py", "tests/**", True),
        ("tests", "tests/**", False),  # a folder pattern matches files below it
        ("src/tests/test_a.py", "tests/**", False),  # anchored at the root
        ("src/tests/test_a.py", "**/tests/**", True),
        ("pkg/conftest.py", "conftest.py", False),  # no basename matching
        ("pkg/conftest.py", "**/conftest.py", True),
        ("a/b.pyi", "**/*.{py,pyi}", True),  # BRACE
        ("README.md", "readme.md", False),  # case-sensitive everywhere
        ("a/b/c.py", "a/*.py", False),  # * stays within one folder
    ],
)
def test_matches(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, [pattern]) is expected


def test_matches_needs_a_pattern() -> None:
    assert matches("a.py", []) is False
    assert matches("a.py", iter(["x.py", "*.py"])) is True


@pytest.mark.parametrize(
    ("path", "expected"),
    [("src/a.py", True), ("tests/test_a.py", False), ("docs/conf.py", False), ("src/a.txt", False)],
)
def test_in_scope(path: str, expected: bool) -> None:
    assert in_scope(path, ["**/*.py"], ["tests/**", "docs/**"]) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "**/*.py",
        "src/**",
        "a/b.py",
        "**/*.{py,pyi}",
        "[ab].py",
        "src/[]]x",  # a ] first in the set is a member
        "src/[!]x]",
        "src/[[]x",  # the way to write a literal [
        "a\\[b",  # an escaped [
        "[[:alpha:]]*.py",
    ],
)
def test_good_patterns(pattern: str) -> None:
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "empty pattern"),
        ("   ", "empty pattern"),
        (" src/**", "has leading or trailing spaces"),
        (
            "/src/**",
            "pattern '/src/**' is absolute: patterns are relative to the repository root, "
            "write 'src/**'",
        ),
        ("C:/src/**", "is absolute"),
        ("../other/**", "pattern '../other/**' contains '..'"),
        ("src/../../x", "contains '..'"),
        ("./src/**", "starts with './': write 'src/**'"),
        ("tests/", "ends with '/' and would match no file: write 'tests/**'"),
        ("{1..1000}{1..1000}", "cannot be compiled: Pattern limit exceeded"),
        ("src/[", "pattern 'src/[' opens a '[' that no ']' closes"),
        ("src/[]", "opens a '['"),
        ("gen/[!a-z", "opens a '['"),
        ("src/[a/b]", "opens a '['"),  # a set never spans folders
        ("{a,[}", "opens a '['"),
    ],
)
def test_bad_patterns(pattern: str, message: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None
    assert message in problem


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (["**/*.py"], [], "example.py"),
        (["src/**/*.py"], [], "src/example.py"),
        (["**/test_*.py"], [], "test_example.py"),
        (["**/*_test.py"], [], "example_test.py"),
        (["**/*.{py,pyi}"], [], "example.py"),
        (["lib/[ab]?.py"], [], "lib/ax.py"),
        (["pkg/*/mod.py"], [], "pkg/example/mod.py"),
        (["src/**"], [], "src/example.py"),
        (["**/tests/**/*.py"], [], "tests/example.py"),
        (["**/*.py"], ["*.py"], "pkg/example.py"),  # the top level is excluded
        (["app.py", "**/*.py"], [], "app.py"),
        (["src/*.py"], ["src/*"], None),  # nothing it takes survives the exclude
    ],
)
def test_example_path_lies_in_the_scope(include, exclude, expected):
    found = example_path(include, exclude)
    assert found == expected
    if found is not None:
        assert in_scope(found, include, exclude)
