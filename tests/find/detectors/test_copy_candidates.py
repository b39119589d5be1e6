"""copy-candidates: copies that might be unneeded, flagged for an agent to judge (no edits)."""

from __future__ import annotations

import textwrap

import pytest

from bot.find.detectors import REGISTRY, copy_candidates
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
        "concat-of-unknown-type-in-a-loop",
        "def f(args):\n    for a in args:\n        spec = str(a)\n        spec = spec + fmt(a)\n"
        "        print(spec)\n",
    ),
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
    noop("syntax-error", "def f(:\n    return list(x)\n", parses=False),
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
    pytest.param("def f(xs):\n    print(xs.copy())\n", ["xs.copy()"], id="copy-method"),
    pytest.param("def f(self):\n    print(self.items.copy())\n", ["self.items.copy()"], id="attr"),
    pytest.param("def f(xs):\n    print(list(xs))\n", ["list(xs)"], id="list-of-name"),
    pytest.param("def f(d):\n    print(dict(d))\n", ["dict(d)"], id="dict-of-name"),
    pytest.param("def f(d):\n    print(set(d['k'].copy()))\n", ["d['k'].copy()"], id="item"),
    pytest.param("def f(d):\n    print(list(d.items()))\n", ["list(d.items())"], id="dict-view"),
    pytest.param("def f(xs):\n    print(xs[:])\n", ["xs[:]"], id="full-slice"),
    pytest.param(
        "import copy\ndef f(d):\n    print(copy.deepcopy(d))\n", ["copy.deepcopy(d)"], id="deep"
    ),
    pytest.param(
        "from copy import deepcopy\ndef f(d):\n    print(deepcopy(d))\n",
        ["deepcopy(d)"],
        id="deepcopy-imported-by-name",
    ),
    pytest.param(
        "import copy\ndef f(d):\n    print(copy.copy(d))\n", ["copy.copy(d)"], id="shallow"
    ),
    pytest.param(
        "def f(out, n):\n    for i in range(n):\n        out = out + [i]\n    return out\n",
        ["out = out + [i]"],
        id="concat-in-loop-on-parameter",
    ),
    pytest.param(
        "def f(rows):\n    print([len(r.copy()) for r in rows])\n",
        ["r.copy()"],
        id="in-comprehension",
    ),
    pytest.param(
        "class A:\n    def f(self, xs):\n        print(list(xs))\n", ["list(xs)"], id="method"
    ),
    pytest.param(
        "class A:\n    def f(self):\n        args = list(self.args or ())\n"
        "        return len(args)\n",
        ["list(self.args or ())"],
        id="copy-of-an-attribute-or-an-empty-default",
    ),
    pytest.param(
        "class A:\n    def index(self, token, start):\n"
        "        return start + self.tokens[start:].index(token)\n",
        ["self.tokens[start:].index(token)"],
        id="slice-only-searched-at-an-unknown-offset",
    ),
]


@pytest.mark.parametrize(("code", "expected"), FLAGGED)
def test_flags(code: str, expected: list[str]) -> None:
    assert candidates(code) == expected


def test_candidates_carry_no_edits_and_point_at_the_copy() -> None:
    (match,) = detector.detect("def f(xs):\n    ys = list(xs)\n    print(ys)\n", "x.py")
    assert match.edits == ()
    assert (match.start_line, match.start_col, match.end_line, match.end_col) == (2, 10, 2, 18)
    assert match.message == "`list(xs)` copies into a new list: is the copy needed?"
    assert detector.needs_agent is True


# --- copies the prefilter proves needed: dropped, with the reason ------------------------

