"""redundant-copy: ``list(s.split())``, ``[a] + list(b)``, ``len(set(d) & s)`` copy no more."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["redundant-copy"]

# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    noop("join-by-an-unknown-separator", "def f(sep, g):\n    return sep.join(list(g))\n"),
    noop("max-of-the-list-and-another", "def f(g, y):\n    return max(list(g), y)\n"),
    noop("min-shadowed", "def min(x):\n    return x\ndef f(g):\n    return min(list(g))\n"),
    noop("join-of-a-list-display", "def f(a):\n    return ''.join(list([a, a]))\n"),
    noop(
        "list-of-a-slice-of-an-annotated-sequence",
        "from typing import Sequence\ndef f(nodes: Sequence[int]):\n    return list(nodes[1:])\n",
    ),
    noop(
        "list-of-a-slice-of-an-annotated-tuple",
        "def f(nodes: tuple[int, ...]):\n    return list(nodes[1:])\n",
    ),
    noop("split-of-unknown-object", "def f(path):\n    return list(path.split('/'))\n"),
    noop(
        "os-path-split-is-a-tuple",
        "import os\ndef f(p):\n    return list(os.path.split(p))\n",
    ),
    noop("copy-of-a-local-list", "def f():\n    xs = [1]\n    ys = list(xs)\n    return xs, ys\n"),
    noop(
        "alias-kept",
        "def f():\n    parts = 'a b'.split()\n    ys = list(parts)\n    ys.append(1)\n"
        "    return parts, ys\n",
    ),
    noop("defensive-copy-returned", "def f(items):\n    return list(items)\n"),
    noop("property-may-be-shared", "def f(obj, s):\n    return set(obj.names) - s\n"),
    noop("tuple-of-split-changes-type", "def f():\n    s = 'a b'\n    return tuple(s.split())\n"),
    noop("set-of-a-list", "def f():\n    s = 'a b'\n    return set(s.split())\n"),
    noop("list-of-keys-view", "def f(pairs):\n    d = dict(pairs)\n    return list(d.keys())\n"),
    noop(
        "frozenset-copy-is-itself",
        "def f(ws):\n    s = frozenset(ws)\n    return set(s.copy())\n",
    ),
    noop("left-to-ruff-list-literal", "def f(a):\n    return list([a, a])\n"),
    noop("left-to-ruff-list-of-list", "def f(a):\n    return list(list(a))\n"),
    noop("re-not-the-module", "from x import re\ndef f(s):\n    return list(re.findall('a', s))\n"),
    noop(
        "sorted-shadowed", "def sorted(x):\n    return x\ndef f(a):\n    return list(sorted(a))\n"
    ),
    noop(
        "keys-set-whose-items-are-used",
        "def f(pairs, ws):\n    d = dict(pairs)\n    s = set(ws)\n    return set(d) & s\n",
    ),
    noop(
        "keys-of-an-unknown-mapping",
        "def f(d, ws):\n    s = set(ws)\n    return len(set(d) & s)\n",
    ),
    noop(
        "keys-and-a-list",
        "def f(pairs, ws):\n    d = dict(pairs)\n    s = list(ws)\n    return len(set(d) & s)\n",
    ),
    noop("concatenation-of-two-displays", "def f(a, b):\n    return [a] + [b]\n"),
    noop("concatenation-with-a-name", "def f(a, b):\n    return [a] + b\n"),
    noop("comment-inside", "def f(a, b):\n    return [a] + list(  # rest\n        b)\n"),
    # copies consumed by unpacking, `+=`/`extend` and `+`
    noop("unpacking-an-iterator", "def f(xs):\n    a, b = list(iter(xs))\n    return a, b\n"),
    noop("unpacking-a-generator", "def f(xs):\n    a, b = list(x for x in xs)\n    return a\n"),
    noop("unpacking-a-parameter", "def f(xs):\n    a, b = tuple(xs)\n    return a\n"),
    noop("unpacking-into-two-targets", "def f():\n    t = a, b = list(range(2))\n    return t\n"),
    noop("unpacking-a-display-is-ruffs", "def f(x, y):\n    a, b = list((x, y))\n    return a\n"),
    noop("extending-by-a-generator", "def f(g):\n    xs = []\n    xs += list(g)\n    return xs\n"),
    noop(
        "extending-by-a-map",
        "def f(g):\n    xs = []\n    xs.extend(list(map(int, g)))\n    return xs\n",
    ),
    noop("extending-a-parameter", "def f(xs):\n    xs += list(range(3))\n    return xs\n"),
    noop("extending-an-attribute", "def f(self):\n    self.xs += list(range(3))\n"),
    noop(
        "extending-after-an-unknown-plus",
        "def f(g):\n    xs = []\n    xs += g\n    xs.extend(list(range(3)))\n    return xs\n",
    ),
    noop(
        "extending-a-tuple",
        "def f():\n    t = (1,)\n    t += tuple(range(3))\n    return t\n",
    ),
    noop("slice-plus-of-attributes", "def f(self):\n    self.head = self.meta[:] + self.head\n"),
    noop("slice-plus-an-unknown", "def f(a, y):\n    x = list(a)\n    return x[:] + y\n"),
    noop(
        "slice-of-a-deque",
        "from collections import deque\ndef f():\n    d = deque([1])\n    return d[:] + [2]\n",
    ),
    noop(
        "slice-kept-and-changed",
        "def f(a):\n    x = list(a)\n    y = x[:]\n    y += [1]\n    return x, y\n",
    ),
    noop("slice-augmented-in-place", "def f(a):\n    x = list(a)\n    x[:] += [1]\n    return x\n"),
    noop("slice-of-an-unknown-list", "def f(nodes, i, j):\n    return list(nodes[i:j])\n"),
    # outside functions
    noop("module-level-call-between", "s = 'a b'\nf()\nparts = list(s.split())\n"),
    noop("module-level-call-before-the-read", "s = 'a b'\nparts = [f(), list(s.split())]\n"),
    noop("module-level-for-binding", "for s in ['a b']:\n    pass\nparts = list(s.split())\n"),
    noop("class-body-name", "class A:\n    s = 'a b'\n    parts = list(s.split())\n"),
    noop(
        "default-runs-outside-the-function",
        "def f(a=list(s.split())):\n    s = 'a b'\n    return s, a\n",
    ),
    noop("class-with-a-metaclass", "class A(metaclass=M):\n    a, b = list(range(2))\n"),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "join-of-a-copy-of-a-view",
        "def f(kwargs):\n    return ','.join(list(kwargs.keys()))\n",
        "def f(kwargs):\n    return ','.join(kwargs.keys())\n",
    ),
    change(
        "bytes-join-of-a-copied-generator",
        "def f(self):\n    return b''.join(list(self.iter_stream()))\n",
        "def f(self):\n    return b''.join(self.iter_stream())\n",
    ),
    change(
        "max-of-a-copy-with-a-key",
        "def f(d):\n    return max(list(d.values()), key=len)\n",
        "def f(d):\n    return max(d.values(), key=len)\n",
    ),
    change(
        "sum-of-a-copied-generator-alone",
        "def f(g):\n    return sum(list(x * 2 for x in g))\n",
        "def f(g):\n    return sum(x * 2 for x in g)\n",
    ),
    change(
        "sum-of-a-copied-generator-with-a-start",
        "def f(g):\n    return sum(tuple(x for x in g), 10)\n",
        "def f(g):\n    return sum((x for x in g), 10)\n",
    ),
    change(
        "list-of-a-slice-of-an-annotated-list",
        """
        def groups(nodes: list[int], end: int) -> list[object]:
            grouped: list[object] = []
            grouped.append(list(nodes[1:end]))
            return grouped
        """,
        """
        def groups(nodes: list[int], end: int) -> list[object]:
            grouped: list[object] = []
            grouped.append(nodes[1:end])
            return grouped
        """,
    ),
    change(
        "list-of-split",
        """
        import re

        def subtags(tag):
            tag = re.sub('-', '_', tag.lower())
            parts = list(tag.split('_'))
            first = parts.pop(0)
            return first, parts
        """,
        """
        import re

        def subtags(tag):
            tag = re.sub('-', '_', tag.lower())
            parts = tag.split('_')
            first = parts.pop(0)
            return first, parts
        """,
    ),
    change(
        "list-of-splitlines-of-a-literal",
        "def f():\n    return list('a\\nb'.splitlines())\n",
        "def f():\n    return 'a\\nb'.splitlines()\n",
    ),
    change(
        "list-of-sorted",
        "def f(a):\n    return list(sorted(a, key=len))\n",
        "def f(a):\n    return sorted(a, key=len)\n",
    ),
    change(
        "list-of-findall",
        "import re\ndef f(s):\n    return list(re.findall(r'\\d', s))\n",
        "import re\ndef f(s):\n    return re.findall(r'\\d', s)\n",
    ),
    change(
        "list-of-a-list-slice",
        "def f(a):\n    xs = list(a)\n    return list(xs[1:])\n",
        "def f(a):\n    xs = list(a)\n    return xs[1:]\n",
    ),
    change(
        "set-of-a-set-comprehension",
        "def f(ws):\n    return set({w.lower() for w in ws})\n",
        "def f(ws):\n    return {w.lower() for w in ws}\n",
    ),
    change(
        "set-of-a-set-union",
        "def f(a, b):\n    x = set(a)\n    y = set(b)\n    return set(x | y)\n",
        "def f(a, b):\n    x = set(a)\n    y = set(b)\n    return x | y\n",
    ),
    change(
        "dict-of-a-dict-copy",
        "def f(pairs):\n    d = dict(pairs)\n    return dict(d.copy())\n",
        "def f(pairs):\n    d = dict(pairs)\n    return d.copy()\n",
    ),
    change(
        "head-plus-list-of-rest",
        "def f(head, rest):\n    return [head] + list(rest)\n",
        "def f(head, rest):\n    return [head, *rest]\n",
    ),
    change(
        "sorted-of-list-plus-item",
        "def f(a, b):\n    return sorted(list(a) + [b])\n",
        "def f(a, b):\n    return sorted([*a, b])\n",
    ),
    change(
        "list-of-an-iterator-plus-item",
        "def f(xs):\n    return list(map(int, xs)) + [0]\n",
        "def f(xs):\n    return [*map(int, xs), 0]\n",
    ),
    change(
        "two-copies",
        "def f(a, b):\n    return list(a) + list(b)\n",
        "def f(a, b):\n    return [*a, *b]\n",
    ),
    change(
        "multi-line-display-keeps-its-layout",
        """
        def f(a, b, c):
            return list(a) + [
                b,
                c,
            ]
        """,
        """
        def f(a, b, c):
            return [*a,
                b,
                c,
            ]
        """,
    ),
    change(
        "starred-operand-parenthesised",
        "def f(a, b, c):\n    return [c] + list(a or b)\n",
        "def f(a, b, c):\n    return [c, *(a or b)]\n",
    ),
    change(
        "trailing-comma-in-the-display",
        "def f(a, b):\n    return [a,] + list(b)\n",
        "def f(a, b):\n    return [a, *b]\n",
    ),
    change(
        "keys-view-for-a-size",
        """
        def f(pairs, ws):
            d = dict(pairs)
            names = set(ws)
            return len(set(d) & names), len(set(d.keys()) - names)
        """,
        """
        def f(pairs, ws):
            d = dict(pairs)
            names = set(ws)
            return len(d.keys() & names), len(d.keys() - names)
        """,
    ),
    change(
        "keys-view-for-truth",
        """
        def f(pairs, ws):
            d = {k: v for k, v in pairs}
            names = frozenset(ws)
            if set(d) & names:
                return True
        """,
        """
        def f(pairs, ws):
            d = {k: v for k, v in pairs}
            names = frozenset(ws)
            if d.keys() & names:
                return True
        """,
    ),
]


CONSUMED_AND_OUTSIDE_FUNCTIONS = [
    change(
        "class-body-unpacks-a-range",
        """
        class Translator(Base):
            code_none, code_field, code_text = list(range(3))
        """,
        """
        class Translator(Base):
            code_none, code_field, code_text = range(3)
        """,
    ),
    change(
        "unpacking-a-known-tuple-and-a-slice",
        """
        def f(x, y):
            pair = (x, y)
            a, b = tuple(pair)
            c, *d = pair[:]
            return a, b, c, d
        """,
        """
        def f(x, y):
            pair = (x, y)
            a, b = pair
            c, *d = pair
            return a, b, c, d
        """,
    ),
    change(
        "extending-by-a-range-in-a-loop",
        """
        def parse_range(text):
            output = []
            for x in text.split(","):
                limits = list(map(int, x.split("-")))
                output += list(range(min(limits), max(limits) + 1))
            return output
        """,
        """
        def parse_range(text):
            output = []
            for x in text.split(","):
                limits = list(map(int, x.split("-")))
                output += range(min(limits), max(limits) + 1)
            return output
        """,
    ),
    change(
        "extend-by-a-dict-and-a-slice",
        """
        def f(pairs):
            d = dict(pairs)
            keys = []
            keys.extend(list(d))
            keys.extend(keys[:])
            return keys
        """,
        """
        def f(pairs):
            d = dict(pairs)
            keys = []
            keys.extend(d)
            keys.extend(keys)
            return keys
        """,
    ),
    change(
        "slice-plus-a-list-either-side",
        "def f(a, b):\n    x = list(a)\n    y = list(b)\n    return x[:] + y, y + x[:]\n",
        "def f(a, b):\n    x = list(a)\n    y = list(b)\n    return x + y, y + x\n",
    ),
    change(
        "slice-of-a-sum-keeps-its-parentheses",
        "def f(a, b):\n    x = list(a)\n    return x + (x + x)[:]\n",
        "def f(a, b):\n    x = list(a)\n    return x + (x + x)\n",
    ),
    change(
        "module-level-main-block",
        """
        import re

        if __name__ == "__main__":
            language = "en-GB"
            language = language.lower().replace("-", "_")
            language = re.sub(r"_([a-z])_", r"_\\1-", language)
            subtags = list(language.split("_"))
            base = subtags.pop(0)
        """,
        """
        import re

        if __name__ == "__main__":
            language = "en-GB"
            language = language.lower().replace("-", "_")
            language = re.sub(r"_([a-z])_", r"_\\1-", language)
            subtags = language.split("_")
            base = subtags.pop(0)
        """,
    ),
    change(
        "module-level-expression",
        "parts = 'a b'.split()\nrest = ['x'] + list(parts)\nWORDS = list('a b'.split())\n",
        "parts = 'a b'.split()\nrest = ['x', *parts]\nWORDS = 'a b'.split()\n",
    ),
    change(
        "comprehension-in-a-function-without-names",
        "def f(r):\n    return [list('a b'.split()) for _ in r]\n",
        "def f(r):\n    return ['a b'.split() for _ in r]\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER + CONSUMED_AND_OUTSIDE_FUNCTIONS)
def test_fix(before, after):
    assert fix_all(detector, before) == after


def test_explanation_says_why_and_what_it_costs():
    explanation = detector.explanation
    sentences = [s for s in explanation.split(". ") if s]
    assert explanation.endswith(".") and 1 <= len(sentences) <= 2
    assert "every call" in explanation or "every pass" in explanation
