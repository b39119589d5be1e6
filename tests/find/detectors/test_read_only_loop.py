"""copy-before-read-only-loop: ``for k, v in list(d.items()):`` walks ``d.items()`` itself."""

from __future__ import annotations

import textwrap

import pytest

from bot.find.detectors import REGISTRY
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["copy-before-read-only-loop"]

# --- code the detector must leave alone ----------------------------------------------------


def in_loop(statement: str) -> str:
    """A loop over ``list(attrib.items())`` whose body is ``statement`` (4-space indents)."""
    body = textwrap.indent(statement, " " * 8)
    return f"def fix_ns(attrib, out):\n    for key, val in list(attrib.items()):\n{body}\n"


NOOP = [
    noop(f"body-may-change-it-{label}", in_loop(statement))
    for label, statement in [
        ("deleted", "del attrib[key]"),
        ("popped", "attrib.pop(key)"),
        ("stored", "attrib[key.lower()] = val"),
        ("unknown-function", "out[key] = convert(val)"),
        ("method-of-unknown", "out.append(key)"),
        ("attribute-store", "out.last = key"),
        ("print", "print(key)"),
        ("yield", "yield key"),
        ("walrus", "if (n := len(key)):\n    pass"),
        ("lambda", "key = sorted(val, key=lambda v: v.pop())"),
        ("while", "while key:\n    key = key[1:]"),
        ("raise-from-unknown", "raise ValueError from out.pop()"),
        (
            "handler-changes-it",
            "try:\n    val[0]\nexcept IndexError:\n    attrib.clear()",
        ),
        ("handler-binds-a-name", "try:\n    val[0]\nexcept IndexError as e:\n    pass"),
        ("handler-type-is-a-call", "try:\n    val[0]\nexcept errors():\n    pass"),
        ("finally-changes-it", "try:\n    val[0]\nfinally:\n    attrib.pop(key)"),
        ("str-method-of-unknown", "key = key.lower()"),
    ]
] + [
    noop(
        "augmented-counter-of-unknown-type",
        "def f(d, total):\n    for v in list(d.values()):\n        total += v\n    return total\n",
    ),
    noop(
        "fresh-local-is-what-is-walked",
        "def f():\n    d = {}\n    for k, v in list(d.items()):\n        d[k + 'x'] = v\n",
    ),
    noop(
        "fresh-local-handed-out-before-the-loop",
        """
        def f(self):
            out = {}
            self.cache = out
            for k, v in list(self.cache.items()):
                out[k + "x"] = v
        """,
    ),
    noop(
        "fresh-local-handed-out-later-in-an-outer-loop",
        """
        def f(self, rounds):
            out = {}
            for _ in rounds:
                for k, v in list(self.cache.items()):
                    out[k + "x"] = v
                self.cache = out
        """,
    ),
    noop(
        "raise-from-a-call",
        "def f(d):\n    for k in list(d.keys()):\n        raise KeyError from drop(d)\n",
    ),
    noop(
        "inside-try",
        "def f(d):\n    out = {}\n    try:\n        for k, v in list(d.items()):\n"
        "            out[k] = v\n    except KeyError:\n        pass\n    return out\n",
    ),
    noop(
        "inside-with",
        "def f(d, lock):\n    out = {}\n    with lock:\n        for k in list(d.keys()):\n"
        "            out[k] = 1\n    return out\n",
    ),
    noop(
        "generator-kept-for-later",
        "def f(d):\n    pairs = (k for k, v in list(d.items()))\n    d.clear()\n"
        "    return list(pairs)\n",
    ),
    noop(
        "generator-passed-to-unknown",
        "def f(d):\n    return consume(k for k, v in list(d.items()))\n",
    ),
    noop("bare-list-may-be-an-iterator", "def f(it):\n    for x in list(it):\n        pass\n"),
    noop("call-in-what-is-walked", "def f(o):\n    for x in o.get()[:]:\n        pass\n"),
    noop(
        "plain-local-left-to-copy-before-iteration",
        "def f():\n    xs = [1]\n    for x in xs[:]:\n        pass\n",
    ),
    noop(
        "target-is-global",
        "def f(d):\n    global k\n    for k in list(d.keys()):\n        pass\n",
    ),
    noop("module-level-loop", "D = {}\nfor k in list(D.keys()):\n    pass\n"),
    noop(
        "module-function-that-changes-a-global",
        """
        SEEN = {}

        def note(key):
            SEEN[key] = 1
            return key

        def f(attrib):
            out = {}
            for key in list(attrib.keys()):
                out[note(key)] = 1
            return out
        """,
    ),
    noop(
        "decorated-module-function",
        "@cache\ndef g(k):\n    return k\n\ndef f(d):\n    for k in list(d.keys()):\n"
        "        g(k)\n",
    ),
    noop(
        "shadowed-builtin",
        "def len(x):\n    x.clear()\n\ndef f(d):\n    for k in list(d.keys()):\n        len(d)\n",
    ),
    noop(
        "comment-inside",
        "def f(d):\n    for k in list(  # a snapshot\n            d.keys()):\n        pass\n",
    ),
    noop("sorted-copy-changes-order", "def f(d):\n    for k in sorted(d.keys()):\n        pass\n"),
    noop(
        "copy-kept-in-a-name",
        "def f(d):\n    ks = list(d.keys())\n    for k in ks:\n        pass\n",
    ),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source: str) -> None:
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "items-into-a-fresh-dict-through-a-module-function",
        """
        def add_ns(tag, nsdict=None):
            return tag

        def fix_ns(tag, attrib, nsdict):
            nsattrib = {}
            for key, val in list(attrib.items()):
                nskey = add_ns(key, nsdict)
                nsattrib[nskey] = val
            return nsattrib
        """,
        """
        def add_ns(tag, nsdict=None):
            return tag

        def fix_ns(tag, attrib, nsdict):
            nsattrib = {}
            for key, val in attrib.items():
                nskey = add_ns(key, nsdict)
                nsattrib[nskey] = val
            return nsattrib
        """,
    ),
    change(
        "generator-joined-at-once",
        """
        ATTRIB = {"a": "1"}

        def attrs():
            return ' '.join('%s="%s"' % (k, v) for k, v in list(ATTRIB.items()))
        """,
        """
        ATTRIB = {"a": "1"}

        def attrs():
            return ' '.join('%s="%s"' % (k, v) for k, v in ATTRIB.items())
        """,
    ),
    change(
        "slice-of-an-item-with-an-early-return",
        """
        class T:
            def check(self, node):
                for value in node['classes'][:]:
                    if value in self.strip:
                        return True
                return False
        """,
        """
        class T:
            def check(self, node):
                for value in node['classes']:
                    if value in self.strip:
                        return True
                return False
        """,
    ),
    change(
        "tuple-of-keys-into-a-fresh-list-with-str-methods",
        """
        def names(self):
            out = []
            for key in tuple(self.fields.keys()):
                label = str(key)
                if label.startswith('_'):
                    continue
                out.append(label.upper())
            return out
        """,
        """
        def names(self):
            out = []
            for key in self.fields.keys():
                label = str(key)
                if label.startswith('_'):
                    continue
                out.append(label.upper())
            return out
        """,
    ),
    change(
        "lookup-errors-caught-inside-the-body",
        """
        def markers(fields, lookup):
            found = []
            for key, value in list(fields.items()):
                try:
                    marker = lookup[key]
                except (KeyError, TypeError):
                    continue
                else:
                    found.append((marker, value))
            return found
        """,
        """
        def markers(fields, lookup):
            found = []
            for key, value in fields.items():
                try:
                    marker = lookup[key]
                except (KeyError, TypeError):
                    continue
                else:
                    found.append((marker, value))
            return found
        """,
    ),
    change(
        "list-comprehension-of-values",
        "def f(d):\n    return [len(v) for v in list(d.values()) if v]\n",
        "def f(d):\n    return [len(v) for v in d.values() if v]\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before: str, after: str) -> None:
    assert fix_all(detector, before) == after


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_the_fixed_code_compiles_and_is_not_matched_again(before: str, after: str) -> None:
    compile(before, "before.py", "exec")
    compile(after, "after.py", "exec")
    assert detector.detect(after, "m.py") == []


def test_the_rewrite_keeps_what_the_loop_sees() -> None:
    """Run the audited fix_ns before and after: the same result from the same dict."""
    before, after = BEFORE_AFTER[0].values
    results = []
    for code in (before, after):
        namespace: dict[str, object] = {}
        exec(compile(code, "m.py", "exec"), namespace)
        fix_ns = namespace["fix_ns"]
        assert callable(fix_ns)
        results.append(fix_ns("t", {"b": 2, "a": 1}, None))
    assert results[0] == results[1] == {"b": 2, "a": 1}
    assert list(results[1]) == ["b", "a"]
