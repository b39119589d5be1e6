"""unmutated-local-copy: ``ys = list(xs)`` of a local list that neither name changes."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY, unmutated_local_copy
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["unmutated-local-copy"]

# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    noop(
        f"changed-afterwards-{label}",
        f"""
        def f(rows):
            xs = [r.name for r in rows]
            ys = list(xs)
            {statement}
            print(len(xs), len(ys))
        """,
    )
    for label, statement in [
        ("copy-appended", "ys.append(1)"),
        ("original-appended", "xs.append(1)"),
        ("copy-sorted", "ys.sort()"),
        ("original-item-set", "xs[0] = 1"),
        ("copy-item-deleted", "del ys[0]"),
        ("original-extended", "xs += [1]"),
        ("copy-rebound", "ys = []"),
        ("copy-returned", "return ys"),
        ("original-returned", "return xs"),
        ("copy-passed-on", "print(ys)"),
        ("original-aliased", "zs = xs"),
        ("identity-compared", "assert ys is not xs"),
        ("equality-compared", "assert ys == xs"),
        ("copy-yielded", "yield ys"),
        ("copy-stored", "rows.append(ys)"),
        ("copy-in-comprehension", "print([y for y in ys])"),
        ("copy-in-lambda", "rows.sort(key=lambda r: r in ys)"),
    ]
] + [
    noop(
        "removal-while-iterating-the-copy",
        """
        def prune(rows):
            xs = [r for r in rows if r]
            ys = xs[:]
            for y in ys:
                if y.stale:
                    xs.remove(y)
            return len(xs)
        """,
    ),
    noop(
        "changed-on-the-next-pass",
        """
        def f(rows):
            xs = []
            for r in rows:
                ys = list(xs)
                print(len(ys))
                xs.append(r)
        """,
    ),
    noop(
        "changed-on-the-next-pass-before-the-copy",
        """
        def f(rows):
            xs = [0]
            for r in rows:
                xs.append(r)
                if r > 1:
                    print(len(ys))
                ys = list(xs)
        """,
    ),
    noop(
        "original-escaped-before-the-copy",
        """
        def f(registry):
            xs = [1, 2]
            registry.add(xs)
            ys = xs.copy()
            registry.flush()
            print(len(ys))
        """,
    ),
    noop(
        "original-is-a-parameter",
        """
        def f(xs):
            ys = list(xs)
            return len(ys)
        """,
    ),
    noop(
        "original-is-a-call-result",
        """
        def f(load):
            xs = load()
            ys = list(xs)
            return len(ys)
        """,
    ),
    noop(
        "original-is-a-generator",
        """
        def f(rows):
            xs = (r for r in rows)
            ys = list(xs)
            return len(ys), len(ys)
        """,
    ),
    noop(
        "list-of-a-tuple",
        """
        def f(a, b):
            xs = (a, b)
            ys = list(xs)
            return len(ys)
        """,
    ),
    noop(
        "list-of-a-dict",
        """
        def f(pairs):
            xs = dict(pairs)
            ys = list(xs)
            return len(ys)
        """,
    ),
    noop(
        "dict-of-a-list",
        """
        def f(pairs):
            xs = list(pairs)
            ys = dict(xs)
            return len(ys)
        """,
    ),
    noop(
        "copy-of-a-set",
        """
        def f(words):
            xs = set(words)
            ys = xs.copy()
            for y in ys:
                print(y)
        """,
    ),
    noop(
        "original-global",
        """
        XS = [1]


        def f():
            ys = list(XS)
            return len(ys)
        """,
    ),
    noop(
        "copy-restored-as-a-snapshot",
        """
        class C:
            def f(self):
                xs = [1, 2]
                saved = xs.copy()
                self.items = saved.copy()
                self.mutate()
                return len(xs)
        """,
    ),
    noop(
        "list-shadowed",
        """
        from mylib import list


        def f():
            xs = [1]
            ys = list(xs)
            return len(ys)
        """,
    ),
    noop(
        "original-not-used-again-is-unchanged-snapshots",
        """
        def f():
            xs = [1, 2]
            ys = list(xs)
            ys.append(3)
            return ys
        """,
    ),
    noop(
        "comment-in-the-copy",
        """
        def f():
            xs = [1]
            ys = list(  # a copy
                xs
            )
            print(len(ys))
        """,
    ),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "list-copy-only-read",
        """
        def summary(rows):
            names = [r.name for r in rows]
            names.sort()
            ordered = list(names)
            if ordered and "x" in ordered:
                return ordered[0], len(names), sorted(ordered)
            return None
        """,
        """
        def summary(rows):
            names = [r.name for r in rows]
            names.sort()
            ordered = names
            if ordered and "x" in ordered:
                return ordered[0], len(names), sorted(ordered)
            return None
        """,
    ),
    change(
        "dict-copy-only-read",
        """
        def lookup(pairs, key):
            table = {k: v for k, v in pairs}
            view = dict(table)
            for k in view.keys():
                print(k, view.get(k), table[k])
        """,
        """
        def lookup(pairs, key):
            table = {k: v for k, v in pairs}
            view = table
            for k in view.keys():
                print(k, view.get(k), table[k])
        """,
    ),
    change(
        "slice-and-method-copies",
        """
        def report(rows):
            xs = []
            for r in rows:
                xs.append(r)
            a = xs[:]
            print(len(a), a.count(1), max(a), xs[-1])
        """,
        """
        def report(rows):
            xs = []
            for r in rows:
                xs.append(r)
            a = xs
            print(len(a), a.count(1), max(a), xs[-1])
        """,
    ),
    change(
        "copy-module",
        """
        import copy


        def f():
            xs = [1, 2]
            ys = copy.copy(xs)
            print(len(ys), len(xs))
        """,
        """
        import copy


        def f():
            xs = [1, 2]
            ys = xs
            print(len(ys), len(xs))
        """,
    ),
    change(
        "original-rebound-afterwards",
        """
        def f(rows):
            xs = [1, 2]
            ys = list(xs)
            xs = [3]
            print(len(ys), len(xs))
        """,
        """
        def f(rows):
            xs = [1, 2]
            ys = xs
            xs = [3]
            print(len(ys), len(xs))
        """,
    ),
    change(
        "inside-a-loop-fresh-each-pass",
        """
        def f(rows):
            for r in rows:
                xs = [r.a, r.b]
                ys = list(xs)
                print(len(ys), xs[0])
        """,
        """
        def f(rows):
            for r in rows:
                xs = [r.a, r.b]
                ys = xs
                print(len(ys), xs[0])
        """,
    ),
    change(
        "original-returned-before-the-copy",
        """
        def f(flag):
            xs = [1, 2]
            if flag:
                return xs
            ys = list(xs)
            print(len(ys), xs.index(2))
        """,
        """
        def f(flag):
            xs = [1, 2]
            if flag:
                return xs
            ys = xs
            print(len(ys), xs.index(2))
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after


def test_explanation():
    assert "every call" in unmutated_local_copy.explanation


SHARED = """
def summary(rows):
    names = [r for r in rows if r]
    names.sort()
    ordered = list(names)
    if ordered and "b" in ordered:
        return ordered[0], len(names), sorted(ordered, reverse=True)
    return None
"""


def test_the_fixed_code_behaves_the_same():
    after = fix_all(detector, SHARED)
    assert after != SHARED
    results = []
    for source in (SHARED, after):
        namespace: dict[str, object] = {}
        exec(compile(source, "m.py", "exec"), namespace)
        summary = namespace["summary"]
        assert callable(summary)
        results.append([summary(rows) for rows in ([], ["a"], ["c", "", "b", "a"])])
    assert results[0] == results[1]
