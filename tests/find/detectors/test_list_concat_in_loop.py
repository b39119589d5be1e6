"""list-concat-in-loop: ``out = out + [x]`` in a loop becomes ``out.append(x)`` (or ``+=``)."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["list-concat-in-loop"]

# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    noop("not-in-a-loop", "def f(a):\n    out = []\n    out = out + [a]\n    return out\n"),
    noop("module-level", "out = []\nfor i in range(3):\n    out = out + [i]\n"),
    noop(
        "in-for-else-not-body",
        "def f(xs):\n    out = []\n    for x in xs:\n        pass\n    else:\n"
        "        out = out + [1]\n    return out\n",
    ),
    noop(
        "parameter", "def f(out, xs):\n    for x in xs:\n        out = out + [x]\n    return out\n"
    ),
    noop(
        "global",
        "out = []\ndef f(xs):\n    global out\n    for x in xs:\n        out = out + [x]\n",
    ),
    noop(
        "nonlocal",
        """
        def g():
            out = []
            def f(xs):
                nonlocal out
                for x in xs:
                    out = out + [x]
            return f
        """,
    ),
    noop(
        "aliased-before-loop",
        """
        def f(xs):
            out = []
            first = out
            for x in xs:
                out = out + [x]
            return first
        """,
    ),
    noop(
        "passed-to-a-call",
        """
        def f(xs, register):
            out = []
            register(out)
            for x in xs:
                out = out + [x]
        """,
    ),
    noop(
        "stored-in-a-dict",
        """
        def f(xs, d):
            out = []
            d["k"] = out
            for x in xs:
                out = out + [x]
        """,
    ),
    noop(
        "appended-to-another-list",
        """
        def f(xs, lst):
            out = []
            for x in xs:
                lst.append(out)
                out = out + [x]
        """,
    ),
    noop(
        "yielded",
        """
        def f(xs):
            out = []
            for x in xs:
                yield out
                out = out + [x]
        """,
    ),
    noop(
        "iterating-over-itself",
        """
        def f():
            out = [1, 2]
            for x in out:
                out = out + [x]
            return out
        """,
    ),
    noop(
        "loop-iterable-mentions-it",
        """
        def f():
            out = [1, 2]
            for i in range(len(out)):
                out = out + [i]
            return out
        """,
    ),
    noop(
        "captured-by-lambda",
        """
        def f(xs):
            out = []
            get = lambda: out
            for x in xs:
                out = out + [x]
            return get
        """,
    ),
    noop(
        "captured-by-nested-function",
        """
        def f(xs):
            out = []
            def get():
                return out
            for x in xs:
                out = out + [x]
            return get
        """,
    ),
    noop(
        "read-in-a-comprehension",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x]
            return [o for o in out]
        """,
    ),
    noop(
        "bound-to-an-argument",
        """
        def f(xs, start):
            out = start
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    noop(
        "bound-to-a-call-result",
        """
        def f(xs, make):
            out = make()
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    noop(
        "bound-by-unpacking",
        """
        def f(xs, pair):
            out, other = pair
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    noop(
        "bound-by-for-target",
        """
        def f(xs, lists):
            out = []
            for out in lists:
                pass
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    noop(
        "bound-by-with",
        """
        def f(xs, cm):
            with cm as out:
                for x in xs:
                    out = out + [x]
            return out
        """,
    ),
    noop(
        "bound-by-walrus",
        """
        def f(xs):
            if (out := []) is not None:
                for x in xs:
                    out = out + [x]
            return out
        """,
    ),
    noop(
        "deleted",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x]
            del out
        """,
    ),
    noop(
        "item-is-the-list-itself",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [out]
            return out
        """,
    ),
    noop(
        "escapes-between-two-loops",
        """
        def f(xs, register):
            out = []
            for x in xs:
                out = out + [x]
            register(out)
            for x in xs:
                out = out + [x]
        """,
    ),
    noop(
        "escapes-later-in-an-enclosing-loop",
        """
        def f(rows, register):
            out = []
            for row in rows:
                for x in row:
                    out = out + [x]
                register(out)
        """,
    ),
    noop(
        "parenthesised-value",
        """
        def f(xs):
            out = []
            for x in xs:
                out = (out + [x])
            return out
        """,
    ),
    noop(
        "two-concatenations",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x] + [x]
            return out
        """,
    ),
    noop(
        "prepend",
        """
        def f(xs):
            out = []
            for x in xs:
                out = [x] + out
            return out
        """,
    ),
    noop(
        "empty-list",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + []
            return out
        """,
    ),
    noop(
        "locals-called",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x]
            return locals()
        """,
    ),
    noop(
        "list-builtin-shadowed",
        """
        from mylib import list

        def f(xs):
            out = list()
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    noop(
        "returned-before-a-finally",
        """
        def f(xs):
            out = []
            try:
                return out
            finally:
                for x in xs:
                    out = out + [x]
        """,
    ),
    noop(
        "compared-with-equals",
        """
        def f(xs, other):
            out = []
            for x in xs:
                if out == other:
                    break
                out = out + [x]
            return out
        """,
    ),
    noop(
        "aliased-through-or",
        """
        def f(xs):
            out = []
            for x in xs:
                last = out or None
                out = out + [x]
            return last
        """,
    ),
    noop(
        "formatted-in-the-loop",
        """
        def f(xs):
            out = []
            for x in xs:
                print(f"{out}")
                out = out + [x]
            return out
        """,
    ),
    noop("syntax-error", "def f(:\n    out = out + [1]\n", parses=False),
    noop(
        "form-feed-in-file",
        "\x0c\ndef f(xs):\n    out = []\n    for x in xs:\n        out = out + [x]\n"
        "    return out\n",
    ),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "one-item-append",
        """
        def f(items):
            out = []
            for i in items:
                out = out + [i]
            return out
        """,
        """
        def f(items):
            out = []
            for i in items:
                out.append(i)
            return out
        """,
    ),
    change(
        "two-items-augmented",
        """
        def f(items):
            out = []
            for k, v in items:
                out = out + [k, v]
            return out
        """,
        """
        def f(items):
            out = []
            for k, v in items:
                out += [k, v]
            return out
        """,
    ),
    change(
        "starred-item-augmented",
        """
        def f(groups):
            out = []
            for g in groups:
                out = out + [*g]
            return out
        """,
        """
        def f(groups):
            out = []
            for g in groups:
                out += [*g]
            return out
        """,
    ),
    change(
        "trailing-comma-and-comment-kept",
        """
        def f(items):
            out = []
            for i in items:
                out = out + [
                    i,  # the item
                ]
            return out
        """,
        """
        def f(items):
            out = []
            for i in items:
                out.append(
                    i,  # the item
                )
            return out
        """,
    ),
    change(
        "while-loop",
        """
        def f(n):
            out: list[int] = []
            while len(out) < n:
                out = out + [n]
            return out
        """,
        """
        def f(n):
            out: list[int] = []
            while len(out) < n:
                out.append(n)
            return out
        """,
    ),
    change(
        "nested-loops-both-fixed",
        """
        def f(groups):
            out = list()
            for g in groups:
                out = out + [g.name]
                for item in g.items:
                    out = out + [item, item]
            return out
        """,
        """
        def f(groups):
            out = list()
            for g in groups:
                out.append(g.name)
                for item in g.items:
                    out += [item, item]
            return out
        """,
    ),
    change(
        "async-for-in-method",
        """
        class C:
            async def f(self, stream):
                out = [x for x in ()]
                async for chunk in stream:
                    out = out + [chunk]
                return out
        """,
        """
        class C:
            async def f(self, stream):
                out = [x for x in ()]
                async for chunk in stream:
                    out.append(chunk)
                return out
        """,
    ),
    change(
        "read-only-and-method-uses-allowed",
        """
        def f(items, probe):
            out = []
            for i in items:
                if i in out or not out:
                    continue
                out = out + [i]
                out.sort()
            if out:
                print(len(out), out[0], out.count(1))
            return out
        """,
        """
        def f(items, probe):
            out = []
            for i in items:
                if i in out or not out:
                    continue
                out.append(i)
                out.sort()
            if out:
                print(len(out), out[0], out.count(1))
            return out
        """,
    ),
    change(
        "non-ascii-before-the-statement",
        """
        def f(items):
            out = []
            for i in items:
                é = "ü"; out = out + [é]
            return out
        """,
        """
        def f(items):
            out = []
            for i in items:
                é = "ü"; out.append(é)
            return out
        """,
    ),
    change(
        "item-reads-the-list",
        """
        def f(n):
            out = [1]
            while out[-1] < n:
                out = out + [out[-1] * 2 + len(out)]
            return out
        """,
        """
        def f(n):
            out = [1]
            while out[-1] < n:
                out.append(out[-1] * 2 + len(out))
            return out
        """,
    ),
    change(
        "escapes-only-after-the-loop",
        """
        def f(xs, register):
            out = []
            for x in xs:
                out = out + [x]
            register(out)
            alias = out
            return alias
        """,
        """
        def f(xs, register):
            out = []
            for x in xs:
                out.append(x)
            register(out)
            alias = out
            return alias
        """,
    ),
    change(
        "line-continuation",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + \\
                    [x]
            return out
        """,
        """
        def f(xs):
            out = []
            for x in xs:
                out.append(x)
            return out
        """,
    ),
    change(
        "iterated-after-the-loop",
        """
        def f(items):
            out = []
            for i in items:
                out = out + [i]
            for o in out:
                print(o)
        """,
        """
        def f(items):
            out = []
            for i in items:
                out.append(i)
            for o in out:
                print(o)
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after
