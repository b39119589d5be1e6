"""The recall benchmark's matching and scoring (pure), and the shape of its audit data."""

from __future__ import annotations

import json

import pytest

from bench.bench_recall import (
    AUDIT,
    PINS,
    Span,
    failed_tests,
    points_at,
    ratio,
    regressed,
    score,
)

TRUE = [
    {"path": "pkg/a.py", "line": 10, "copy": "list(x)", "kind": "2-redundant-intermediate"},
    {"path": "pkg/a.py", "line": 40, "copy": "x[:]", "kind": "6-local-never-mutated"},
    {"path": "pkg/b.py", "line": 7, "copy": "dict(d)", "kind": "2-redundant-intermediate"},
]
NEEDED = [{"path": "pkg/a.py", "line": 20, "copy": "y = list(y)", "why": "mutated"}]
AUDITED = {"true": TRUE, "needed": NEEDED}


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (Span("pkg/a.py", 10, 10), True),
        (Span("pkg/a.py", 11, 12), True),  # one line of slack before the span
        (Span("pkg/a.py", 8, 9), True),  # ... and after it
        (Span("pkg/a.py", 5, 15), True),  # within a multi-line span
        (Span("pkg/a.py", 12, 14), False),
        (Span("pkg/a.py", 3, 8), False),
        (Span("pkg/other.py", 10, 10), False),  # same line, other file
        (Span("a.py", 10, 10), False),  # paths are compared whole
    ],
)
def test_points_at(span: Span, expected: bool) -> None:
    assert points_at(span, TRUE[0]) is expected


def test_score_counts_found_verified_and_sorts_fixes() -> None:
    findings = [Span("pkg/a.py", 10, 10), Span("pkg/a.py", 40, 41), Span("pkg/c.py", 1, 1)]
    fixes = [
        Span("pkg/a.py", 10, 10, "verified on a true copy"),
        Span("pkg/a.py", 20, 20, "on the needed copy"),
        Span("pkg/c.py", 1, 1, "not in the audit"),
    ]
    s = score(AUDITED, findings, fixes, candidates=[])
    assert (s.true, s.found, s.verified) == (3, 2, 1)
    assert [f.label for f in s.wrong] == ["on the needed copy"]
    assert [f.label for f in s.unaudited] == ["not in the audit"]
    assert [e["line"] for e in s.missed] == [40, 7]


def test_two_fixes_on_one_copy_verify_it_once() -> None:
    fixes = [Span("pkg/b.py", 7, 7), Span("pkg/b.py", 6, 8)]
    s = score(AUDITED, fixes, fixes, candidates=[])
    assert (s.found, s.verified, s.wrong, s.unaudited) == (1, 1, [], [])


def test_prefilter_precision_recall_and_recall_of_what_is_left() -> None:
    fixes = [Span("pkg/a.py", 10, 10)]
    candidates = [
        Span("pkg/a.py", 10, 10),  # true, already verified
        Span("pkg/b.py", 7, 7),  # true, left by the night
        Span("pkg/a.py", 20, 20),  # needed
        Span("pkg/a.py", 30, 30),  # unaudited
    ]
    s = score(AUDITED, fixes, fixes, candidates)
    assert (s.candidates, s.candidates_true) == (4, 2)
    assert s.prefilter_recall == 2  # of 3 true copies
    assert (s.left, s.left_flagged) == (2, 1)  # lines 40 and 7 left; 7 flagged


def test_ratio_of_nothing_is_a_dash() -> None:
    assert ratio(0, 0) == "-"
    assert ratio(1, 3) == "33%"


def test_audit_data_names_every_pinned_package_and_is_well_formed() -> None:
    data = json.loads(AUDIT.read_text(encoding="utf-8"))
    packages = data["packages"]
    assert set(packages) == set(PINS)
    for name, audit in packages.items():
        assert audit["version"] == PINS[name].version
        assert audit["true"] and audit["needed"]
        seen: set[tuple[str, int]] = set()
        for entry in audit["true"] + audit["needed"]:
            assert entry["copy"].strip() and entry["why"].strip()
            assert any(entry["path"].startswith(folder + "/") for folder in audit["library"])
            where = (entry["path"], entry["line"])
            assert where not in seen, f"{name}: {where} audited twice"
            seen.add(where)
        for entry in audit["true"]:
            assert entry["kind"] in data["kinds"]


def test_failed_tests_reads_pytests_short_summary() -> None:
    output = (
        "..F\nFAILED tests/test_a.py::test_one - AssertionError\nERROR tests/test_b.py\n1 failed"
    )
    assert failed_tests(output) == {"tests/test_a.py::test_one", "tests/test_b.py"}


@pytest.mark.parametrize(
    ("runs", "base", "expected"),
    [
        ([(1, {"t::a"}), (1, {"t::a"})], set(), {"t::a"}),
        ([(1, {"t::a"}), (0, set())], set(), None),  # passed on the rerun: flaky
        ([(1, {"t::a"}), (1, {"t::b"})], set(), None),  # a different test each time
        ([(1, {"t::a"}), (1, {"t::a"})], {"t::a"}, None),  # fails on the base too
        ([(1, {"t::a", "t::b"}), (1, {"t::a", "t::b"})], {"t::a"}, {"t::b"}),
        ([(2, set()), (2, set())], set(), {"?"}),  # failed without naming a test
    ],
)
def test_a_regression_fails_every_run_and_not_on_the_base(
    runs: list[tuple[int, set[str]]], base: set[str], expected: set[str] | None
) -> None:
    assert regressed(runs, base) == expected


def test_a_fix_points_at_the_nearest_audited_copy_only() -> None:
    true = [{"path": "pkg/a.py", "line": 910, "copy": "xs += list(r)", "kind": "2"}]
    needed = [{"path": "pkg/a.py", "line": 909, "copy": "r = list(map(f, s))", "why": "twice"}]
    on_true, on_needed = Span("pkg/a.py", 910, 910), Span("pkg/a.py", 909, 909)
    s = score({"true": true, "needed": needed}, [on_true], [on_true], candidates=[on_true])
    assert (s.verified, s.wrong, s.unaudited, s.candidates_true) == (1, [], [], 1)
    s = score({"true": true, "needed": needed}, [on_needed], [on_needed], candidates=[])
    assert (s.verified, len(s.wrong)) == (0, 1)
    both = Span("pkg/a.py", 909, 910)  # a fix over both lines touches the needed copy
    s = score({"true": true, "needed": needed}, [both], [both], candidates=[])
    assert (s.verified, len(s.wrong)) == (1, 1)
