from __future__ import annotations

import ast
import time

import pytest

from bot.verify.footprint import (
    Footprint,
    changed_lines,
    footprint,
    frames,
    function_at,
    names_used,
    plan_groups,
    suspects,
    units_by_line,
)

MODULE = """\
import os


def first(xs):
    return sorted(list(xs))


class Box:
    def get(self, xs):
        return list(xs)

    def put(self, xs):
        return sorted(list(xs))


def last(xs):
    return any([x for x in xs])
"""


def edit(line: int, old: str, new: str) -> tuple[str, str]:
    lines = MODULE.splitlines(keepends=True)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    return MODULE, "".join(lines)


@pytest.mark.parametrize(
    ("line", "expected"),
    [(1, "<module>"), (5, "first"), (10, "Box.get"), (13, "Box.put"), (8, "Box"), (17, "last")],
)
def test_function_at(line, expected):
    assert function_at(ast.parse(MODULE), line) == expected


def test_changed_lines():
    old, new = edit(5, "sorted(list(xs))", "sorted(xs)")
    assert changed_lines(old, new) == [5]


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        pytest.param("a\nb\nc\n", "a\nc\n", [2], id="deleted-line"),
        pytest.param("a\nb\n", "a\nX\nb\n", [2], id="inserted-line-names-the-next"),
        pytest.param("a\nb\n", "a\nb\nc\n", [3], id="appended-at-end"),
        pytest.param("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n", [2], id="crlf"),
        pytest.param("a\n" * 50 + "b\n" + "a\n" * 50, "a\n" * 101, [51], id="repeated-lines"),
    ],
)
def test_changed_lines_numbers_the_old_text(old, new, lines):
    assert changed_lines(old, new) == lines


NESTED = """\
@decorator
def outer():
    def inner():
        return 1

    return inner


class Twice:
    def same(self): ...
    def same(self): ...

x = 1
"""


@pytest.mark.parametrize("source", [MODULE, NESTED], ids=["module", "nested"])
def test_units_by_line_agrees_with_function_at(source):
    tree = ast.parse(source)
    table = units_by_line(tree)
    for line in range(1, source.count("\n") + 3):
        expected = function_at(tree, line)
        assert (table[line - 1] if line <= len(table) else "<module>") == expected, line


def test_footprint_of_each_fix_in_a_big_file_stays_cheap():
    # Every fix of a file with thousands of findings used to diff and parse the whole file.
    line = "ordered = sorted(list(names))\n"
    old = "def f(names):\n" + "    " + "    ".join([line] * 20_000)
    lines = old.splitlines(keepends=True)
    started = time.perf_counter()
    for n in range(2, 20_002, 100):
        fixed = lines[n - 1].replace("sorted(list(names))", "x")
        new = "".join([*lines[: n - 1], fixed, *lines[n:]])
        found = footprint({"m.py": (old[:1] + old[1:], new)})
        assert found.spans == {"m.py": (n, n)} and found.units == {("m.py", "f")}
    assert time.perf_counter() - started < 10


def fp(line: int, old: str, new: str, path: str = "m.py") -> Footprint:
    return footprint({path: edit(line, old, new)})


FIRST = ("first", 5, "sorted(list(xs))", "sorted(xs)")
PUT = ("put", 13, "sorted(list(xs))", "sorted(xs)")
GET = ("get", 10, "list(xs)", "xs[:]")
LAST = ("last", 17, "[x for x in xs]", "x for x in xs")


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        pytest.param(FIRST, LAST, False, id="far-apart-functions"),
        pytest.param(GET, PUT, True, id="within-git-apply-context"),
        pytest.param(FIRST, FIRST, True, id="same-function"),
        pytest.param(FIRST, GET, False, id="five-lines-apart"),
    ],
)
def test_conflicts(a, b, conflict):
    one, two = fp(*a[1:]), fp(*b[1:])
    assert one.conflicts(two) is conflict
    assert two.conflicts(one) is conflict


def test_different_files_never_conflict():
    assert not fp(*FIRST[1:], path="a.py").conflicts(fp(*FIRST[1:], path="b.py"))


def test_footprint_units_name_the_function():
    assert fp(*PUT[1:]).units == {("m.py", "Box.put")}
    assert fp(*PUT[1:]).spans == {"m.py": (13, 13)}


def test_plan_groups_never_puts_conflicting_fixes_together():
    prints = [fp(*FIRST[1:]), fp(*FIRST[1:]), fp(*LAST[1:]), fp(*GET[1:]), fp(*PUT[1:])]
    groups = plan_groups(prints)
    assert sorted(i for g in groups for i in g) == [0, 1, 2, 3, 4]
    for group in groups:
        for i in group:
            for j in group:
                assert i == j or not prints[i].conflicts(prints[j])
    assert groups == [[0, 2, 3], [1, 4]]


def test_plan_groups_respects_the_size_cap():
    prints = [fp(*FIRST[1:], path=f"m{i}.py") for i in range(5)]
    assert plan_groups(prints, max_size=2) == [[0, 1], [2, 3], [4]]


def test_frames_reads_pytest_tracebacks():
    text = (
        "assert 1 == 2\ntests/test_m.py:12: in test_it\n    run()\n"
        "pkg/m.py:5: in first\n    return x\nE   AssertionError\n/abs/pkg/n.py:7: ValueError"
    )
    assert frames(text) == [("tests/test_m.py", 12), ("pkg/m.py", 5), ("/abs/pkg/n.py", 7)]


TESTS = """\
from pkg import m


def make():
    return m.Box()


def test_put():
    assert make().put([2, 1]) == [1, 2]


class TestMore:
    def test_first(self):
        assert m.first("ba") == ["a", "b"]
"""


@pytest.mark.parametrize(
    ("test", "present", "absent"),
    [
        ("test_put", {"put", "make", "Box"}, {"first"}),
        ("TestMore::test_first", {"first", "m"}, {"put"}),
        ("test_put[1-2]", {"put"}, set()),
        ("test_missing", set(), {"put"}),
    ],
)
def test_names_used(test, present, absent):
    names = names_used(TESTS, test)
    assert present <= names
    assert not absent & names


FIXES = {0: fp(*FIRST[1:]), 1: fp(*PUT[1:]), 2: fp(*LAST[1:])}


def unit_at(path: str, line: int) -> tuple[str, str] | None:
    return (path, function_at(ast.parse(MODULE), line)) if path.endswith("m.py") else None


@pytest.mark.parametrize(
    ("failures", "names", "reach", "expected"),
    [
        pytest.param({"t::a": "m.py:5: in first"}, (), (), {0}, id="frame-in-changed-code"),
        pytest.param({"t::a": "m.py:10: in get"}, (), (), set(), id="frame-in-unchanged-code"),
        pytest.param({"t::a": "test.py:3: in t"}, {"last"}, (), {2}, id="called-by-name"),
        pytest.param({"t::a": "test.py:3"}, {"Box"}, (), set(), id="class-name-is-not-enough"),
        pytest.param({"t::a": ""}, (), {"m.py"}, {0, 1, 2}, id="imports-fallback"),
        pytest.param({"t::a": ""}, (), {"other.py"}, set(), id="nothing-points"),
        pytest.param(
            {"t::a": "m.py:5: in first", "t::b": "x.py:1", "t::c": ""},
            {"last"},
            (),
            {0, 2},
            id="each-failure-its-own-evidence",
        ),
    ],
)
def test_suspects(failures, names, reach, expected):
    assert suspects(failures, FIXES, unit_at, lambda t: reach, lambda t: names) == expected
