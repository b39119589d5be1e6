"""Fixes first: judging a run with fixes without a baseline, running only some tests by their
JUnit ids, and asking the base commit only about the tests that failed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.report.document import NightReport
from bot.report.progress import silent
from bot.sandbox.bwrap import NONE
from bot.verify.baseline import Baselines
from bot.verify.compare import against_failing, focused, ordinary_failures, passed_outright
from bot.verify.interpreter import Interpreter, Source
from bot.verify.runs import run_tests
from bot.verify.selection import selectable
from tests.verify.test_runs import junit, run, suite, write

# --------------------------------------------------------------------------- judging alone


@pytest.mark.parametrize(
    ("fix", "judged"),
    [
        pytest.param(run(report=junit(("t::a", "t::b"))), True, id="pytest-all-pass"),
        pytest.param(
            run(returncode=1, report=junit(("t::a",), failed=("t::b",))), None, id="a-failure"
        ),
        pytest.param(run(report=junit((), skipped=("t::a",))), None, id="everything-skipped"),
        pytest.param(run(returncode=5, report=junit(())), None, id="no-tests"),
        pytest.param(run(returncode=2, report=junit(("t::a",))), None, id="interrupted"),
        pytest.param(run(timed_out=True, report=junit(("t::a",))), None, id="timed-out"),
        pytest.param(run(returncode=0, report=None), None, id="pytest-without-report"),
        pytest.param(run(pytest_command=False, command="make test"), True, id="other-passes"),
        pytest.param(
            run(pytest_command=False, returncode=1, command="make test"), None, id="other-fails"
        ),
        pytest.param(run(not_found=True, returncode=127), None, id="not-found"),
    ],
)
def test_only_a_run_that_passed_outright_needs_no_baseline(fix, judged):
    said = passed_outright(fix)
    if judged is None:
        assert said is None
    else:
        assert said is not None and said.ok


def test_a_run_that_passed_says_no_baseline_was_needed():
    said = passed_outright(run(report=junit(("t::a", "t::b")), duration=3.0))
    assert said is not None
    assert said.reason == "all 2 tests passed in 3s (nothing failed, so no baseline was needed)"


@pytest.mark.parametrize(
    ("fix", "ordinary"),
    [
        (run(returncode=1, report=junit(("t::a",), failed=("t::b",))), True),
        (run(returncode=1, report=junit((), failed=("t::b",))), False),  # nothing passed
        (run(returncode=2, report=junit(("t::a",), failed=("t::b",))), False),
        (run(returncode=1, timed_out=True, report=junit(("t::a",), failed=("t::b",))), False),
        (run(returncode=1, report=None), False),
        (run(returncode=0, report=junit(("t::a",))), False),
    ],
)
def test_ordinary_failures_are_exit_1_with_a_report_and_a_passing_test(fix, ordinary):
    assert ordinary_failures(fix) is ordinary


def test_failures_that_fail_on_the_base_commit_too_are_old():
    fix = run(returncode=1, report=junit(("t::a",), failed=("t::b", "t::c")))
    old = against_failing(fix, frozenset({"t::b", "t::c"}))
    assert old.ok and "the 2 failing fail on the base commit too" in old.reason
    new = against_failing(fix, frozenset({"t::b"}))
    assert not new.ok and new.new_failures == ("t::c",)
    assert new.reason == "1 new failing test(s): t::c"


def test_a_focused_run_passes_only_when_every_failing_test_ran_and_passed():
    tests = frozenset({"t::b", "t::c"})
    assert focused(run(report=junit(("t::b", "t::c"))), tests).ok
    still = focused(run(returncode=1, report=junit(("t::b",), failed=("t::c",))), tests)
    assert not still.ok and still.new_failures == ("t::c",)
    nothing = focused(run(returncode=5, report=junit(())), tests)
    assert not nothing.ok and "could be run again" in nothing.reason
    assert not focused(run(timed_out=True, report=None), tests).ok
    assert not focused(run(returncode=2, report=junit(("t::b",))), tests).ok


def test_collection_errors_cannot_be_selected():
    assert selectable("tests.test_a::test_one[1-x]")
    assert not selectable("tests.test_a")  # a module that did not import
    assert not selectable("a::b\nc")


# --------------------------------------------------------------------------- selecting tests

SELECTED = {
    "pkg/__init__.py": "",
    "pkg/core.py": "def double(x):\n    return 2 * x\n",
    "tests/__init__.py": "",
    "tests/test_core.py": (
        "import pytest\n\nfrom pkg.core import double\n\n\n"
        "@pytest.mark.parametrize('n', [1, 2, 3])\n"
        "def test_double(n):\n    assert double(n) == 2 * n\n\n\n"
        "class TestMore:\n"
        "    def test_zero(self):\n        assert double(0) == 0\n\n"
        "    def test_neg(self):\n        assert double(-1) == -2\n"
    ),
}


def test_a_run_of_some_tests_runs_exactly_those_ids(tmp_path):
    tree = suite(tmp_path / "repo", SELECTED)
    every = run_tests("python -m pytest -q", tree, os.environ, 60, tmp_path / "logs")
    assert every.junit is not None and every.tests == 5
    wanted = ["tests.test_core::test_double[2]", "tests.test_core.TestMore::test_neg"]
    assert set(wanted) <= every.junit.ids
    some = run_tests("python -m pytest -q", tree, os.environ, 60, tmp_path / "logs", select=wanted)
    assert some.returncode == 0
    assert some.junit is not None and some.junit.ids == frozenset(wanted)
    # Under coverage too (the plugin is already loaded): only those, and measured.
    measured = run_tests(
        "python -m pytest -q",
        tree,
        os.environ,
        60,
        tmp_path / "logs",
        select=wanted[:1],
        measure=["pkg/core.py"],
    )
    assert measured.junit is not None and measured.junit.ids == frozenset(wanted[:1])
    assert measured.coverage is not None and measured.coverage.tests == frozenset(wanted[:1])


def test_a_run_of_tests_that_do_not_exist_runs_none(tmp_path):
    tree = suite(tmp_path / "repo", SELECTED)
    none = run_tests(
        "python -m pytest -q", tree, os.environ, 60, tmp_path / "logs", select=["tests.x::gone"]
    )
    assert none.returncode == 5  # pytest: no tests ran
    assert none.junit is not None and none.junit.tests == 0


# --------------------------------------------------------------------------- the base commit

BASE = {
    "test_a.py": (
        "def test_old_failure():\n    assert 0\n\n"
        "def test_passes():\n    pass\n\n"
        "def test_other():\n    pass\n"
    )
}


def baselines(tree: Path, tmp_path: Path, report: NightReport, command_timeout=60.0) -> Baselines:
    python = Interpreter(sys.executable, Source.NIGHTCREW, "Nightcrew's own interpreter")
    return Baselines(
        tree,
        os.environ,
        base_sha="0123456789abcdef",
        timeout=command_timeout,
        log_dir=tmp_path / "logs",
        sandbox=NONE,
        report=report,
        progress=silent,
        interpreter=python,
    )


def test_the_base_commit_runs_only_the_tests_asked_about_once_each(tmp_path):
    tree = suite(tmp_path / "repo", BASE)
    report = NightReport("repo", "0123456789", "now")
    base = baselines(tree, tmp_path, report)
    asked = {"test_a::test_old_failure", "test_a::test_passes", "test_a::test_new"}
    assert base.failing("pytest -q", asked) == {"test_a::test_old_failure"}
    assert (base.full_runs, base.partial_runs) == (0, 1)
    (partial,) = report.test_runs
    assert partial.purpose == "baseline of 3 test(s)" and partial.tests == 2  # test_new: none
    # Known now: asking again runs nothing; a new id runs only that one.
    assert base.failing("pytest -q", asked) == {"test_a::test_old_failure"}
    assert base.partial_runs == 1
    assert base.failing("pytest -q", {"test_a::test_other"}) == frozenset()
    assert base.partial_runs == 2 and report.test_runs[-1].tests == 1
    assert not base.ran_full
    assert any("fail on the base commit too" in n.text for n in report.notes)


def test_a_collection_error_asks_for_the_full_baseline(tmp_path):
    tree = suite(tmp_path / "repo", BASE)
    report = NightReport("repo", "0123456789", "now")
    base = baselines(tree, tmp_path, report)
    assert base.failing("pytest -q", {"test_b"}) == frozenset()  # a module, not a test
    assert (base.full_runs, base.partial_runs) == (1, 0) and base.ran_full
    assert [r.purpose for r in report.test_runs] == ["baseline"]
    # From the full run on, nothing more runs on the base commit.
    assert base.failing("pytest -q", {"test_a::test_old_failure"}) == {"test_a::test_old_failure"}
    assert base.full("pytest -q") is base.full("pytest -q") and base.full_runs == 1


def test_a_broken_suite_is_a_user_error_every_time_it_is_asked(tmp_path):
    tree = suite(tmp_path / "repo", {"test_a.py": "import not_a_module_anywhere\n"})
    base = baselines(tree, tmp_path, NightReport("repo", "0123456789", "now"))
    for _ in range(2):
        with pytest.raises(UserError, match="the test suite cannot verify any fix"):
            base.full("pytest -q")
    assert base.full_runs == 1


def test_timeouts_come_from_the_fastest_full_run_seen(tmp_path):
    tree = write(tmp_path / "repo", {})
    base = baselines(tree, tmp_path, NightReport("repo", "0123456789", "now"), 1800.0)
    assert base.timeout("pytest -q") == 1800.0  # nothing seen: the ceiling
    base.saw("pytest -q", run(duration=40.0))
    base.saw("pytest -q", run(duration=100.0))
    base.saw("pytest -q", run(duration=1.0, timed_out=True))  # a timeout says nothing
    assert base.timeout("pytest -q") == 3 * 40 + 30
