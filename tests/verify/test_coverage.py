"""Test runs under coverage.py, on real repositories with real pytest (and bubblewrap)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox import bwrap
from bot.sandbox.environment import test_env
from bot.verify import coverage
from bot.verify.runs import TestRun, read_private, run_command, run_tests
from tests.conftest import needs_bwrap

MOD = """\
import os

LIMIT = 3


def used(x):
    return x + 1


def unused(x):
    return x * 2
"""
TESTS = """\
import pytest

from pkg.mod import used


def test_one():
    assert used(1) == 2


class TestK:
    @pytest.mark.parametrize("n", [1, 2])
    def test_two(self, n):
        assert used(n) == n + 1


def test_other():
    assert True
"""
IDS = {
    "tests.test_mod::test_one",
    "tests.test_mod.TestK::test_two[1]",
    "tests.test_mod.TestK::test_two[2]",
    "tests.test_mod::test_other",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    files = {"pkg/__init__.py": "", "pkg/mod.py": MOD, "tests/test_mod.py": TESTS}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def measured(tree: Path, command: str = "python -m pytest -q", **kwargs) -> TestRun:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
    logs = tree.parent / "logs"
    return run_tests(command, tree, env, 120, logs, measure=["pkg/mod.py"], **kwargs)


def planned(tree: Path, python: str = sys.executable) -> coverage.Plan:
    """What ``run_tests`` does, but the data and the support folder are kept to look at."""
    run_dir = tree.parent / "kept"
    run_dir.mkdir()
    env = test_env({"PATH": os.environ["PATH"]}, tree, python)

    def probe(argv: list[str]) -> str | None:
        return run_command(argv, tree, env, 60).output_tail

    made = coverage.plan(
        [python, "-m", "pytest", "-q"], env, tree, run_dir, ["pkg/mod.py"], python, probe, False
    )
    assert isinstance(made, coverage.Plan), made
    assert run_command(made.argv, tree, made.env, 120).returncode == 0
    return made


def assert_per_test(run: TestRun) -> None:
    assert run.returncode == 0, run.output_tail
    seen = run.coverage
    assert seen is not None and seen.problem is None, seen
    assert seen.tests == IDS == run.junit.ids  # the contexts are the JUnit ids
    # `used` (line 7) ran in three tests; test_other ran none of the file.
    assert run.executed == {t: {"pkg/mod.py": {7}} for t in IDS - {"tests.test_mod::test_other"}}
    # Module-level lines and def headers ran at import, during collection: outside any test.
    assert seen.outside["pkg/mod.py"] == {1, 3, 6, 10}


@pytest.mark.parametrize("command", ["python -m pytest -q", "pytest -q"])
def test_each_test_s_lines_under_its_junit_id(tree, command):
    assert_per_test(measured(tree, command))


def test_only_the_changed_files_are_measured(tree):
    with sqlite3.connect(planned(tree).data) as db:
        files = {Path(p).name for (p,) in db.execute("select path from file")}
    assert files == {"mod.py", f"{coverage.PLUGIN}.py"}


def test_nothing_is_left_for_coverage_after_a_run(tree):
    measured(tree)
    (run_dir,) = [p for p in (tree.parent / "logs").iterdir() if p.is_dir()]
    assert sorted(p.name for p in run_dir.iterdir()) == ["junit.xml"]


def test_a_failing_run_keeps_its_exit_status_and_coverage(tree):
    (tree / "tests" / "test_bad.py").write_text("def test_bad():\n    assert False\n")
    run = measured(tree)
    assert run.returncode == 1 and run.failed == {"tests.test_bad::test_bad"}
    assert run.coverage is not None and "tests.test_bad::test_bad" in run.coverage.tests


def test_no_coverage_unless_asked(tree):
    env = {"PATH": os.environ["PATH"]}
    run = run_tests("python -m pytest -q", tree, env, 120, tree.parent / "logs")
    assert run.coverage is None and run.executed == {}
    assert not list((tree.parent / "logs").glob("*/coverage.db"))


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("sh -c 'python -m pytest -q'", id="a-shell-script"),
        pytest.param("make test", id="make"),
    ],
)
def test_a_command_coverage_cannot_see_into_is_unknown(tree, command):
    (tree / "Makefile").write_text("test:\n\tpython -m pytest -q\n")
    run = measured(tree, command)
    assert run.coverage is not None and run.coverage.problem is not None
    assert "is not pytest: coverage cannot see into it" in run.coverage.problem


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/py/python", "-m", "pytest", "-q"], ("/py/python", [], ["-q"])),
        (["/py/python", "-X", "dev", "-m", "pytest", "-x"], ("/py/python", ["-X", "dev"], ["-x"])),
        (["/py/python", "-mpytest", "tests"], ("/py/python", [], ["tests"])),
        (["uv", "run", "pytest"], "runs pytest in a way coverage cannot see into"),
        (["coverage", "run", "-m", "pytest"], "runs pytest in a way coverage cannot see into"),
        (["tox", "-e", "py"], "is not pytest"),
    ],
)
def test_which_commands_coverage_can_run(argv, expected):
    got = coverage.split_pytest(argv, os.defpath, "/py/python")
    assert got == expected if isinstance(expected, tuple) else expected in got


def test_another_python_without_coverage_is_unknown(tree, tmp_path):
    said = json.dumps({"python": [3, 99], "implementation": "cpython", "coverage": None})
    made = coverage.plan(
        ["/opt/py399/python", "-m", "pytest"], {}, tree, tmp_path, ["pkg/mod.py"],
        "/opt/py399/python", lambda argv: said, False,
    )  # fmt: skip
    assert isinstance(made, str)
    assert "(Python 3.99) has no coverage.py 6.0 or later" in made
    assert "install coverage in the environment the tests run in" in made


@pytest.fixture
def bare_python(tmp_path: Path) -> str:
    """A venv of Nightcrew's Python with pytest but no coverage (found through a .pth)."""
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    ours = Path(pytest.__file__).parent.parent
    lent = tmp_path / "pytest-only"
    lent.mkdir()
    for entry in ours.iterdir():
        if not entry.name.startswith(("coverage", "a1_coverage")) and entry.suffix != ".pth":
            (lent / entry.name).symlink_to(entry)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "pytest-only.pth").write_text(f"{lent}\n")
    python = str(venv / "bin" / "python")
    probe = [python, "-c", "import pytest, importlib.util as u; print(u.find_spec('coverage'))"]
    assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "None"
    return python


