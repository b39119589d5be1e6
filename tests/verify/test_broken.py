"""A baseline that can verify nothing: which runs count, the error line quoted, what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.verify.broken import broken_suite, first_error_line, what_to_do
from bot.verify.compare import baseline_problem, broken_baseline
from bot.verify.runs import run_tests
from tests.verify.test_runs import junit, run, suite

# Logs as pytest 8/9 writes them (trimmed), one per kind of broken suite.
COLLECTION_ERROR = """\

==================================== ERRORS ====================================
__________________________ ERROR collecting test_a.py __________________________
ImportError while importing test module '/tmp/repo/test_a.py'.
Hint: make sure your test modules/packages have valid Python names.
Traceback:
/usr/lib/python3.11/importlib/__init__.py:126: in import_module
    return _bootstrap._gcd_import(name[level:], package, level)
test_a.py:1: in <module>
    import whatever_missing_xyz
E   ModuleNotFoundError: No module named 'whatever_missing_xyz'
=========================== short test summary info ============================
ERROR test_a.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
1 error in 0.22s
"""
CONFTEST_ERROR = """\
ImportError while loading conftest '/tmp/repo/conftest.py'.
conftest.py:1: in <module>
    import whatever_missing_xyz
E   ModuleNotFoundError: No module named 'whatever_missing_xyz'
"""
NO_PYTEST = "/home/me/.venv/bin/python: No module named pytest\n"
USAGE = """\
ERROR: usage: python -m pytest [options] [file_or_dir] [file_or_dir] [...]
python -m pytest: error: unrecognized arguments: --bogus
  inifile: None
"""
ALL_FAILING = """\
EF                                                                       [100%]
==================================== ERRORS ====================================
___________________________ ERROR at setup of test_a ___________________________
    @pytest.fixture
    def f():
>       raise RuntimeError("db down")
E       RuntimeError: db down
=================================== FAILURES ===================================
    def test_b():
