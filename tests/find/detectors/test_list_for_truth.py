"""list-for-truth: ``if not [c for c in s if p]`` becomes ``if not any(p for c in s)``."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["list-for-truth"]

# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    noop(
        "value-used-not-only-truth",
        "def f():\n    s = 'a1'\n    digits = [c for c in s if c.isdigit()]\n    return digits\n",
    ),
    noop(
        "value-of-or-is-used",
        "def f():\n    s = 'a1'\n    return [c for c in s if c.isdigit()] or None\n",
    ),
    noop(
        "lazy-iterable-generator-exhaustion",
        """
        def f(rows):
            it = iter(rows)
            if not [r for r in it if r]:
                return None
            return list(it)
        """,
    ),
    noop("parameter-iterable", "def f(tokens):\n    return not [t for t in tokens if t]\n"),
    noop(
        "item-of-unknown-list",
        """
        def f(tokens, i, n):
            while i < n and not [c for c in tokens[i] if c.isdigit()]:
                i += 1
            return i
        """,
    ),
    noop(
        "filter-with-side-effects",
        """
        def f(check):
            xs = [1, 2]
            if not [x for x in xs if check(x)]:
                return 0
        """,
    ),
    noop(
        "removal-while-iterating",
        """
        def f():
            xs = [1, 2, 3]
            if not [x for x in xs if xs.remove(x)]:
                return xs
        """,
    ),
    noop(
        "element-with-side-effects",
        """
        def f(log):
            xs = [1, 2]
            if [log(x) for x in xs if x]:
                return 0
        """,
    ),
    noop(
        "walrus-keeps-the-last-value",
        """
        def f():
            xs = [1, 2]
            if [x for x in xs if (last := x)]:
                return last
        """,
    ),
    noop(
        "two-filters",
        "def f():\n    s = 'a1'\n    return not [c for c in s if c.isdigit() if c != '0']\n",
    ),
    noop(
        "two-loops",
        "def f():\n    rows = ['a1']\n    return not [c for r in rows for c in r if c.isdigit()]\n",
    ),
    noop(
        "target-writes-an-attribute",
        "def f(self):\n    xs = [1]\n    return not [1 for self.x in xs if self.x]\n",
    ),
    noop(
        "any-shadowed",
        "def any(x):\n    return x\ndef f():\n    s = 'a'\n    return not [c for c in s if c]\n",
    ),
    noop(
        "list-of-unknown-object-truth",
        "def f(reader):\n    if not list(reader):\n        return None\n",
    ),
    noop(
        "keys-of-unknown-mapping",
        "def f(d):\n    if not list(d.keys()):\n        return None\n",
    ),
    noop(
        "sorted-may-raise",
        "def f(a):\n    xs = list(a)\n    if sorted(xs):\n        return 1\n",
    ),
    noop(
        "set-may-raise-on-unhashable",
        "def f(a):\n    xs = list(a)\n    if set(xs):\n        return 1\n",
    ),
    noop(
        "copy-forces-evaluation-inside-try",
        """
        def f(parse, text):
            try:
                if not list(parse(text)):
                    return None
            except ValueError:
                return None
            return text
        """,
    ),
    noop(
        "comment-inside",
        "def f():\n    s = 'a'\n    return not [c for c in s  # digits\n        if c.isdigit()]\n",
    ),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "not-a-filtered-list",
        """
        def has_no_digit(word):
            s = str(word).strip()
            if not [c for c in s if c.isdigit()]:
                return True
            return False
        """,
        """
        def has_no_digit(word):
            s = str(word).strip()
            if not any(c.isdigit() for c in s):
                return True
            return False
        """,
    ),
    change(
        "slice-of-siblings",
        """
        def check(self, i):
            before = self.parent[:i]
            if not [node for node in before
                    if not isinstance(node, self.ignored)]:
                return 'first'
        """,
        """
        def check(self, i):
            before = self.parent[:i]
            if not any(not isinstance(node, self.ignored)
                    for node in before):
                return 'first'
        """,
    ),
    change(
        "while-and",
        """
        def skip(i, n):
            tokens = ['a', 'b1']
            while i < n and not [t for t in tokens if t.startswith('b')]:
                i += 1
            return i
        """,
        """
        def skip(i, n):
            tokens = ['a', 'b1']
            while i < n and not any(t.startswith('b') for t in tokens):
                i += 1
            return i
        """,
    ),
    change(
        "element-value-does-not-matter",
        "def f():\n    xs = [0, 1]\n    return bool([x for x in xs if x == 0])\n",
        "def f():\n    xs = [0, 1]\n    return bool(any(x == 0 for x in xs))\n",
    ),
    change(
        "keys-of-a-dict",
        """
        def f(pairs):
            d = dict(pairs)
            if not list(d.keys()):
                return None
            return d
        """,
        """
        def f(pairs):
            d = dict(pairs)
            if not d:
                return None
            return d
        """,
    ),
    change(
        "list-of-a-tuple",
        "def f(a, b):\n    t = (a, b)\n    assert tuple(t), 'empty'\n",
        "def f(a, b):\n    t = (a, b)\n    assert t, 'empty'\n",
    ),
    change(
        "parenthesised-when-needed",
        "def f(a, b):\n    xs = [a]\n    ys = [b]\n    return 1 if list(xs + ys) else 0\n",
        "def f(a, b):\n    xs = [a]\n    ys = [b]\n    return 1 if (xs + ys) else 0\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("not [c for c in s if c.isdigit()]", "not any(c.isdigit() for c in s)"),
        ("bool([c for c in s if c == 'a'])", "bool(any(c == 'a' for c in s))"),
    ],
)
@pytest.mark.parametrize("s", ["", "abc", "a1", "123"])
def test_rewrite_gives_the_same_answer(before, after, s):
    assert eval(before, {"s": s}) == eval(after, {"s": s})


def test_explanation_says_why_and_what_it_costs():
    explanation = detector.explanation
    sentences = [s for s in explanation.split(". ") if s]
    assert explanation.endswith(".") and 1 <= len(sentences) <= 2
    assert "every call" in explanation or "every pass" in explanation