def test_nightcrew_s_coverage_is_lent_to_a_python_without_one(tree, bare_python):
    assert_per_test(measured(tree, python=bare_python))
    support = planned(tree, bare_python).data.parent / coverage.SUPPORT
    assert (support / "coverage").is_symlink()


@needs_bwrap
@pytest.mark.parametrize("lend", [False, True], ids=["own-coverage", "lent-coverage"])
def test_coverage_works_in_the_sandbox(tree, tmp_path, request, lend):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    box = bwrap.prepare("required", repo=tree, scratch=scratch)
    python = request.getfixturevalue("bare_python") if lend else sys.executable
    assert_per_test(measured(tree, python=python, sandbox=box))


# --------------------------------------------------------------------------- hostile data


@pytest.fixture
def made(tree: Path) -> coverage.Plan:
    """A real run's plan, its data file written."""
    return planned(tree)


def test_the_data_file_read_back_is_what_the_run_saw(made):
    assert coverage.collect(made, read_private).tests == IDS


def test_a_linked_data_file_is_not_followed(made, tmp_path):
    elsewhere = tmp_path / "elsewhere.db"
    shutil.move(made.data, elsewhere)
    made.data.symlink_to(elsewhere)
    seen = coverage.collect(made, read_private)
    assert seen.problem == "coverage wrote no readable data file"


@pytest.mark.parametrize(
    "sql",
    [
        "create view v as with recursive r(n) as (select 1 union all select n + 1 from r) "
        "select n from r",
        "create trigger t after insert on meta begin delete from meta; end",
    ],
    ids=["view", "trigger"],
)
def test_a_data_file_that_would_run_code_is_not_opened(made, sql):
    with sqlite3.connect(made.data) as db:
        db.execute(sql)
    seen = coverage.collect(made, read_private)
    assert seen.problem is not None and "does not read" in seen.problem


@pytest.mark.parametrize(
    "content",
    [b"", b"not a database at all\n", b"SQLite format 3\x00" + b"\xff" * 200],
    ids=["empty", "text", "corrupt"],
)
def test_a_forged_data_file_gives_unknown_not_a_crash(made, content):
    made.data.write_bytes(content)
    seen = coverage.collect(made, read_private)
    assert seen.problem is not None and seen.tests == frozenset()
