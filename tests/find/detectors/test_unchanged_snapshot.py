"""unchanged-snapshot: ``self.x = saved.copy()`` hands over a snapshot nothing else can see."""

from __future__ import annotations

import pytest

from bot.find.detectors import REGISTRY, unchanged_snapshot
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["unchanged-snapshot"]

# --- code the detector must leave alone ----------------------------------------------------

NOOP = (
    [
        noop(
            f"used-after-restore-{label}",
            f"""
        class Parser:
            def run(self):
                saved = self.opts.copy()
                self.step()
                self.opts = saved.copy()
                {statement}
        """,
        )
        for label, statement in [
            ("read", "print(len(saved))"),
            ("mutated", "saved.clear()"),
            ("returned", "return saved"),
        ]
    ]
    + [
        noop(
            f"escapes-before-restore-{label}",
            f"""
        class Parser:
            def run(self):
                saved = self.opts.copy()
                {statement}
                self.opts = saved.copy()
        """,
        )
        for label, statement in [
            ("aliased", "backup = saved"),
            ("passed-on", "self.log(saved)"),
            ("stored", "self.history.append(saved)"),
            ("yielded", "yield saved"),
            ("captured", "self.undo = lambda: saved"),
            ("in-comprehension", "print([k for k in saved])"),
        ]
    ]
    + [
        noop(
            "same-statement-reads-it-twice",
            """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                self.opts, self.old = saved.copy(), saved
        """,
        ),
        noop(
            "snapshot-of-a-parameter",
            """
        class Parser:
            def run(self, saved):
                self.opts = saved.copy()
        """,
        ),
        noop(
            "snapshot-not-a-copy",
            """
        class Parser:
            def run(self):
                saved = self.opts
                self.opts = saved.copy()
        """,
        ),
        noop(
            "snapshot-by-slice-may-be-a-view",
            """
        class Grid:
            def run(self):
                saved = self.cells[:]
                self.cells = saved[:]
        """,
        ),
        noop(
            "snapshot-bound-twice",
            """
        class Parser:
            def run(self, fresh):
                saved = self.opts.copy()
                if fresh:
                    saved = {}
                self.opts = saved.copy()
        """,
        ),
        noop(
            "restore-in-a-loop-snapshot-before-it",
            """
        class Parser:
            def run(self, rounds):
                saved = self.opts.copy()
                for _ in range(rounds):
                    self.step()
                    self.opts = saved.copy()
        """,
        ),
        noop(
            "restore-in-a-loop-snapshot-only-sometimes",
            """
        class Parser:
            def run(self, rounds):
                for i in rounds:
                    if i:
                        saved = self.opts.copy()
                    self.step()
                    self.opts = saved.copy()
        """,
        ),
        noop(
            "restore-in-a-loop-read-before-the-snapshot",
            """
        class Parser:
            def run(self, rounds):
                for i in rounds:
                    if i:
                        print(len(saved))
                    saved = self.opts.copy()
                    self.opts = saved.copy()
        """,
        ),
        noop(
            "restore-in-a-loop-over-the-snapshot",
            """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                for key in saved:
                    self.opts = saved.copy()
        """,
        ),
        noop(
            "restore-read-in-except-after",
            """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                try:
                    self.opts = saved.copy()
                except MemoryError:
                    print(len(saved))
        """,
        ),
        noop(
            "list-of-a-dict-copy",
            """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                self.keys = list(saved)
        """,
        ),
        noop(
            "copy-after-deepcopy-may-change-type",
            """
        import copy


        class Parser:
            def run(self):
                saved = copy.deepcopy(self.opts)
                self.opts = saved.copy()
        """,
        ),
        noop(
            "slice-of-a-dict",
            """
        class Parser:
            def run(self, pairs):
                saved = dict(pairs)
                self.opts = saved[:]
        """,
        ),
        noop(
            "copy-module-shadowed",
            """
        from mylib import copy


        class Parser:
            def run(self):
                saved = self.opts.copy()
                self.opts = copy.copy(saved)
        """,
        ),
        noop(
            "locals-called",
            """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                print(locals())
                self.opts = saved.copy()
        """,
        ),
        noop(
            "loop-over-a-copy-is-copy-before-iterations",
            """
        def show(rows):
            pending = [r for r in rows if r.empty]
            for row in pending.copy():
                print(row)
        """,
        ),
        noop(
            "restore-in-a-while-test",
            """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                while self.step(saved.copy()):
                    pass
        """,
        ),
        noop(
            "module-level",
            """
        OPTS = {"a": 1}
        saved = OPTS.copy()
        OPTS = saved.copy()
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
        "restored-twice-only-the-last-copy-goes",
        """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                self.step()
                self.opts = saved.copy()
                self.defaults = saved.copy()
        """,
        """
        class Parser:
            def run(self):
                saved = self.opts.copy()
                self.step()
                self.opts = saved.copy()
                self.defaults = saved
        """,
    ),
    change(
        "save-and-restore",
        """
        class Parser:
            def nested(self, text):
                saved = self.opts.copy()
                self.opts["inline"] = True
                try:
                    return self.parse(text)
                finally:
                    self.opts = saved.copy()
        """,
        """
        class Parser:
            def nested(self, text):
                saved = self.opts.copy()
                self.opts["inline"] = True
                try:
                    return self.parse(text)
                finally:
                    self.opts = saved
        """,
    ),
    change(
        "snapshot-read-and-changed-in-between",
        """
        class Parser:
            def nested(self, key):
                state = self.state.copy()
                state[key] = len(state)
                if key in state and state.get("x"):
                    self.run(state["x"])
                self.state = state.copy()
        """,
        """
        class Parser:
            def nested(self, key):
                state = self.state.copy()
                state[key] = len(state)
                if key in state and state.get("x"):
                    self.run(state["x"])
                self.state = state
        """,
    ),
    change(
        "copy-module-and-list",
        """
        import copy


        def reset(stack, rows):
            saved = list(rows)
            stack.clear()
            stack.extend(copy.copy(saved))
        """,
        """
        import copy


        def reset(stack, rows):
            saved = list(rows)
            stack.clear()
            stack.extend(saved)
        """,
    ),
    change(
        "list-of-a-list",
        """
        class Walker:
            def walk(self, nodes):
                path = [n.name for n in nodes]
                self.visit()
                self.path = list(path)
        """,
        """
        class Walker:
            def walk(self, nodes):
                path = [n.name for n in nodes]
                self.visit()
                self.path = path
        """,
    ),
    change(
        "restore-in-a-loop-after-a-fresh-snapshot",
        """
        class Parser:
            def each(self, items):
                for item in items:
                    saved = self.opts.copy()
                    self.apply(item)
                    if item.undo:
                        self.opts = saved.copy()
        """,
        """
        class Parser:
            def each(self, items):
                for item in items:
                    saved = self.opts.copy()
                    self.apply(item)
                    if item.undo:
                        self.opts = saved
        """,
    ),
    change(
        "returned-copy-of-a-snapshot",
        """
        class Parser:
            def settings(self):
                saved = self.opts.copy()
                self.opts.clear()
                return saved.copy()
        """,
        """
        class Parser:
            def settings(self):
                saved = self.opts.copy()
                self.opts.clear()
                return saved
        """,
    ),
    change(
        "copy-of-a-local-not-used-again-may-change",
        """
        def with_default(rows):
            xs = [r.name for r in rows]
            ys = list(xs)
            ys.append(None)
            return ys
        """,
        """
        def with_default(rows):
            xs = [r.name for r in rows]
            ys = xs
            ys.append(None)
            return ys
        """,
    ),
    change(
        "restore-in-a-for-loops-iterable-runs-once",
        """
        def f(rows):
            saved = list(rows)
            for row in sorted(saved.copy()):
                print(row)
        """,
        """
        def f(rows):
            saved = list(rows)
            for row in sorted(saved):
                print(row)
        """,
    ),
    change(
        "set-restore",
        """
        class Scope:
            def enter(self, names):
                seen = set(self.names)
                self.names.update(names)
                self.leave()
                self.names = set(seen)
        """,
        """
        class Scope:
            def enter(self, names):
                seen = set(self.names)
                self.names.update(names)
                self.leave()
                self.names = seen
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after


def test_explanation():
    assert unchanged_snapshot.explanation.endswith(".")


SAVE_RESTORE = """
class Parser:
    def __init__(self):
        self.opts = {"depth": 0}

    def nested(self, n):
        saved = self.opts.copy()
        self.opts["depth"] += n
        try:
            return dict(self.opts)
        finally:
            self.opts = saved.copy()
"""


def test_the_fixed_code_behaves_the_same():
    after = fix_all(detector, SAVE_RESTORE)
    assert after != SAVE_RESTORE
    results = []
    for source in (SAVE_RESTORE, after):
        namespace: dict[str, object] = {}
        exec(compile(source, "m.py", "exec"), namespace)
        parser_class = namespace["Parser"]
        assert callable(parser_class)
        parser = parser_class()
        seen = [parser.nested(1), parser.nested(2)]
        parser.opts["depth"] = 7
        results.append((seen, parser.opts, parser.nested(1), parser.opts))
    assert results[0] == results[1]
