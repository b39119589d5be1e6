from __future__ import annotations

import random
import time

import pytest

from bot.model import (
    PYTHON_BREAKS,
    SPLITLINES_BREAKS,
    EditError,
    Finding,
    LineIndex,
    SpanSet,
    TextEdit,
    apply_edits,
    assign_fingerprints,
    changed_region,
    line_starts,
    split_lines,
)


def finding(line: int, col: int, end_col: int, path: str = "m.py", rule: str = "ruff:C414"):
    return Finding("r", rule, path, line, col, line, end_col, "msg")


@pytest.mark.parametrize(
    ("text", "edits", "expected"),
    [
        pytest.param("abc\n", [TextEdit(1, 2, 1, 3, "X")], "aXc\n", id="replace-middle"),
        pytest.param("abc\n", [TextEdit(1, 1, 1, 1, ">")], ">abc\n", id="insert-at-start"),
        pytest.param("ab\ncd\n", [TextEdit(1, 2, 2, 2, "")], "ad\n", id="across-lines"),
        pytest.param(
            "f(list(x))\n",
            [TextEdit(1, 3, 1, 8, ""), TextEdit(1, 9, 1, 10, "")],
            "f(x)\n",
            id="two-edits-any-order",
        ),
        pytest.param("é = list(x)\n", [TextEdit(1, 5, 1, 12, "x")], "é = x\n", id="char-columns"),
        pytest.param("a\n", [TextEdit(2, 1, 2, 1, "b\n")], "a\nb\n", id="append-at-eof"),
    ],
)
def test_apply_edits(text, edits, expected):
    assert apply_edits(text, edits) == expected


@pytest.mark.parametrize(
    "edits",
    [
        pytest.param([TextEdit(5, 1, 5, 2, "")], id="line-past-end"),
        pytest.param([TextEdit(1, 9, 1, 10, "")], id="column-past-end"),
        pytest.param([TextEdit(1, 1, 1, 3, ""), TextEdit(1, 2, 1, 4, "")], id="overlap"),
    ],
)
def test_apply_edits_rejects_edits_that_do_not_fit(edits):
    with pytest.raises(EditError):
        apply_edits("abc\n", edits)


SOURCE = "x = sorted(list(a))\ny = 1\nz = sorted(list(a))\n"


def test_fingerprint_survives_unrelated_lines_above():
    before = assign_fingerprints([finding(1, 5, 20)], {"m.py": SOURCE})
    shifted = assign_fingerprints([finding(4, 5, 20)], {"m.py": "import os\n\n\n" + SOURCE})
    assert before[0].fingerprint == shifted[0].fingerprint
    assert before[0].snippet == "sorted(list(a))"


def test_identical_snippets_in_one_file_differ():
    a, b = assign_fingerprints([finding(3, 5, 20), finding(1, 5, 20)], {"m.py": SOURCE})
    assert a.snippet == b.snippet
    assert (a.occurrence, b.occurrence) == (0, 1)
    assert a.fingerprint != b.fingerprint


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(finding(1, 5, 20, path="n.py"), id="other-path"),
        pytest.param(finding(1, 5, 20, rule="ruff:C413"), id="other-rule"),
    ],
)
def test_fingerprint_depends_on_path_and_rule(other):
    sources = {"m.py": SOURCE, "n.py": SOURCE}
    mine = assign_fingerprints([finding(1, 5, 20)], sources)[0]
    theirs = assign_fingerprints([other], sources)[0]
    assert mine.fingerprint != theirs.fingerprint


def test_fingerprint_ignores_whitespace_changes_inside_the_snippet():
    spaced = "x = sorted( list(a) )\n"
    a = assign_fingerprints([finding(1, 5, 20)], {"m.py": SOURCE})[0]
    b = assign_fingerprints([finding(1, 5, 22)], {"m.py": spaced})[0]
    assert a.snippet == "sorted(list(a))"
    assert b.snippet == "sorted( list(a) )"
    assert a.fingerprint != b.fingerprint  # whitespace runs fold, but are not removed


@pytest.mark.parametrize(
    "separator", ["\f", "\v", "\x1c", "\x85", "\u2028"], ids=["ff", "vt", "fs", "nel", "ls"]
)
def test_lines_are_counted_like_python_counts_them(separator):
    text = f"a = 1  # {separator} odd\nb = sorted(list(x))\n"
    edit = TextEdit(2, 12, 2, 19, "x")
    assert apply_edits(text, [edit]) == f"a = 1  # {separator} odd\nb = sorted(x)\n"


def test_crlf_line_endings_are_kept():
    assert apply_edits("a\r\nb = list(x)\r\n", [TextEdit(2, 5, 2, 12, "x")]) == "a\r\nb = x\r\n"


