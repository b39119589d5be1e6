from __future__ import annotations

import textwrap

import pytest

from bot.find.detectors import REGISTRY
from bot.find.detectors.base import Positions, parse
from bot.model import apply_edits


def fix_all(detector_name: str, source: str) -> str:
    """Apply the first match's edits, detect again, until nothing matches (like the night)."""
    detector = REGISTRY[detector_name]
    for _ in range(20):
        matches = detector.detect(source, "m.py")
        if not matches:
            return source
        source = apply_edits(source, matches[0].edits)
    raise AssertionError("detector did not converge")


def case(id_: str, before: str, after: str | None = None):
    before = textwrap.dedent(before)
    return pytest.param(before, textwrap.dedent(after) if after else None, id=id_)


# --- list-concat-in-loop -------------------------------------------------------------------

CONCAT_FIXED = [
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
CONCAT_UNCHANGED = [
    case("not-in-a-loop", "def f(a):\n    out = []\n    out = out + [a]\n    return out\n"),
    case("module-level", "out = []\nfor i in range(3):\n    out = out + [i]\n"),
    case(
        "in-for-else-not-body",
        "def f(xs):\n    out = []\n    for x in xs:\n        pass\n    else:\n"
        "        out = out + [1]\n    return out\n",
    ),
    case(
        "parameter", "def f(out, xs):\n    for x in xs:\n        out = out + [x]\n    return out\n"
    ),
    case(
        "global",
        "out = []\ndef f(xs):\n    global out\n    for x in xs:\n        out = out + [x]\n",
    ),
    case(
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
    case(
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
    case(
        "passed-to-a-call",
        """
        def f(xs, register):
            out = []
            register(out)
            for x in xs:
                out = out + [x]
        """,
    ),
    case(
        "stored-in-a-dict",
        """
        def f(xs, d):
            out = []
            d["k"] = out
            for x in xs:
                out = out + [x]
        """,
    ),
    case(
        "appended-to-another-list",
        """
        def f(xs, lst):
            out = []
            for x in xs:
                lst.append(out)
                out = out + [x]
        """,
    ),
    case(
        "yielded",
        """
        def f(xs):
            out = []
            for x in xs:
                yield out
                out = out + [x]
        """,
    ),
    case(
        "iterating-over-itself",
        """
        def f():
            out = [1, 2]
            for x in out:
                out = out + [x]
            return out
        """,
    ),
    case(
        "loop-iterable-mentions-it",
        """
        def f():
            out = [1, 2]
            for i in range(len(out)):
                out = out + [i]
            return out
        """,
    ),
    case(
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
    case(
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
    case(
        "read-in-a-comprehension",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x]
            return [o for o in out]
        """,
    ),
    case(
        "bound-to-an-argument",
        """
        def f(xs, start):
            out = start
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    case(
        "bound-to-a-call-result",
        """
        def f(xs, make):
            out = make()
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    case(
        "bound-by-unpacking",
        """
        def f(xs, pair):
            out, other = pair
            for x in xs:
                out = out + [x]
            return out
        """,
    ),
    case(
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
    case(
        "bound-by-with",
        """
        def f(xs, cm):
            with cm as out:
                for x in xs:
                    out = out + [x]
            return out
        """,
    ),
    case(
        "bound-by-walrus",
        """
        def f(xs):
            if (out := []) is not None:
                for x in xs:
                    out = out + [x]
            return out
        """,
    ),
    case(
        "deleted",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x]
            del out
        """,
    ),
    case(
        "item-is-the-list-itself",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [out]
            return out
        """,
    ),
    case(
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
    case(
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
    case(
        "parenthesised-value",
        """
        def f(xs):
            out = []
            for x in xs:
                out = (out + [x])
            return out
        """,
    ),
    case(
        "two-concatenations",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x] + [x]
            return out
        """,
    ),
    case(
        "prepend",
        """
        def f(xs):
            out = []
            for x in xs:
                out = [x] + out
            return out
        """,
    ),
    case(
        "empty-list",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + []
            return out
        """,
    ),
    case(
        "locals-called",
        """
        def f(xs):
            out = []
            for x in xs:
                out = out + [x]
            return locals()
        """,
    ),
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case("syntax-error", "def f(:\n    out = out + [1]\n"),
    case(
        "form-feed-in-file",
        "\x0c\ndef f(xs):\n    out = []\n    for x in xs:\n        out = out + [x]\n"
        "    return out\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), CONCAT_FIXED)
def test_list_concat_in_loop_fixes(before, after):
    assert fix_all("list-concat-in-loop", before) == after


@pytest.mark.parametrize(("source", "_"), CONCAT_UNCHANGED)
def test_list_concat_in_loop_leaves_alone(source, _):
    assert REGISTRY["list-concat-in-loop"].detect(source, "m.py") == []


# --- copy-before-iteration -----------------------------------------------------------------

COPY_FIXED = [
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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
    case(
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

COPY_UNCHANGED = [
    case(
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
    case(
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
    case("parameter", "def f(xs):\n    for x in xs.copy():\n        print(x)\n"),
    case("never-bound-here", "XS = [1]\ndef f():\n    for x in XS.copy():\n        print(x)\n"),
    case(
        "global",
        "xs = [1]\ndef f():\n    global xs\n    xs = [2]\n"
        "    for x in xs.copy():\n        print(x)\n",
    ),
    case("set", "def f():\n    xs = {1, 2}\n    for x in xs.copy():\n        print(x)\n"),
    case(
        "set-comprehension",
        "def f(ws):\n    xs = {w for w in ws}\n    for x in xs.copy():\n        print(x)\n",
    ),
    case(
        "frozenset",
        "def f(ws):\n    xs = frozenset(ws)\n    for x in copy.copy(xs):\n        pass\n",
    ),
    case(
        "aliased",
        """
        def f():
            xs = [1]
            ys = xs
            for x in xs.copy():
                ys.append(x)
        """,
    ),
    case(
        "escapes-through-call",
        """
        def f(register):
            xs = [1]
            register(xs)
            for x in xs.copy():
                print(x)
        """,
    ),
    case(
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
    case(
        "captured-by-closure",
        """
        def f(callbacks):
            xs = [1]
            callbacks.append(lambda: xs.append(2))
            for x in xs.copy():
                callbacks[0]()
        """,
    ),
    case(
        "yielded",
        """
        def f():
            xs = [1]
            yield xs
            for x in xs.copy():
                print(x)
        """,
    ),
    case(
        "bound-to-a-call-result",
        "def f(load):\n    xs = load()\n    for x in xs.copy():\n        print(x)\n",
    ),
    case(
        "augmented-before-loop",
        "def f(a):\n    xs = []\n    xs += a\n    for x in xs[:]:\n        print(x)\n",
    ),
    case(
        "tuple-copy-method-raises",
        "def f():\n    xs = (1,)\n    for x in xs.copy():\n        pass\n",
    ),
    case("dict-slice-raises", "def f():\n    xs = {}\n    for x in xs[:]:\n        pass\n"),
    case("partial-slice", "def f():\n    xs = [1]\n    for x in xs[1:]:\n        pass\n"),
    case("reversed-slice", "def f():\n    xs = [1]\n    for x in xs[::-1]:\n        pass\n"),
    case(
        "deepcopy",
        "import copy\ndef f():\n    xs = [[1]]\n"
        "    for x in copy.deepcopy(xs):\n        x.append(2)\n",
    ),
    case(
        "copy-module-rebound-locally",
        "import copy\ndef f(copy):\n    xs = [1]\n    for x in copy.copy(xs):\n        pass\n",
    ),
    case(
        "copy-function-not-the-module",
        "from x import copy\ndef f():\n    xs = [1]\n    for x in copy.copy(xs):\n        pass\n",
    ),
    case(
        "copy-module-not-imported",
        "def f():\n    xs = [1]\n    for x in copy.copy(xs):\n        pass\n",
    ),
    case(
        "comment-inside-the-copy",
        "def f():\n    xs = [1]\n    for x in xs.copy(  # keep\n    ):\n        pass\n",
    ),
    case(
        "list-call-left-to-ruff", "def f():\n    xs = [1]\n    for x in list(xs):\n        pass\n"
    ),
    case(
        "loop-target-writes-it",
        "def f():\n    xs = [1, 2]\n    for xs[0] in xs.copy():\n        pass\n",
    ),
    case(
        "comprehension-not-a-for-statement",
        "def f():\n    xs = [1]\n    return [x for x in xs.copy()]\n",
    ),
    case(
        "locals-called",
        "def f():\n    xs = [1]\n    for x in xs.copy():\n        print(locals())\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), COPY_FIXED)
def test_copy_before_iteration_fixes(before, after):
    assert fix_all("copy-before-iteration", before) == after


@pytest.mark.parametrize(("source", "_"), COPY_UNCHANGED)
def test_copy_before_iteration_leaves_alone(source, _):
    assert REGISTRY["copy-before-iteration"].detect(source, "m.py") == []


# --- shared behaviour ----------------------------------------------------------------------


def test_match_columns_are_characters_not_bytes():
    source = 'def f():\n    xs = ["é"]\n    for x in xs.copy(): print("ü", x)\n'
    (match,) = REGISTRY["copy-before-iteration"].detect(source, "m.py")
    line = source.splitlines()[2]
    assert (match.start_line, match.start_col) == (3, line.index("xs.copy()") + 1)
    assert match.end_col == line.index("xs.copy()") + len("xs.copy()") + 1
    assert match.edits[0].content == "xs"
    assert "xs" in match.message and match.fix_title


def test_byte_offsets_become_character_columns():
    positions = Positions('s = "€€"; t = 1\n')
    assert positions.column(1, len('s = "€€"; '.encode())) == len('s = "€€"; ') + 1


def test_byte_order_mark_is_not_counted_like_in_ruff():
    source = "\ufeffdef f():\n    xs = [1]\n    for x in xs.copy():\n        pass\n"
    (match,) = REGISTRY["copy-before-iteration"].detect(source, "m.py")
    assert apply_edits(source.removeprefix("\ufeff"), match.edits).endswith(
        "for x in xs:\n        pass\n"
    )
    assert Positions("\ufeffx = 1\n").column(1, 4) == 5


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_line_endings_are_kept(newline):
    lines = ["def f(xs):", "    out = []", "    for x in xs:", "        out = out + [x]", ""]
    source = newline.join(lines)
    expected = newline.join([*lines[:3], "        out.append(x)", ""])
    assert fix_all("list-concat-in-loop", source) == expected


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def f(:\n", id="syntax-error"),
        pytest.param("x = 1\0\n", id="null-byte"),
        pytest.param("x = 1\x0c\n", id="form-feed"),
        pytest.param("(" * 1000 + ")" * 1000 + "\n", id="deeply-nested"),
    ],
)
def test_unparsable_source_gives_no_tree(source):
    assert parse(source) is None


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registry_entries_are_complete(name):
    detector = REGISTRY[name]
    assert detector.name == name
    assert detector.summary
    assert detector.detect("def f(:\n", "m.py") == []
