from __future__ import annotations

import time

import pytest

from bot.fix.guard import (
    DEFAULT_PROTECTED,
    FileChange,
    GuardPolicy,
    changed_line_count,
    changed_lines,
    check,
    count_checks,
    is_test_file,
)

POLICY = GuardPolicy(include=("**/*.py",), exclude=("vendor/**",), max_changed_lines=10)


def modified(path: str, old: str = "x = 1\n", new: str = "x = 2\n") -> FileChange:
    return FileChange(path=path, status="M", old_text=old, new_text=new)


def lines(n: int, word: str = "x") -> str:
    return "".join(f"{word}{i} = {i}\n" for i in range(n))


# --------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    ("changes", "policy"),
    [
        pytest.param([modified("pkg/mod.py")], POLICY, id="one-line-change"),
        pytest.param([modified("a.py"), modified("b/c.py")], POLICY, id="two-files"),
        pytest.param(
            [modified("a.py", lines(5), lines(5, "y"))], POLICY, id="exactly-at-the-limit"
        ),
        pytest.param(
            [FileChange("a.py", "M", "x = 1\n", "x = 2\n", mode_changed=False)],
            POLICY,
            id="mode-unchanged",
        ),
        pytest.param([modified("migrations/m.py")], POLICY, id="not-protected-by-default"),
        pytest.param(
            [FileChange("a.py", "M100", "a\n", "b\n")], POLICY, id="status-with-git-score"
        ),
    ],
)
def test_accepted(changes, policy):
    verdict = check(changes, policy)
    assert verdict.reasons == ()
    assert verdict.ok


# --------------------------------------------------------------------------- rejected


@pytest.mark.parametrize(
    ("changes", "policy", "expected"),
    [
        pytest.param([], POLICY, "the fix changed nothing", id="no-change"),
        pytest.param(
            [modified("a.py", "same\n", "same\n")], POLICY, "changed nothing", id="identical-text"
        ),
        pytest.param(
            [modified("README.md")], POLICY, "README.md is outside the recipe's scope", id="scope"
        ),
        pytest.param(
            [modified("vendor/lib.py")],
            POLICY,
            "vendor/lib.py is outside the recipe's scope",
            id="excluded",
        ),
        pytest.param(
            [modified(".github/workflows/ci.yml")],
            GuardPolicy(include=("**",)),
            ".github/workflows/ci.yml is a protected path",
            id="github-dir",
        ),
        pytest.param(
            [modified("sub/poetry.lock")],
            GuardPolicy(include=("**",)),
            "sub/poetry.lock is a protected path",
            id="lock-file-anywhere",
        ),
        pytest.param(
            [modified("requirements-dev.txt")],
            GuardPolicy(include=("**",)),
            "requirements-dev.txt is a protected path",
            id="requirements",
        ),
        pytest.param(
            [modified("noxfile.py")], POLICY, "noxfile.py is a protected path", id="noxfile"
        ),
        pytest.param(
            [modified(".nightcrew/recipes/x.py")],
            POLICY,
            ".nightcrew/recipes/x.py is a protected path",
            id="recipe-files",
        ),
        pytest.param(
            [modified("migrations/0001.py")],
            GuardPolicy(include=("**/*.py",), protected=("migrations/**",)),
            "migrations/0001.py is a protected path",
            id="policy-extra-protected",
        ),
        pytest.param(
            [FileChange("new.py", "A", None, "x = 1\n")],
            POLICY,
            "new.py was added: a fix may only modify existing text files",
            id="added",
        ),
        pytest.param(
            [FileChange("old.py", "D", "x = 1\n", None)],
            POLICY,
            "old.py was deleted",
            id="deleted",
        ),
        pytest.param(
            [FileChange("new.py", "R100", "x\n", "x\n", old_path="old.py")],
            POLICY,
            "new.py was renamed",
            id="renamed",
        ),
        pytest.param(
            [FileChange("new.py", "R", "x\n", "x\n", old_path="README")],
            POLICY,
            "README is outside the recipe's scope",
            id="renamed-from-outside-scope",
        ),
        pytest.param(
            [FileChange("a.py", "T", "x\n", "x\n")],
            POLICY,
            "a.py was changed in type or file mode",
            id="type-change",
        ),
        pytest.param(
            [FileChange("a.py", "M", None, None, binary=True)],
            POLICY,
            "a.py is a binary file",
            id="binary",
        ),
        pytest.param(
            [FileChange("a.py", "M", "x\n", "x\n", mode_changed=True)],
            POLICY,
            "a.py changed its file mode",
            id="mode-change",
        ),
        pytest.param(
            [modified("a.py", lines(6), lines(6, "y"))],
            POLICY,
            "the fix changes 12 lines, more than the limit of 10: a.py (12)",
            id="too-many-lines",
        ),
        pytest.param(
            [modified("a.py", lines(3), lines(3, "y")), modified("b.py", lines(3), lines(3, "z"))],
            POLICY,
            "the fix changes 12 lines",
            id="too-many-lines-over-files",
        ),
    ],
)
def test_rejected(changes, policy, expected):
    verdict = check(changes, policy)
    assert not verdict.ok
    assert any(expected in reason for reason in verdict.reasons), verdict.reasons


