"""slice-to-match: ``pat.match(text[pos:])`` passes ``pos`` to the pattern instead of slicing."""

from __future__ import annotations

import re
import textwrap

import pytest

from bot.find.detectors import REGISTRY, offsets, slice_to_match
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["slice-to-match"]

TOKENS = """
import re

TOKEN = re.compile({pattern})


def tokens(text):
    pos = 0
    out = []
    while pos < len(text):
        m = TOKEN.match(text[pos:])
        if not m:
            break
        out.append(m.group())
        pos += len(m.group())
    return out
"""


def tokens(pattern: str) -> str:
    return textwrap.dedent(TOKENS).format(pattern=pattern)


# --- code the detector must leave alone ----------------------------------------------------

NOOP = (
    [
        noop(f"pattern-{label}", tokens(pattern))
        for label, pattern in [
            ("caret", 'r"^\\w+"'),
            ("caret-multiline", 'r"^\\w+", re.M'),
            ("caret-in-alternative", 'r"\\d+|^x"'),
            ("caret-in-scoped-multiline", 'r"(?m:^x)|y"'),
            ("backslash-A", 'r"\\A\\w+"'),
            ("look-behind", 'r"(?<=a)b"'),
            ("negative-look-behind", 'r"(?<!\\\\)\\w"'),
            ("look-behind-inside-look-ahead", 'r"(?=(?<=a))b"'),
            ("word-boundary-at-start", 'r"\\bfoo"'),
            ("word-boundary-after-optional", 'r"x*\\bfoo"'),
            ("non-boundary", 'r"\\Bfoo"'),
            ("verbose-with-caret-after-comment", '"""(?x) a # [ comment\n ^b"""'),
            ("f-string", 'f"{SEP}\\w+"'),
            ("formatted", '"%s\\w+" % SEP'),
            ("unknown-flags", 'r"\\w+", FLAGS'),
            ("bytes", 'rb"\\w+"'),
            ("invalid", 'r"(\\w+"'),
        ]
    ]
    + [
        noop(
            f"positions-read-{label}",
            f"""
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            pos = 3
            m = WORD.match(text[pos:])
            {statement}
        """,
        )
        for label, statement in [
            ("end", "return m.end()"),
            ("start", "print(m.start())"),
            ("span", "print(m.span(1))"),
            ("pos", "print(m.pos)"),
            ("string", "print(m.string)"),
            ("returned", "return m"),
            ("passed-on", "print(m)"),
            ("aliased", "n = m"),
            ("or", "return m or None"),
        ]
    ]
    + [
        noop(
            "result-position-read-directly",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            return WORD.match(text[0:]).end()
        """,
        ),
        noop(
            "result-returned",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            return WORD.search(text[1:])
        """,
        ),
        noop(
            "walrus",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            if m := WORD.match(text[1:]):
                return m.group()
        """,
        ),
        noop(
            "offset-is-a-parameter",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text, pos):
            return bool(WORD.match(text[pos:]))
        """,
        ),
        noop(
            "offset-may-be-negative",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            pos = len(text) - 3
            return bool(WORD.match(text[pos:]))
        """,
        ),
        noop(
            "offset-negative-literal",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            return bool(WORD.match(text[-3:]))
        """,
        ),
        noop(
            "offset-from-a-group-start",
            """
        import re

        WORD = re.compile(r"(a)?(\\w+)")


        def f(text):
            m = WORD.match(text)
            pos = m.start(1)
            return bool(WORD.match(text[pos:]))
        """,
        ),
        noop(
            "split-has-no-position",
            """
        import re

        COMMA = re.compile(r",")


        def f(text):
            pos = 1
            return COMMA.split(text[pos:], 1)
        """,
        ),
        noop(
            "pattern-rebound",
            """
        import re

        WORD = re.compile(r"\\w+")
        WORD = re.compile(r"^\\w+")


        def f(text):
            return bool(WORD.match(text[1:]))
        """,
        ),
        noop(
            "pattern-is-a-parameter",
            """
        def f(text, WORD):
            return bool(WORD.match(text[1:]))
        """,
        ),
        noop(
            "pattern-global-in-some-function",
            """
        import re

        WORD = re.compile(r"\\w+")


        def g():
            global WORD
            WORD = re.compile(r"^x")


        def f(text):
            return bool(WORD.match(text[1:]))
        """,
        ),
        noop(
            "re-not-the-module",
            """
        import regex as re

        WORD = re.compile(r"\\w+")


        def f(text):
            return bool(WORD.match(text[1:]))
        """,
        ),
        noop(
            "slice-with-an-end",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            return bool(WORD.match(text[1:5]))
        """,
        ),
        noop(
            "parenthesised-subject",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(a, b):
            return bool(WORD.match((a + b)[1:]))
        """,
        ),
        noop(
            "comment-inside-the-slice",
            """
        import re

        WORD = re.compile(r"\\w+")


        def f(text):
            return bool(WORD.match(text[
                1  # skip the sign
            :]))
        """,
        ),
        noop(
            "module-level-code",
            """
        import re

        WORD = re.compile(r"\\w+")
        FIRST = bool(WORD.match("-abc"[1:]))
        """,
        ),
    ]
)


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "tokenizer-loop",
        tokens('r"\\s*(\\d+|[^\\d\\s])"'),
        tokens('r"\\s*(\\d+|[^\\d\\s])"').replace("text[pos:]", "text, pos"),
    ),
    *[
        change(
            f"pattern-{label}",
            tokens(pattern),
            tokens(pattern).replace("text[pos:]", "text, pos"),
        )
        for label, pattern in [
            ("dollar", 'r"\\w+$"'),
            ("end-of-string", 'r"\\w+\\Z"'),
            ("multiline-dollar", 'r"\\w+$", re.MULTILINE'),
            ("look-ahead", 'r"\\w+(?=,)"'),
            ("negated-class", 'r"[^^]+"'),
            ("escaped-caret", 'r"\\^+"'),
            ("backspace-in-class", 'r"[\\b]"'),
            ("flags-combined", 'r"(?P<n>a)(?(n)b|c)(?>d)e*+", re.I | re.S | re.VERBOSE'),
            ("flags-keyword", 'r"\\w+", flags=re.IGNORECASE'),
            ("implicit-concatenation", 'r"\\w+" "=" r"\\d+"'),
            ("verbose-comment", '"""(?x) a  # ^ is only a comment here\n b"""'),
        ]
    ],
    change(
        "search-after-a-match-end",
        """
        import re

        SEP = re.compile(r"[,;]")


        def has_more(text):
            first = SEP.search(text)
            if first is None:
                return False
            return SEP.search(text[first.end() :]) is not None
        """,
        """
        import re

        SEP = re.compile(r"[,;]")


        def has_more(text):
            first = SEP.search(text)
            if first is None:
                return False
            return SEP.search(text, first.end()) is not None
        """,
    ),
    change(
        "groups-read-directly",
        """
        import re

        PAIR = re.compile(r"(\\w+)=(\\w+)")


        def pair(line):
            return PAIR.fullmatch(line[len("set "):]).groups()
        """,
        """
        import re

        PAIR = re.compile(r"(\\w+)=(\\w+)")


        def pair(line):
            return PAIR.fullmatch(line, len("set ")).groups()
        """,
    ),
    change(
        "findall-result-goes-anywhere",
        """
        import re

        NUMBER = re.compile(r"\\d+")


        def numbers(text):
            return NUMBER.findall(text[2:])
        """,
        """
        import re

        NUMBER = re.compile(r"\\d+")


        def numbers(text):
            return NUMBER.findall(text, 2)
        """,
    ),
    change(
        "pattern-compiled-in-the-function",
        """
        import re


        def first(text):
            word = re.compile(r"\\w+")
            pos = 0
            m = word.match(text[pos:])
            if m is not None:
                return m[0], m.lastindex, m.groupdict()
            return None
        """,
        """
        import re


        def first(text):
            word = re.compile(r"\\w+")
            pos = 0
            m = word.match(text, pos)
            if m is not None:
                return m[0], m.lastindex, m.groupdict()
            return None
        """,
    ),
    change(
        "attribute-subject",
        """
        import re

        WORD = re.compile(r"\\w+")


        class Lexer:
            def word(self):
                start = 0
                start += 1
                if WORD.match(self.src[start:]) and not WORD.search(self.src[2 * start :]):
                    return True
        """,
        """
        import re

        WORD = re.compile(r"\\w+")


        class Lexer:
            def word(self):
                start = 0
                start += 1
                if WORD.match(self.src, start) and not WORD.search(self.src, 2 * start):
                    return True
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after


# --- the claim behind the rewrite, checked against `re` itself -------------------------------

SAMPLES = ["", "a", "ab cd", "x\nyz", "12,34;5", "  9+x", "é ü", "a=b"]


@pytest.mark.parametrize(
    "pattern",
    [r"\s*(\d+|[^\d\s])", r"\w+$", r"\w+\Z", r"\w+(?=,)", r"[^^]+", r"(\w+)=(\w+)", r"[,;]"],
)
def test_rewritten_patterns_agree_on_groups(pattern):
    """For every pattern the detector accepts, both spellings find the same groups."""
    assert offsets.reads_forward_only((pattern, 0))
    compiled = re.compile(pattern)
    for text in SAMPLES:
        for pos in range(len(text) + 2):
            for method in ("match", "search", "fullmatch"):
                sliced = getattr(compiled, method)(text[pos:])
                offset = getattr(compiled, method)(text, pos)
                assert (sliced is None) == (offset is None)
                if sliced is not None and offset is not None:
                    assert sliced.groups() == offset.groups()
                    assert sliced.group() == offset.group()
            assert compiled.findall(text[pos:]) == compiled.findall(text, pos)


@pytest.mark.parametrize(
    ("pattern", "text", "pos"),
    [(r"^\w", "ab", 1), (r"\A\w", "ab", 1), (r"(?<=a)b", "ab", 1), (r"\bb", "ab", 1)],
)
def test_refused_patterns_really_differ(pattern, text, pos):
    """Each construct the detector refuses changes a result somewhere."""
    assert not offsets.reads_forward_only((pattern, 0))
    compiled = re.compile(pattern)
    assert (compiled.match(text[pos:]) is None) != (compiled.match(text, pos) is None)


def test_explanation():
    assert "quadratic" in slice_to_match.explanation


def test_the_fixed_tokenizer_gives_the_same_tokens():
    before = tokens('r"\\s*(\\d+|[^\\d\\s])"')
    after = fix_all(detector, before)
    assert after != before
    results = []
    for source in (before, after):
        namespace: dict[str, object] = {}
        exec(compile(source, "m.py", "exec"), namespace)
        tokenize = namespace["tokens"]
        assert callable(tokenize)
        results.append([tokenize(text) for text in [*SAMPLES, "1 + 22*(3-x)"]])
    assert results[0] == results[1]