>       assert 1 == 2
E       assert 1 == 2
1 failed, 1 error in 0.04s
"""
ASSERTIONS = "F                [100%]\n>       assert 1 == 2\nE       assert 1 == 2\n1 failed\n"
NO_TESTS = "\nno tests ran in 0.00s\n"
TRACEBACK = "Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'HOME'\n"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (COLLECTION_ERROR, "ModuleNotFoundError: No module named 'whatever_missing_xyz'"),
        (CONFTEST_ERROR, "ModuleNotFoundError: No module named 'whatever_missing_xyz'"),
        (NO_PYTEST, "/home/me/.venv/bin/python: No module named pytest"),
        (USAGE, "python -m pytest: error: unrecognized arguments: --bogus"),
        (ALL_FAILING, "RuntimeError: db down"),
        (ASSERTIONS, "assert 1 == 2"),
        (NO_TESTS, "no tests ran in 0.00s"),
        (TRACEBACK, "KeyError: 'HOME'"),
        (
            "bwrap: execvp /x/bin/python: No such file or directory\n",
            "bwrap: execvp /x/bin/python: No such file or directory",
        ),
        ("make: *** [test] Error 2\n", None),
        ("", None),
    ],
    ids=[
        "collection",
        "conftest",
        "no-pytest",
        "usage",
        "fixture-error",
        "assertion",
        "no-tests",
        "traceback",
        "sandbox",
        "other",
        "empty",
    ],
)
def test_first_error_line(log, expected):
    assert first_error_line(log) == expected


def test_a_long_error_line_is_cut():
    quoted = first_error_line("E   ValueError: " + "x" * 1000 + "\n")
    assert quoted is not None and len(quoted) == 300 and quoted.endswith("…")


@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        (run(report=junit(("t::a",), failed=("t::b",)), returncode=1), None),
        (run(report=junit(("t::a",), skipped=("t::s",))), None),
        (
            run(returncode=2, report=junit(failed=("test_a",))),
            "on the base commit pytest was interrupted (often a collection error) (exit 2)",
        ),
        (
            run(returncode=4, report=None),
            "on the base commit pytest was called wrongly or could not load a conftest "
            "(usage error) (exit 4; pytest wrote no JUnit report)",
        ),
        (
            run(returncode=5, report=junit()),
            "on the base commit `python -m pytest -q` ran no tests",
        ),
        (
            run(returncode=1, report=junit(failed=("t::a", "t::b"))),
            "on the base commit no test of `python -m pytest -q` passes (2 failing, 0 skipped)",
        ),
        (
            run(report=junit(skipped=("t::a",))),
            "on the base commit no test of `python -m pytest -q` passes (0 failing, 1 skipped)",
        ),
        (
            run(returncode=1, report=None),
            "on the base commit `python -m pytest -q` did not run its tests "
            "(exit 1; pytest wrote no JUnit report)",
        ),
        (
            run(pytest_command=False, command="make test", returncode=2),
            "`make test` already fails on the base commit (exit 2)",
        ),
        (run(pytest_command=False, command="make test"), None),
    ],
    ids=[
        "some-failing",
        "some-skipped",
        "collection-error",
        "usage-error",
        "no-tests",
        "all-failing",
        "all-skipped",
        "no-pytest",
        "other-command-fails",
        "other-command-passes",
    ],
)
def test_broken_baseline(baseline, expected):
    assert broken_baseline(baseline) == expected
    problem = baseline_problem(baseline)
    assert (problem is None) is (expected is None)
    if expected is not None:
        assert problem is not None and problem.startswith(expected)


@pytest.mark.parametrize(
    ("cause", "no_tests", "expected"),
    [
        ("ModuleNotFoundError: No module named 'x'", False, "install the test dependencies"),
        ("/v/bin/python: No module named pytest", False, "install the test dependencies"),
        ("ImportError: cannot import name 'y'", False, "install the test dependencies"),
        ("no tests ran in 0.01s", True, "set `test_command`"),
        ("assert 1 == 2", False, "make it pass there"),
        (None, False, "make it pass there"),
    ],
)
def test_what_to_do(cause, no_tests, expected):
    said = what_to_do(cause, "/v/bin/python", no_tests)
    assert expected in said
    assert "/v/bin/python" in said or no_tests
    assert "--python" in said or no_tests


def test_the_error_quotes_the_cause_and_names_interpreter_log_and_next_step():
    error = broken_suite(
        "python -m pytest -q",
        "on the base commit pytest was interrupted (often a collection error) (exit 2)",
        COLLECTION_ERROR,
        "/out/logs/baseline-x.log",
        "/repo/.venv/bin/python (the repository's .venv)",
        "/repo/.venv/bin/python",
    )
    text = str(error)
    assert "\n" not in text
    assert "First error: ModuleNotFoundError: No module named 'whatever_missing_xyz'." in text
    assert "ran with /repo/.venv/bin/python (the repository's .venv)" in text
    assert "its log: /out/logs/baseline-x.log" in text
    assert "No fix was published: install the test dependencies into it" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files", "command", "quoted"),
    [
        (
            {"test_a.py": "import whatever_missing_xyz\n"},
            "python -m pytest",
            "ModuleNotFoundError: No module named 'whatever_missing_xyz'",
        ),
        (
            {
                "conftest.py": "import whatever_missing_xyz\n",
                "test_a.py": "def test_a():\n    pass\n",
            },
            "python -m pytest",
            "ModuleNotFoundError: No module named 'whatever_missing_xyz'",
        ),
        (
            {"test_a.py": "def test_a():\n    pass\n"},
            "python -m pytest --no-such-option",
            "error: unrecognized arguments: --no-such-option",
        ),
        ({"test_a.py": "def helper():\n    pass\n"}, "python -m pytest", "no tests ran"),
    ],
    ids=["collection", "conftest", "usage", "no-tests"],
)
def test_real_broken_runs_are_recognised_and_quoted(tmp_path: Path, files, command, quoted):
    tree = suite(tmp_path / "repo", files)
    result = run_tests(command, tree, os.environ, 60, tmp_path / "logs", "baseline")
    assert broken_baseline(result) is not None
    assert result.log_path is not None
    assert quoted in (first_error_line(result.log_path.read_text()) or "")