def test_every_reason_is_reported():
    verdict = check([modified(".github/x.py"), modified("README.md")], POLICY)
    assert verdict.reasons == (
        ".github/x.py is a protected path (CI, dependencies or configuration)",
        "README.md is outside the recipe's scope",
    )


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        ".circleci/config.yml",
        ".travis.yml",
        "azure-pipelines.yml",
        "Jenkinsfile",
        ".pre-commit-config.yaml",
        "tox.ini",
        "noxfile.py",
        "Cargo.lock",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "package-lock.json",
        "web/yarn.lock",
        "pnpm-lock.yaml",
        "requirements.txt",
        "requirements/dev.txt",
        "constraints.txt",
        "pyproject.toml",
        "setup.cfg",
        "pytest.ini",
        "ruff.toml",
        ".nightcrew/recipes/mine.yml",
    ],
)
def test_default_protected(path):
    verdict = check([modified(path)], GuardPolicy(include=("**",)))
    assert f"{path} is a protected path (CI, dependencies or configuration)" in verdict.reasons


def test_protected_defaults_cannot_be_dropped_by_the_policy():
    policy = GuardPolicy(include=("**",), protected=())
    assert not check([modified("uv.lock")], policy).ok
    assert ".github/**" in DEFAULT_PROTECTED


# --------------------------------------------------------------------------- weakened tests

TEST_BEFORE = """\
import pytest

def test_one():
    assert f() == 1
    assert g()

def test_two():
    with pytest.raises(ValueError):
        h()

class TestThing(unittest.TestCase):
    def test_three(self):
        self.assertEqual(f(), 1)
"""


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        pytest.param(
            TEST_BEFORE.replace("def test_two", "def _two"),
            "tests/test_x.py has fewer test functions (3 -> 2)",
            id="test-deleted",
        ),
        pytest.param(
            TEST_BEFORE.replace("    assert g()\n", ""),
            "tests/test_x.py has fewer assertions (4 -> 3)",
            id="assert-removed",
        ),
        pytest.param(
            TEST_BEFORE.replace("assert f() == 1", "assert True"),
            "has fewer assertions (4 -> 3)",
            id="assert-true",
        ),
        pytest.param(
            TEST_BEFORE.replace("assert f() == 1", "assert 1"),
            "has fewer assertions",
            id="assert-constant",
        ),
        pytest.param(
            TEST_BEFORE.replace("assert f() == 1", 'assert (f() == 1, "msg")'),
            "has fewer assertions",
            id="assert-tuple",
        ),
        pytest.param(
            TEST_BEFORE.replace("self.assertEqual(f(), 1)", "f()"),
            "has fewer assertions",
            id="assert-method-removed",
        ),
        pytest.param(
            TEST_BEFORE.replace("    with pytest.raises(ValueError):\n        h()", "    h()"),
            "has fewer assertions",
            id="raises-removed",
        ),
        pytest.param(
            TEST_BEFORE.replace("def test_one", "@pytest.mark.skip\ndef test_one"),
            "tests/test_x.py adds a skip or xfail (0 -> 1 uses)",
            id="mark-skip",
        ),
        pytest.param(
            TEST_BEFORE.replace(
                "def test_one", "@pytest.mark.skipif(True, reason='')\ndef test_one"
            ),
            "adds a skip or xfail",
            id="mark-skipif",
        ),
        pytest.param(
            TEST_BEFORE.replace("def test_one", "@pytest.mark.xfail\ndef test_one"),
            "adds a skip or xfail",
            id="mark-xfail",
        ),
        pytest.param(
            TEST_BEFORE.replace("    assert g()", "    pytest.skip('later')\n    assert g()"),
            "adds a skip or xfail",
            id="pytest-skip-call",
        ),
        pytest.param(
            TEST_BEFORE.replace("    assert g()", "    pytest.xfail('later')\n    assert g()"),
            "adds a skip or xfail",
            id="pytest-xfail-call",
        ),
        pytest.param(
            TEST_BEFORE.replace(
                "    def test_three", "    @unittest.skip('x')\n    def test_three"
            ),
            "adds a skip or xfail",
            id="unittest-skip",
        ),
        pytest.param(
            TEST_BEFORE.replace("    def test_three", "    @skip('x')\n    def test_three"),
            "adds a skip or xfail",
            id="bare-skip",
        ),
        pytest.param(
            TEST_BEFORE.replace(
                "        self.assertEqual", "        self.skipTest('x')\n        self.assertEqual"
            ),
            "adds a skip or xfail",
            id="skip-test-method",
        ),
        pytest.param(
            TEST_BEFORE + "\npytestmark = pytest.mark.skip\n",
            "adds a skip or xfail",
            id="module-pytestmark",
        ),
        pytest.param(
            TEST_BEFORE.replace("    assert g()\n", "    g(\n"),
            "has fewer assertions (4 -> 3)",
            id="unparseable-falls-back-to-regex",
        ),
    ],
)
def test_weakened_tests_rejected(new, expected):
    verdict = check([modified("tests/test_x.py", TEST_BEFORE, new)], POLICY)
    assert not verdict.ok
    assert any(expected in reason for reason in verdict.reasons), verdict.reasons


