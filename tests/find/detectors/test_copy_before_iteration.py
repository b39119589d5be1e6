"""copy-before-iteration: ``for x in xs.copy():`` (or ``xs[:]``, ...) loops over ``xs`` itself."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["copy-before-iteration"]

# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    noop(
        f"mutated-in-loop-{label}",
        f"""
        def f():
            xs = [1, 2]
            for x in xs.copy():
                {statement}
            return xs
        """,
    )
    for label, statement in [
        ("append", "xs.append(x)"),
        ("remove", "xs.remove(x)"),
        ("pop", "xs.pop()"),
        ("clear", "xs.clear()"),
        ("sort", "xs.sort()"),
        ("del-item", "del xs[0]"),
        ("set-item", "xs[0] = x"),
        ("augmented-item", "xs[0] += x"),
        ("augmented", "xs += [x]"),
        ("rebound", "xs = [x]"),
        ("passed-along", "print(xs)"),
    ]
] + [
    noop(
        "mutated-in-else",
        """
        def f():
            xs = [1, 2]
            for x in xs.copy():
                pass
            else:
                xs.append(3)
        """,
    ),
    noop("parameter", "def f(xs):\n    for x in xs.copy():\n        print(x)\n"),
    noop("never-bound-here", "XS = [1]\ndef f():\n    for x in XS.copy():\n        print(x)\n"),
    noop(
        "global",
        "xs = [1]\ndef f():\n    global xs\n    xs = [2]\n"
        "    for x in xs.copy():\n        print(x)\n",
    ),
    noop("set", "def f():\n    xs = {1, 2}\n    for x in xs.copy():\n        print(x)\n"),
    noop(
        "set-comprehension",
        "def f(ws):\n    xs = {w for w in ws}\n    for x in xs.copy():\n        print(x)\n",
    ),
    noop(
        "frozenset",
        "def f(ws):\n    xs = frozenset(ws)\n    for x in copy.copy(xs):\n        pass\n",
    ),
    noop(
        "aliased",
        """
        def f():
            xs = [1]
            ys = xs
            for x in xs.copy():
                ys.append(x)
        """,
    ),
    noop(
        "escapes-through-call",
        """
        def f(register):
            xs = [1]
            register(xs)
            for x in xs.copy():
                print(x)
        """,
    ),
    noop(
        "escapes-later-in-an-enclosing-loop",
        """
        def f(register, rounds):
            xs = [1]
            for _ in range(rounds):
                for x in xs.copy():
                    print(x)
                register(xs)
        """,
    ),
    noop(
        "captured-by-closure",
        """
        def f(callbacks):
            xs = [1]
            callbacks.append(lambda: xs.append(2))
            for x in xs.copy():
                callbacks[0]()
        """,
    ),
    noop(
        "yielded",
        """
        def f():
            xs = [1]
            yield xs
            for x in xs.copy():
                print(x)
        """,
    ),
    noop(
        "bound-to-a-call-result",
        "def f(load):\n    xs = load()\n    for x in xs.copy():\n        print(x)\n",
    ),
    noop(
        "augmented-before-loop",
        "def f(a):\n    xs = []\n    xs += a\n    for x in xs[:]:\n        print(x)\n",
    ),
    noop(
        "tuple-copy-method-raises",
        "def f():\n    xs = (1,)\n    for x in xs.copy():\n        pass\n",
    ),
    noop("dict-slice-raises", "def f():\n    xs = {}\n    for x in xs[:]:\n        pass\n"),
    noop("partial-slice", "def f():\n    xs = [1]\n    for x in xs[1:]:\n        pass\n"),
    noop("reversed-slice", "def f():\n    xs = [1]\n    for x in xs[::-1]:\n        pass\n"),
    noop(
        "deepcopy",
        "import copy\ndef f():\n    xs = [[1]]\n"
        "    for x in copy.deepcopy(xs):\n        x.append(2)\n",
    ),
    noop(
        "copy-module-rebound-locally",
        "import copy\ndef f(copy):\n    xs = [1]\n    for x in copy.copy(xs):\n        pass\n",
    ),
    noop(
        "copy-function-not-the-module",
        "from x import copy\ndef f():\n    xs = [1]\n    for x in copy.copy(xs):\n        pass\n",
    ),
    noop(
        "copy-module-not-imported",
        "def f():\n    xs = [1]\n    for x in copy.copy(xs):\n        pass\n",
    ),
    noop(
        "comment-inside-the-copy",
        "def f():\n    xs = [1]\n    for x in xs.copy(  # keep\n    ):\n        pass\n",
    ),
    noop(
        "list-call-left-to-ruff", "def f():\n    xs = [1]\n    for x in list(xs):\n        pass\n"
    ),
    noop(
        "loop-target-writes-it",
        "def f():\n    xs = [1, 2]\n    for xs[0] in xs.copy():\n        pass\n",
    ),
    noop(
        "comprehension-not-a-for-statement",
        "def f():\n    xs = [1]\n    return [x for x in xs.copy()]\n",
    ),
    noop(
        "locals-called",
        "def f():\n    xs = [1]\n    for x in xs.copy():\n        print(locals())\n",
    ),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "list-copy-method",
        """
        def f():
            xs = [1, 2]
            for x in xs.copy():
                print(x)
        """,
        """
        def f():
            xs = [1, 2]
            for x in xs:
                print(x)
        """,
    ),
    change(
        "dict-copy-method",
        """
        def f(pairs):
            d = {k: v for k, v in pairs}
            for k in d.copy():
                print(d[k], d.get(k), len(d), k in d)
        """,
        """
        def f(pairs):
            d = {k: v for k, v in pairs}
            for k in d:
                print(d[k], d.get(k), len(d), k in d)
        """,
    ),
    change(
        "list-slice",
        """
        def f(items):
            xs = list(items)
            for x in xs[:]:
                print(x, xs.index(x), xs.count(x))
            xs.append(None)
            return xs
        """,
        """
        def f(items):
            xs = list(items)
            for x in xs:
                print(x, xs.index(x), xs.count(x))
            xs.append(None)
            return xs
        """,
    ),
    change(
        "tuple-slice",
        """
        def f(a, b):
            xs = (a, b)
            for x in xs[:]:
                print(x)
        """,
        """
        def f(a, b):
            xs = (a, b)
            for x in xs:
                print(x)
        """,
    ),
    change(
        "copy-module",
        """
        import copy

        def f(items):
            xs = sorted(items)
            for x in copy.copy(xs):
                print(x)
        """,
        """
        import copy

        def f(items):
            xs = sorted(items)
            for x in xs:
                print(x)
        """,
    ),
    change(
        "non-ascii-on-the-line",
        """
        def f():
            xs = ["é"]
            for x in xs.copy(): print("ü", x)
        """,
        """
        def f():
            xs = ["é"]
            for x in xs: print("ü", x)
        """,
    ),
    change(
        "loop-else-reads",
        """
        def f():
            xs = [1]
            for x in xs[:]:
                pass
            else:
                print(len(xs))
        """,
        """
        def f():
            xs = [1]
            for x in xs:
                pass
            else:
                print(len(xs))
        """,
    ),
    change(
        "escapes-only-after-the-loop",
        """
        def f(register):
            xs = [1]
            for x in xs.copy():
                print(x)
            register(xs)
        """,
        """
        def f(register):
            xs = [1]
            for x in xs:
                print(x)
            register(xs)
        """,
    ),
    change(
        "two-loops",
        """
        def f():
            xs = [1]
            for x in xs[:]:
                print(x)
            for x in xs.copy():
                print(x)
        """,
        """
        def f():
            xs = [1]
            for x in xs:
                print(x)
            for x in xs:
                print(x)
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after
