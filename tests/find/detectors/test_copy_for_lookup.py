"""copy-for-lookup: ``list(xs)[-1]``, ``len(list(xs))``, ``v in list(xs)`` read ``xs`` itself."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["copy-for-lookup"]

# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    noop("parameter-of-unknown-type", "def f(node):\n    return list(node)[0]\n"),
    noop("attribute", "def f(self):\n    return list(self.items)[-1]\n"),
    noop("call-result", "def f(load):\n    return list(load())[-1]\n"),
    noop(
        "generator-exhaustion",
        """
        def f(rows):
            it = iter(rows)
            first = list(it)[0]
            return first, list(it)
        """,
    ),
    noop(
        "dict-first-key-exception-type",
        "def f(pairs):\n    d = dict(pairs)\n    return list(d)[0]\n",
    ),
    noop("set-item", "def f(ws):\n    s = set(ws)\n    return list(s)[0]\n"),
    noop(
        "tuple-slice-changes-type",
        "def f(a, b):\n    t = (a, b)\n    return list(t)[1:]\n",
    ),
    noop(
        "unknown-index-on-other-type",
        "def f(a, i):\n    t = (a, a)\n    return list(t)[i]\n",
    ),
    noop("str-membership-is-substring", "def f(v):\n    s = 'abc'\n    return v in list(s)\n"),
    noop("str-index-is-substring", "def f(v):\n    s = 'abc'\n    return list(s).index(v)\n"),
    noop(
        "dict-membership-hashes",
        "def f(v, pairs):\n    d = dict(pairs)\n    return v in list(d)\n",
    ),
    noop(
        "store-into-the-copy",
        "def f():\n    xs = [1, 2]\n    list(xs)[0] = 5\n    return xs\n",
    ),
    noop(
        "del-from-the-copy",
        "def f():\n    xs = [1, 2]\n    del list(xs)[0]\n    return xs\n",
    ),
    noop("list-shadowed", "list = tuple\ndef f():\n    xs = [1]\n    return list(xs)[0]\n"),
    noop(
        "rebound-in-a-branch",
        """
        def f(flag, it):
            xs = [1, 2]
            if flag:
                xs = iter(it)
            return list(xs)[-1]
        """,
    ),
    noop(
        "rebound-in-a-loop",
        """
        def f(its):
            xs = [1, 2]
            for it in its:
                print(list(xs)[-1])
                xs = iter(it)
        """,
    ),
    noop(
        "walrus-rebinds-first",
        "def f(it):\n    xs = [1]\n    return (xs := iter(it)), list(xs)[0]\n",
    ),
    noop(
        "global",
        "xs = [1]\ndef f(it):\n    global xs\n    xs = [2]\n    g()\n    return list(xs)[0]\n",
    ),
    noop(
        "nonlocal-in-a-nested-function",
        """
        def f(it):
            xs = [1]
            def g():
                nonlocal xs
                xs = iter(it)
            g()
            return list(xs)[0]
        """,
    ),
    noop("module-level", "xs = [1]\nlast = list(xs)[-1]\n"),
    noop("starred", "def f(a):\n    xs = [a]\n    return list(*xs)[0]\n"),
    noop("comment-inside", "def f():\n    xs = [1]\n    return list(xs  # the copy\n    )[0]\n"),
    noop(
        "comprehension-variable-shadows-the-local",
        "def f(rows):\n    row = [1]\n    return [list(row)[0] for row in rows]\n",
    ),
    noop(
        "range-index-with-bounds",
        "def f(v):\n    r = range(5)\n    return list(r).index(v, 1)\n",
    ),
    noop(
        "index-of-a-keys-copy",
        "def f(pairs, k):\n    d = dict(pairs)\n    return list(d.keys()).index(k)\n",
    ),
    noop(
        "membership-in-a-prefix-slice",
        "def f(v, i):\n    seq = [1, 2, 3]\n    return v in seq[:i]\n",
    ),
    noop(
        "index-of-the-first-match-is-not-the-first-equal",
        "def f(p):\n    seq = [1, 2]\n    return seq.index([y for y in seq if p(y)][0])\n",
    ),
    noop(
        "forces-a-lazy-parser-inside-try",
        """
        def f(parse, text):
            try:
                return tuple(parse(text))[0]
            except ValueError:
                return None
        """,
    ),
    noop("locals-called", "def f():\n    xs = [1]\n    print(locals())\n    return list(xs)[0]\n"),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "last-item-of-a-list",
        """
        def f(items):
            xs = sorted(items)
            return list(xs)[-1]
        """,
        """
        def f(items):
            xs = sorted(items)
            return xs[-1]
        """,
    ),
    change(
        "mutated-later-is-fine",
        """
        def f(items):
            xs = [i for i in items]
            first = list(xs)[0]
            xs.append(first)
            return xs
        """,
        """
        def f(items):
            xs = [i for i in items]
            first = xs[0]
            xs.append(first)
            return xs
        """,
    ),
    change(
        "item-of-a-tuple",
        "def f(a, b):\n    t = (a, b)\n    return tuple(t)[1]\n",
        "def f(a, b):\n    t = (a, b)\n    return t[1]\n",
    ),
    change(
        "item-of-a-str-method-chain",
        "def f():\n    s = 'A-B'.lower()\n    return list(s.split('-'))[0]\n",
        "def f():\n    s = 'A-B'.lower()\n    return s.split('-')[0]\n",
    ),
    change(
        "slice-of-a-list-stays-a-list",
        "def f(i):\n    xs = [1, 2, 3]\n    return list(xs)[i:]\n",
        "def f(i):\n    xs = [1, 2, 3]\n    return xs[i:]\n",
    ),
    change(
        "parameter-rebound-before",
        """
        import re

        def f(tag):
            tag = re.sub('-', '_', tag)
            return list(tag)[0]
        """,
        """
        import re

        def f(tag):
            tag = re.sub('-', '_', tag)
            return tag[0]
        """,
    ),
    change(
        "removal-while-iterating-a-slice-is-still-safe",
        """
        def f(v):
            xs = [1, 2, 3]
            for x in list(xs)[1:]:
                xs.remove(x)
            return xs
        """,
        """
        def f(v):
            xs = [1, 2, 3]
            for x in xs[1:]:
                xs.remove(x)
            return xs
        """,
    ),
    change(
        "length",
        "def f(pairs):\n    d = dict(pairs)\n    return len(list(d))\n",
        "def f(pairs):\n    d = dict(pairs)\n    return len(d)\n",
    ),
    change(
        "index-in-a-loop",
        """
        def f(names):
            order = list(names)
            out = []
            for n in names:
                out.append(list(order).index(n))
            return out
        """,
        """
        def f(names):
            order = list(names)
            out = []
            for n in names:
                out.append(order.index(n))
            return out
        """,
    ),
    change(
        "count-of-a-tuple",
        "def f(a):\n    t = (a, a)\n    return list(t).count(a)\n",
        "def f(a):\n    t = (a, a)\n    return t.count(a)\n",
    ),
    change(
        "membership",
        "def f(v):\n    xs = [1, 2]\n    return v not in list(xs)\n",
        "def f(v):\n    xs = [1, 2]\n    return v not in xs\n",
    ),
    change(
        "range",
        "def f(n):\n    r = range(n)\n    return list(r)[-1], list(r).index(2)\n",
        "def f(n):\n    r = range(n)\n    return r[-1], r.index(2)\n",
    ),
    change(
        "binding-inside-the-same-if-block",
        """
        def f(flag, it):
            xs = iter(it)
            if flag:
                xs = [1, 2]
                return list(xs)[-1]
            return xs
        """,
        """
        def f(flag, it):
            xs = iter(it)
            if flag:
                xs = [1, 2]
                return xs[-1]
            return xs
        """,
    ),
    change(
        "parenthesised-when-needed",
        "def f(a, b):\n    xs = [a]\n    ys = [b]\n    return list(xs + ys)[0]\n",
        "def f(a, b):\n    xs = [a]\n    ys = [b]\n    return (xs + ys)[0]\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after


def test_explanation_says_why_and_what_it_costs():
    explanation = detector.explanation
    sentences = [s for s in explanation.split(". ") if s]
    assert explanation.endswith(".") and 1 <= len(sentences) <= 2
    assert "every call" in explanation or "every pass" in explanation
