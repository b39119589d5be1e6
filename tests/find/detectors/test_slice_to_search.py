"""slice-to-search: ``start + seq[start:].index(v)`` and ``needle in text[i:]`` search in place."""

from __future__ import annotations

import ast
import itertools
import textwrap

import pytest

from bot.find.detectors import REGISTRY, slice_to_search
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["slice-to-search"]

INDEX = """
def f(items, token):
    start = 0
    start += 1
    return {expression}
"""

CONTAINS = """
def f(line: str):
    index = 0
    while index < len(line) and line[index] == " ":
        index += 1
    if {expression}:
        return line[index:]
    return None
"""


def index(expression: str) -> str:
    return textwrap.dedent(INDEX).format(expression=expression)


def contains(expression: str) -> str:
    return textwrap.dedent(CONTAINS).format(expression=expression)


# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    *[
        noop(f"index-{label}", index(expression))
        for label, expression in [
            ("relative-index-only", "items[start:].index(token)"),
            ("different-offsets", "start + items[start + 1 :].index(token)"),
            ("other-name-added", "token + items[start:].index(token)"),
            ("slice-with-an-end", "start + items[start:9].index(token)"),
            ("two-arguments", "start + items[start:].index(token, 1)"),
            ("subtracted", "items[start:].index(token) - start"),
            ("needle-is-a-call", "start + items[start:].index(token.lower())"),
            ("sequence-is-a-call", "start + items()[start:].index(token)"),
            ("empty-string-needle", 'start + items[start:].index("")'),
            ("comment-inside", "start + items[start:].index(  # the rest\n token)"),
            ("parenthesised-offset", "(start) + items[start:].index(token)"),
        ]
    ],
    noop(
        "index-offset-is-a-parameter",
        """
        def token_index(self, token, start=0):
            return start + self.tokens[start:].index(token)
        """,
    ),
    noop(
        "index-offset-may-be-negative",
        """
        def f(items, token):
            start = len(items) - 2
            return start + items[start:].index(token)
        """,
    ),
    noop(
        "index-offset-is-a-call",
        """
        def f(items, token):
            return len(items.pop()) + items[len(items.pop()) :].index(token)
        """,
    ),
    noop(
        "index-on-a-range",
        """
        def f(n, v):
            r = range(n)
            return 2 + r[2:].index(v)
        """,
    ),
    noop(
        "index-on-a-str-with-an-unknown-needle",
        """
        def f(v):
            s = "abc"
            return 1 + s[1:].index(v)
        """,
    ),
    noop(
        "index-on-unknown-with-a-string-needle",
        """
        def f(items, v):
            sep = str(v)
            return 1 + items[1:].index(sep)
        """,
    ),
    *[
        noop(f"in-{label}", contains(expression))
        for label, expression in [
            ("empty-needle", '"" in line[index:]'),
            ("needle-is-a-name", "SEP not in line[index:]"),
            ("offset-may-be-negative", '"\\t" in line[index - 1 :]'),
            ("slice-with-an-end", '"\\t" in line[index:9]'),
            ("chained", '"\\t" in line[index:] in "ab"'),
            ("comment-inside", '"\\t" in line[  # from here\n index:]'),
            ("needle-is-the-slice", 'line[index:] in "\\t"'),
        ]
    ],
    *[
        noop(
            f"in-text-not-known-to-be-a-str-{label}",
            f"""
            def f({parameter}):
                index = 1
                {rebind}
                return "x" in line[index:]
            """,
        )
        for label, parameter, rebind in [
            ("unannotated", "line", "pass"),
            ("annotated-list", "line: list[str]", "pass"),
            ("annotated-but-rebound", "line: str", "line = line.split()"),
            ("annotation-shadowed", "line: str", "str = list"),
            ("vararg", "*line: str", "pass"),
        ]
    ],
    noop(
        "in-offset-is-a-parameter",
        """
        def f(line: str, index: int):
            return "x" in line[index:]
        """,
    ),
    noop(
        "in-parenthesised-subject",
        """
        def f(a):
            return "x" in (str(a) + "b")[1:]
        """,
    ),
    noop(
        "module-level",
        """
        TEXT = "a b"
        HAS = "b" in TEXT[1:]
        """,
    ),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    ast.parse(source)  # a decoy that does not parse would pass for the wrong reason
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    *[
        change(f"index-{label}", index(expression), index(fixed))
        for label, expression, fixed in [
            ("offset-first", "start + items[start:].index(token)", "items.index(token, start)"),
            ("offset-last", "items[start:].index(token) + start", "items.index(token, start)"),
            (
                "attribute-sequence",
                "start + token.children[start:].index(items)",
                "token.children.index(items, start)",
            ),
            ("literal-needle", 'start + items[start:].index("x")', 'items.index("x", start)'),
            (
                "spaced-slice",
                "start + items[ start : ].index( token )",
                "items.index(token, start)",
            ),
        ]
    ],
    change(
        "index-inside-a-larger-expression",
        index("1 + (start + items[start:].index(token)) * 2"),
        index("1 + (items.index(token, start)) * 2"),
    ),
    change(
        "index-on-a-known-list-with-an-offset-from-len",
        """
        def after(words, word):
            seen = [w.lower() for w in words]
            head = len(words[0])
            return head + seen[head:].index(word)
        """,
        """
        def after(words, word):
            seen = [w.lower() for w in words]
            head = len(words[0])
            return seen.index(word, head)
        """,
    ),
    change(
        "index-on-a-known-str-with-a-literal-needle",
        """
        def f(text):
            s = text.strip()
            pos = 1
            return pos + s[pos:].index("=")
        """,
        """
        def f(text):
            s = text.strip()
            pos = 1
            return s.index("=", pos)
        """,
    ),
    change(
        "in-not-in-annotated-parameter",
        contains('"\\t" not in line[index:]'),
        contains('line.find("\\t", index) == -1'),
    ),
    change(
        "in-negated",
        contains('not "\\t" in line[index:]'),
        contains('not line.find("\\t", index) != -1'),
    ),
    change(
        "in-string-annotation",
        contains('"ab" in line[index + 1 :]').replace("line: str", 'line: "str"'),
        contains('line.find("ab", index + 1) != -1').replace("line: str", 'line: "str"'),
    ),
    change(
        "in-known-str-local",
        """
        def f(raw):
            text = str(raw).lower()
            return b"x" in text[3:], "y" in text[len("ab"):]
        """,
        """
        def f(raw):
            text = str(raw).lower()
            return text.find(b"x", 3) != -1, text.find("y", len("ab")) != -1
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after


# --- the claims behind the rewrites, checked exhaustively -----------------------------------

TEXTS = ["", "a", "ab", "aab", "a\tb", "\t\t", "ba ab", "abcabc"]
NEEDLES = ["a", "b", "ab", "\t", "ba", "abc", "x", "aa"]


def test_in_a_slice_is_find_from_the_offset_for_non_empty_needles():
    for text, needle in itertools.product(TEXTS, NEEDLES):
        for start in range(len(text) + 3):
            assert (needle in text[start:]) == (text.find(needle, start) != -1)
            assert (needle not in text[start:]) == (text.find(needle, start) == -1)
            raw, sub = text.encode(), needle.encode()
            assert (sub in raw[start:]) == (raw.find(sub, start) != -1)


def test_the_empty_needle_really_differs():
    """Why the detector refuses empty needles: beyond the end, the two spellings disagree."""
    assert ("" in "ab"[3:]) is True and "ab".find("", 3) == -1
    assert ""[3:].index("") == 0
    with pytest.raises(ValueError):
        "ab".index("", 3)


def _outcome(function, *args):
    try:
        return function(*args)
    except ValueError as error:
        return ("ValueError", str(error))


def _sliced_index(seq, value, start):
    return start + seq[start:].index(value)


def _index_from(seq, value, start):
    return seq.index(value, start)


@pytest.mark.parametrize("wrap", [list, tuple, str, bytes])
def test_start_plus_index_of_a_slice_is_index_from_start(wrap):
    for text, needle in itertools.product(TEXTS, NEEDLES):
        seq = wrap(text.encode()) if wrap is bytes else wrap(text)
        value = needle.encode() if wrap is bytes else needle
        if wrap in (list, tuple):
            value = needle[0]  # an item, not a substring
        for start in range(len(text) + 3):
            before = _outcome(_sliced_index, seq, value, start)
            assert before == _outcome(_index_from, seq, value, start)


def test_negative_offsets_really_differ():
    assert -1 + [1, 2, 3][-1:].index(3) != [1, 2, 3].index(3, -1)


def test_the_fixed_functions_give_the_same_results():
    cases = [
        (index("start + items[start:].index(token)"), [([1, 2, 1], 1), (["a", "b"], "b")]),
        (contains('"\\t" not in line[index:]'), [("  a\tb",), ("  ab",), ("",), ("\t",)]),
    ]
    for before, inputs in cases:
        after = fix_all(detector, before)
        assert after != before
        results = []
        for source in (before, after):
            namespace: dict[str, object] = {}
            exec(compile(source, "m.py", "exec"), namespace)
            function = namespace["f"]
            assert callable(function)
            results.append([_outcome(function, *args) for args in inputs])
        assert results[0] == results[1]


def test_explanation():
    assert "quadratic" in slice_to_search.explanation
