"""copy-candidates: copies that might be unneeded, flagged for an agent to judge (no edits)."""

from __future__ import annotations

import textwrap

import pytest

from bot.find.detectors import REGISTRY
from tests.find.detectors import noop

detector = REGISTRY["copy-candidates"]


def candidates(code: str) -> list[str]:
    source = textwrap.dedent(code)
    return [m.message.split("`")[1] for m in detector.detect(source, "x.py")]


# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    noop("module-level", "X = list(Y)\n"),
    noop("class-level", "class A:\n    xs = list(range(3))\n"),
    noop("list-of-call-result", "def f(n):\n    return list(range(n))\n"),
    noop("list-of-generator", "def f(xs):\n    return list(x for x in xs)\n"),
    noop("dict-with-keywords", "def f(a, b):\n    return dict(a, **b)\n"),
    noop("slice-assignment", "def f(xs):\n    xs[:] = []\n"),
    noop("partial-slice", "def f(xs):\n    return xs[1:]\n"),
    noop("shadowed", "def list(x):\n    return x\ndef f(xs):\n    return list(xs)\n"),
    noop("copy-with-arguments", "def f(obj):\n    return obj.copy(deep=True)\n"),
    noop("copy-is-not-the-module", "def f(copy, d):\n    return copy.deepcopy(d)\n"),
    noop("concat-outside-a-loop", "def f(x):\n    x = x + [1]\n    return x\n"),
    noop(
        "left-to-copy-before-iteration",
        "def f(items):\n    seen = [1]\n    for x in seen.copy():\n        print(x)\n",
    ),
    noop(
        "left-to-list-concat-in-loop",
        "def f(n):\n    out = []\n    for i in range(n):\n        out = out + [i]\n"
        "    return out\n",
    ),
    noop("left-to-copy-for-lookup", "def f(items):\n    xs = [1]\n    return list(xs)[-1]\n"),
    noop(
        "left-to-redundant-copy",
        "def f(rest):\n    xs = [1]\n    return [0] + list(xs)\n",
    ),
    noop(
        "left-to-list-for-truth",
        "def f(pairs):\n    d = {k: v for k, v in pairs}\n"
        "    if not list(d.keys()):\n        return d\n",
    ),
    noop(
        "left-to-unmutated-local-copy",
        "def f():\n    xs = [1]\n    ys = list(xs)\n    return len(ys), len(xs)\n",
    ),
    noop("syntax-error", "def f(:\n    return list(x)\n"),
]


@pytest.mark.parametrize("code", NOOP)
def test_noop(code: str) -> None:
    assert candidates(code) == []


# --- code the detector flags (it has no fix of its own: an agent judges each candidate) ----

FLAGGED = [
    pytest.param(
        "class C:\n    def f(self):\n        saved = self.opts.copy()\n"
        "        self.step()\n        self.opts = saved.copy()\n",
        ["self.opts.copy()"],
        id="snapshot-flagged-its-restore-left-to-unchanged-snapshot",
    ),
    pytest.param("def f(xs):\n    return xs.copy()\n", ["xs.copy()"], id="copy-method"),
    pytest.param("def f(self):\n    return self.items.copy()\n", ["self.items.copy()"], id="attr"),
    pytest.param("def f(xs):\n    return list(xs)\n", ["list(xs)"], id="list-of-name"),
    pytest.param("def f(d):\n    return dict(d)\n", ["dict(d)"], id="dict-of-name"),
    pytest.param("def f(d):\n    return set(d['k'])\n", ["set(d['k'])"], id="set-of-item"),
    pytest.param("def f(d):\n    return list(d.items())\n", ["list(d.items())"], id="dict-view"),
    pytest.param("def f(xs):\n    return xs[:]\n", ["xs[:]"], id="full-slice"),
    pytest.param(
        "import copy\ndef f(d):\n    return copy.deepcopy(d)\n", ["copy.deepcopy(d)"], id="deep"
    ),
    pytest.param(
        "from copy import deepcopy\ndef f(d):\n    return deepcopy(d)\n",
        ["deepcopy(d)"],
        id="deepcopy-imported-by-name",
    ),
    pytest.param(
        "import copy\ndef f(d):\n    return copy.copy(d)\n", ["copy.copy(d)"], id="shallow"
    ),
    pytest.param(
        "def f(out, n):\n    for i in range(n):\n        out = out + [i]\n    return out\n",
        ["out = out + [i]"],
        id="concat-in-loop-on-parameter",
    ),
    pytest.param(
        "def f(rows):\n    return [r.copy() for r in rows]\n", ["r.copy()"], id="in-comprehension"
    ),
    pytest.param(
        "class A:\n    def f(self, xs):\n        return list(xs)\n", ["list(xs)"], id="method"
    ),
]


@pytest.mark.parametrize(("code", "expected"), FLAGGED)
def test_flags(code: str, expected: list[str]) -> None:
    assert candidates(code) == expected


def test_candidates_carry_no_edits_and_point_at_the_copy() -> None:
    (match,) = detector.detect("def f(xs):\n    ys = list(xs)\n    return ys\n", "x.py")
    assert match.edits == ()
    assert (match.start_line, match.start_col, match.end_line, match.end_col) == (2, 10, 2, 18)
    assert match.message == "`list(xs)` copies into a new list: is the copy needed?"
    assert detector.needs_agent is True