@pytest.mark.parametrize(
    "new",
    [
        pytest.param(TEST_BEFORE.replace("f() == 1", "f() == 2"), id="assert-changed"),
        pytest.param(TEST_BEFORE + "\ndef test_four():\n    assert k()\n", id="test-added"),
        pytest.param(
            TEST_BEFORE.replace("self.assertEqual(f(), 1)", "assert f() == 1"),
            id="unittest-assert-to-plain-assert",
        ),
        pytest.param(
            TEST_BEFORE.replace("    assert g()", "    x = list(range(3))\n    assert g()"),
            id="unrelated-code",
        ),
        pytest.param(
            TEST_BEFORE.replace("import pytest", "import pytest  # skip this comment"),
            id="skip-in-a-comment",
        ),
    ],
)
def test_unweakened_tests_accepted(new):
    verdict = check([modified("tests/test_x.py", TEST_BEFORE, new)], POLICY)
    assert verdict.reasons == ()


def test_weakening_rules_apply_only_to_test_files():
    new = TEST_BEFORE.replace("    assert g()\n", "")
    assert check([modified("pkg/helpers.py", TEST_BEFORE, new)], POLICY).ok
    assert not check([modified("pkg/test_helpers.py", TEST_BEFORE, new)], POLICY).ok


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/util.py", True),
        ("pkg/tests/sub/util.py", True),
        ("test_x.py", True),
        ("pkg/x_test.py", True),
        ("conftest.py", True),
        ("src/conftest.py", True),
        ("pkg/testing.py", False),
        ("pkg/mod.py", False),
        ("tests/data.json", False),
    ],
)
def test_is_test_file(path, expected):
    assert is_test_file(path) is expected


def test_count_checks_ast_and_regex_agree_on_simple_files():
    by_ast, _ = count_checks(TEST_BEFORE, TEST_BEFORE)
    by_regex, _ = count_checks(TEST_BEFORE, TEST_BEFORE + "def (:\n")
    assert by_ast.test_functions == by_regex.test_functions == 3
    assert by_ast.assertions == by_regex.assertions == 4
    assert by_ast.skips == by_regex.skips == 0


@pytest.mark.parametrize(
    ("old", "new", "count"),
    [
        ("a\nb\n", "a\nb\n", 0),
        ("a\nb\n", "a\nc\n", 2),
        ("a\n", "a\nb\n", 1),
        ("a\nb\n", "a\n", 1),
        ("", "a\nb\nc\n", 3),
        ("a\nb", "a\nb\n", 2),
        ("a\r\n", "a\n", 2),
        ("a\fb\nc\n", "a\fB\nc\n", 2),  # a form feed ends a line for str.splitlines
        ("x\n" * 30 + "y\n", "x\n" * 31 + "y\n", 1),
    ],
)
def test_changed_lines(old, new, count):
    assert changed_lines(old, new) == count


def test_changed_lines_of_one_fix_in_a_big_file_is_cheap():
    # It used to run a whole-file line diff per fix: minutes for a file with many findings.
    old = "ordered = sorted(list(names))\n" * 20_000
    lines = old.splitlines(keepends=True)
    started = time.perf_counter()
    for n in range(0, 20_000, 100):
        new = "".join([*lines[:n], "ordered = sorted(names)\n", *lines[n + 1 :]])
        assert changed_lines(old[:1] + old[1:], new) == 2
    assert time.perf_counter() - started < 10


def test_changed_line_count_skips_binary():
    changes = [modified("a.py", "a\n", "b\n"), FileChange("b.png", "M", None, None, binary=True)]
    assert changed_line_count(changes) == 2