# --- positions, changed regions and span sets: the pieces that keep cost linear ----------


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        pytest.param("", (), id="empty"),
        pytest.param("a", (0,), id="no-final-newline"),
        pytest.param("a\nb\n", (0, 2), id="lf"),
        pytest.param("a\r\nb\rc\n", (0, 3, 5), id="crlf-and-cr"),
        pytest.param("a\fb\n\n", (0, 4), id="form-feed-is-not-a-break"),
    ],
)
def test_line_starts(text, starts):
    assert line_starts(text) == starts
    assert [text[s:] for s in starts] == [
        "".join(split_lines(text)[i:]) for i in range(len(starts))
    ]


@pytest.mark.parametrize(
    ("text", "position", "offset"),
    [
        pytest.param("ab\ncd\n", (2, 2), 4, id="second-line"),
        pytest.param("ab\r\ncd", (1, 3), 2, id="end-of-crlf-line"),
        pytest.param("ab\n", (2, 1), 3, id="end-of-file"),
    ],
)
def test_line_index_offset(text, position, offset):
    assert LineIndex(text).offset(*position) == offset


def test_line_index_span_outside_the_file_is_empty():
    assert LineIndex("ab\n").span(1, 1, 9, 1) == ""
    assert LineIndex("ab\ncd\n").span(1, 2, 2, 2) == "b\nc"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param("a\nb\nc\n", "a\nb\nc\n", (6, "", ""), id="same"),
        pytest.param("a\nb\nc\n", "a\nX\nc\n", (2, "b\n", "X\n"), id="middle-line"),
        pytest.param("a\nb\n", "a\nb\nc\n", (4, "", "c\n"), id="append"),
        pytest.param("a\nb\n", "b\n", (0, "a\n", ""), id="drop-first"),
        pytest.param("ab\ncd\n", "ab\ncX\n", (3, "cd\n", "cX\n"), id="change-inside-a-line"),
        pytest.param("a\r\nb\n", "a\rb\n", (0, "a\r\n", "a\r"), id="crlf-becomes-cr"),
        pytest.param("a\rb\n", "a\r\nb\n", (0, "a\r", "a\r\n"), id="cr-becomes-crlf"),
        pytest.param("x\na\n", "x\na", (2, "a\n", "a"), id="final-newline-removed"),
        pytest.param("a\n" * 3, "a\n" * 4, (6, "", "a\n"), id="repeated-lines"),
    ],
)
def test_changed_region(old, new, expected):
    assert changed_region(old, new) == expected


def test_changed_region_splitlines_breaks():
    # A form feed ends a line for str.splitlines (the guard's count), not for Python.
    assert changed_region("a\fb\n", "a\fc\n", SPLITLINES_BREAKS) == (2, "b\n", "c\n")
    assert changed_region("a\fb\n", "a\fc\n") == (0, "a\fb\n", "a\fc\n")


def test_changed_region_keeps_whole_lines_on_random_edits():
    rng = random.Random(11)
    for _ in range(3000):
        alphabet = rng.choice(["ab\n", "ab\r\n", "a\r\n\f\u2028"])
        old = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        new = list(old)
        for _ in range(rng.randint(1, 3)):
            new.insert(rng.randint(0, len(new)), rng.choice(alphabet))
        new = "".join(new)
        for breaks, split in (
            (PYTHON_BREAKS, split_lines),
            (SPLITLINES_BREAKS, lambda t: t.splitlines(keepends=True)),
        ):
            start, old_mid, new_mid = changed_region(old, new, breaks)
            tail = len(old) - start - len(old_mid)
            assert old[:start] == new[:start]
            assert old[len(old) - tail :] == new[len(new) - tail :]
            assert new[start : len(new) - tail] == new_mid
            for text, mid in ((old, old_mid), (new, new_mid)):
                head, rest = text[:start], text[len(text) - tail :]
                assert split(text) == split(head) + split(mid) + split(rest), (old, new)


def test_span_set_matches_pairwise_overlap():
    rng = random.Random(5)
    for _ in range(500):
        spans, found = [], SpanSet()
        for _ in range(rng.randint(1, 12)):
            a, b = sorted([(rng.randint(1, 4), rng.randint(1, 3)) for _ in range(2)])
            expected = any(a < end and start < b for start, end in spans)
            assert found.overlaps(a, b) == expected
            found.add(a, b)
            spans.append((a, b))


def test_fingerprints_of_many_findings_in_one_file_take_linear_time():
    # 20,000 findings in one file used to split the file once per finding (minutes).
    text = "x = sorted(list(a))\n" * 20_000
    found = [finding(n, 5, 20) for n in range(1, 20_001)]
    started = time.perf_counter()
    result = assign_fingerprints(found, {"m.py": text})
    assert time.perf_counter() - started < 5
    assert {f.occurrence for f in result} == set(range(20_000))