NEEDED = [
    pytest.param("def f(xs):\n    return xs.copy()\n", "returned", id="defensive-copy-returned"),
    pytest.param(
        "class A:\n    def f(self, o):\n        self.o = dict(o)\n", "stored", id="stored-on-self"
    ),
    pytest.param(
        "def f(items):\n    out = list(items)\n    out.append(None)\n    return len(out)\n",
        "changed afterwards (`append`)",
        id="mutated-afterwards",
    ),
    pytest.param(
        "def f(d):\n    for k in list(d):\n        if not d[k]:\n            del d[k]\n",
        "loop over the copy changes the original",
        id="delete-while-iterating",
    ),
    pytest.param(
        "def f(t):\n    ts = list(t)\n    for x in ts:\n        t.group(x)\n",
        "loop over the copy changes the original",
        id="method-of-original-called-in-loop",
    ),
    pytest.param(
        "def f(v):\n    v = list(v)\n    if not v:\n        return 0\n    return sum(v) / len(v)\n",
        "one-shot iterable",
        id="iterator-materialised-read-twice",
    ),
    pytest.param(
        "def f(g):\n    try:\n        print(list(g))\n    except ValueError:\n        pass\n",
        "inside its `try`",
        id="forces-lazy-inside-try",
    ),
    pytest.param(
        "def f(xs, keep):\n    keep(list(xs))\n", "handed to `keep`", id="passed-to-unknown-call"
    ),
    pytest.param(
        "def f(xs):\n    snap = list(xs)\n    xs.append(1)\n    print(snap)\n",
        "snapshot",
        id="snapshot-while-original-changes",
    ),
    pytest.param(
        "import copy\ndef f(d):\n    c = copy.deepcopy(d)\n    c['a']['b'] = 1\n    print(c)\n",
        "changed afterwards",
        id="deepcopy-nested-change",
    ),
    pytest.param("def f(d):\n    print(set(d['k']))\n", "drops duplicates", id="set-of-a-list"),
    pytest.param(
        "def f(rows):\n    print([r.copy() for r in rows])\n",
        "a copy of its own",
        id="one-copy-per-item",
    ),
    pytest.param(
        "def f(rows, n):\n    return [rows[:] for _ in range(n)]\n",
        "a copy of its own",
        id="independent-rows",
    ),
    pytest.param(
        "def f(p):\n    return list(p[-1:]) in (['.'], ['..'])\n",
        "comparison depends on the copy being a list",
        id="compared-with-lists",
    ),
    pytest.param(
        "class S:\n    def __repr__(self):\n        return f'S({list(self)!r})'\n",
        "shows the copy as a list",
        id="shown-as-a-list",
    ),
    pytest.param(
        "def f(self, tok):\n    children = self.render(tok)\n"
        "    tok['children'] = list(children)\n",
        "one-shot iterable whose items are stored",
        id="lazy-result-stored",
    ),
]


@pytest.mark.parametrize(("code", "reason"), NEEDED)
def test_needed_copies_are_dropped_with_their_reason(code: str, reason: str) -> None:
    assert candidates(code) == []
    (why,) = [why for _, why in copy_candidates.needed(code, "x.py")]
    assert reason in why


STILL_FLAGGED = [
    pytest.param(
        "def f(a):\n    b = a.split()\n    b = list(b)\n    keep(b)\n",
        ["list(b)"],
        id="rebound-copy-of-a-call-result-passed-on",
    ),
    pytest.param(
        "def f(xs, n):\n    return list(xs[:n])\n", ["list(xs[:n])"], id="copy-of-a-slice-returned"
    ),
    pytest.param(
        "def f(d):\n    out = []\n    for v in d.values():\n        out = list(d.items())\n"
        "    out.extend([1])\n    return len(out)\n",
        ["list(d.items())"],
        id="same-copy-on-every-pass",
    ),
    pytest.param(
        "def parts(p):\n    return tuple(p)\n\ndef f(self):\n    ps = list(self.ps)\n"
        "    return parts(ps)\n",
        ["list(self.ps)"],
        id="passed-to-a-visible-function-that-only-reads",
    ),
    pytest.param(
        "def f(node):\n    for c in node['classes'][:]:\n"
        "        if c in S:\n            print(c)\n",
        ["node['classes'][:]"],
        id="loop-that-calls-code",
    ),
]


@pytest.mark.parametrize(("code", "expected"), STILL_FLAGGED)
def test_true_copies_still_go_to_the_agent(code: str, expected: list[str]) -> None:
    assert candidates(code) == expected
