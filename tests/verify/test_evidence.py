"""Which tests executed a fix's changed lines: diff -> lines -> statements -> tests (pure)."""

from __future__ import annotations

import pytest

from bot.report.results import CoveredBy
from bot.verify.evidence import (
    ChangedCode,
    RunCoverage,
    carry_lines,
    changed_code,
    changed_lines,
    covered_by,
    each_fix,
    graph_importers,
    test_path,
)
from bot.verify.impact import ImportGraph

MODULE = """\
import os
import sys

LIMIT = 3


@staticmethod
def used(x, default=[]):
    # a comment
    total = x + 1
    return total


class Box:
    size = 2

    def grow(self):
        return self.size * 2
"""


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        pytest.param("a\nb\nc\n", "a\nB\nc\n", {2}, id="replace"),
        pytest.param("a\nc\n", "a\nb\nc\n", {2}, id="insert"),
        pytest.param("a\nb\nc\n", "a\nc\n", {1, 2}, id="delete-gives-both-neighbours"),
        pytest.param("a\nb\n", "b\n", {1}, id="delete-at-the-top"),
        pytest.param("a\nb\n", "a\n", {1}, id="delete-at-the-end"),
        pytest.param("a\n", "a\n", set(), id="unchanged"),
    ],
)
def test_changed_lines_are_the_new_side(old, new, lines):
    assert changed_lines(old, new) == lines


def test_lines_are_carried_into_a_file_other_fixes_also_changed():
    fixed = "a\nb\nX\nd\n"
    both = "new\na\nb\nX\nd\n"  # another fix added a line above
    assert carry_lines({3}, fixed, both) == {4}
    assert carry_lines({3}, fixed, fixed) == {3}


@pytest.mark.parametrize(
    ("line", "lines", "at_import"),
    [
        pytest.param(10, {10}, set(), id="in-a-function-body"),
        pytest.param(9, {10}, set(), id="a-comment-gives-the-statement-after-it"),
        pytest.param(8, {7, 8}, {7, 8}, id="a-def-header-runs-at-import-with-its-decorator"),
        pytest.param(1, {1}, {1}, id="an-import"),
        pytest.param(15, {15}, {15}, id="a-class-body"),
        pytest.param(18, {18}, set(), id="a-method-body"),
    ],
)
def test_changed_code_is_whole_statements_and_knows_what_runs_at_import(line, lines, at_import):
    old = MODULE.splitlines(keepends=True)
    old[line - 1] = old[line - 1].rstrip("\n") + "  # before\n"
    code = changed_code("pkg/m.py", "".join(old), MODULE)
    assert (code.lines, code.at_import) == (lines, at_import)


def test_a_deleted_import_maps_to_the_import_beside_it():
    code = changed_code("pkg/m.py", "import re\n" + MODULE, MODULE)
    assert code.lines == {1} and code.at_import == {1}


def run(executed=None, outside=None, tests=()) -> RunCoverage:
    executed = executed or {}
    return RunCoverage(executed, outside or {}, frozenset(tests) | frozenset(executed))


ALL = frozenset({"t.a::one", "t.a::two", "t.b::three"})


def everyone(path: str, tests: frozenset[str]) -> frozenset[str]:
    return tests


def body(path: str = "pkg/m.py", *lines: int) -> ChangedCode:
    return ChangedCode(path, frozenset(lines or {11}), frozenset())  # a function's body


def test_the_tests_whose_context_ran_a_changed_line():
    seen = run({"t.a::one": {"pkg/m.py": frozenset({11})}, "t.a::two": {"pkg/m.py": {20}}}, {}, ALL)
    assert covered_by([body()], [seen], everyone) == CoveredBy(("t.a::one",))


def test_no_test_ran_it():
    seen = run({"t.a::one": {"pkg/m.py": frozenset({20})}}, {"pkg/m.py": frozenset({1})}, ALL)
    assert covered_by([body()], [seen], everyone) == CoveredBy(())


def test_a_line_run_outside_any_test_counts_for_the_importers():
    seen = run({}, {"pkg/m.py": frozenset({11})}, ALL)
    only_a = lambda path, tests: frozenset(t for t in tests if t.startswith("t.a"))  # noqa: E731
    assert covered_by([body()], [seen], only_a) == CoveredBy(("t.a::one", "t.a::two"))


def test_module_level_code_run_inside_one_test_counts_for_every_importer():
    # The module was first imported inside a test: its import-time lines carry that context.
    seen = run({"t.a::one": {"pkg/m.py": frozenset({1})}}, {}, ALL)
    change = ChangedCode("pkg/m.py", frozenset({1}), frozenset({1}))
    assert covered_by([change], [seen], everyone).tests == tuple(sorted(ALL))


def test_module_level_code_never_run_counts_for_nobody():
    seen = run({"t.a::one": {"pkg/other.py": frozenset({1})}}, {}, ALL)
    change = ChangedCode("pkg/m.py", frozenset({1}), frozenset({1}))
    assert covered_by([change], [seen], everyone) == CoveredBy(())


def test_unknown_unless_a_run_that_could_tell_found_tests():
    tox = RunCoverage.unknown("`tox` is not pytest: coverage cannot see into it")
    seen = run({"t.a::one": {"pkg/m.py": frozenset({11})}}, {}, ALL)
    nobody = run({}, {}, ALL)
    assert covered_by([body()], [tox, seen], everyone).tests == ("t.a::one",)
    assert covered_by([body()], [tox, nobody], everyone) == CoveredBy(None, tox.problem or "")
    assert covered_by([], [seen], everyone).tests is None  # no Python file changed


GRAPH = ImportGraph(
    {
        "pkg/__init__.py": "",
        "pkg/m.py": "import os\n",
        "pkg/other.py": "",
        "tests/test_a.py": "from pkg import m\n",
        "tests/test_b.py": "import pkg.other\n",
    }
)


def test_the_import_graph_names_the_importers_else_everyone():
    importers = graph_importers(GRAPH)
    tests = frozenset({"tests.test_a::t1", "tests.test_a.TestK::t2", "tests.test_b::t3"})
    assert importers("pkg/m.py", tests) == {"tests.test_a::t1", "tests.test_a.TestK::t2"}
    assert importers("plugins/docs.py", tests) == tests  # no test imports it by name
    assert graph_importers(None)("pkg/m.py", tests) == tests
    assert test_path("tests.test_a.TestK::t2", GRAPH) == "tests/test_a.py"
    assert test_path("elsewhere::t", GRAPH) is None


def test_each_fix_of_a_group_gets_its_own_tests():
    changes = {
        1: {"pkg/m.py": ("def f():\n    return 1\n", "def f():\n    return 2\n")},
        2: {"pkg/other.py": ("def g():\n    return 1\n", "def g():\n    return 3\n")},
        3: {"README.md": ("a\n", "b\n")},
    }
    texts = {"pkg/m.py": changes[1]["pkg/m.py"][1], "pkg/other.py": changes[2]["pkg/other.py"][1]}
    seen = run({"tests.test_a::t1": {"pkg/m.py": frozenset({2})}}, {}, {"tests.test_b::t3"})
    covered = each_fix(changes, texts, [seen], GRAPH)
    assert covered[1] == CoveredBy(("tests.test_a::t1",))
    assert covered[2] == CoveredBy(())
    assert covered[3].tests is None
