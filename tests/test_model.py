from __future__ import annotations

import pytest

from bot.model import EditError, Finding, TextEdit, apply_edits, assign_fingerprints


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
