"""Why a rule's change is worth a PR: one short explanation per ruff rule and detector. Pure.

The PR body and the commit message say why *this* change is an improvement with the
explanation of the finding's rule: why the code it removes is unnecessary, and what it costs
(per call, per loop pass, quadratic). Ruff rules have theirs in ``RUFF``; a detector carries
its own as a module-level ``explanation`` (its one-line ``summary`` when it has none). A rule
without either (one a repository's own recipe selects, an agent's finding) has no
explanation, and its recipe's description says why instead (``bot.publish.messages.why``).
"""

from __future__ import annotations

# Every rule a built-in recipe selects has one (tests/recipes/test_explanations.py); a
# repository recipe's other rules fall back to that recipe's description.
RUFF: dict[str, str] = {
    # --- unnecessary-copies ----------------------------------------------------------------
    "C405": (
        "`set([a, b])` builds a list only to copy its items into a new set and throw the "
        "list away; the set display `{a, b}` builds the set directly. Cost: one extra list, "
        "and a pass over it, each time the line runs."
    ),
    "C409": (
        "`tuple([a, b])` builds a list only to copy its items into a new tuple and throw the "
        "list away; the tuple display `(a, b)` builds the tuple directly. Cost: one extra "
        "list, and a pass over it, each time the line runs."
    ),
    "C410": (
        "`list([a, b])` copies a list display, which is already a new list nobody else holds: "
        "the outer `list()` makes a second list of the same items and drops the first. Cost: "
        "one extra list each time the line runs."
    ),
    "C411": (
        "A list comprehension already returns a new list; wrapping it in `list()` copies all "
        "of it again and drops the first. Cost: a second list as long as the result each "
        "time the line runs (on every pass, inside a loop)."
    ),
    "C414": (
        "The outer call (`sorted()`, `set()`, `tuple()`, `list()`, ...) reads any iterable by "
        "itself, so the inner `list()`, `tuple()` or `sorted()` only makes a whole copy for it "
        "to read once and drop (`set(sorted(x))` even sorts for a set, which has no order). "
        "Cost: one extra copy of the collection (or a sort) per call."
    ),
    "C418": (
        "`dict({...})` copies a dict display, which is already a new dict nobody else holds: "
        "the outer `dict()` makes a second dict of the same items and drops the first. Cost: "
        "one extra dict each time the line runs."
    ),
    "C419": (
        "`any([...])` and `all([...])` build the whole list of results before looking at the "
        "first one; given a generator, `any()` stops at the first true item and `all()` at the "
        "first false one. Cost: every item computed and stored even when the first one "
        "decides, per call."
    ),
    "PERF101": (
        "`for x in list(xs):` copies `xs` only to loop over the copy, and ruff saw that the "
        "loop does not change `xs` (it is a list, tuple or set), so the loop can walk `xs` "
        "itself, in the same order. Cost: a copy as long as the collection each time the loop "
        "starts."
    ),
    "FURB129": (
        "`f.readlines()` reads the whole file into a list of lines before the loop's first "
        "pass; looping over the file object itself reads one line at a time and yields the "
        "same lines. Cost: the whole file in memory, as a list, each time the loop runs."
    ),
    # --- unused-imports --------------------------------------------------------------------
    "F401": (
        "The module imports a name it never uses. An unused import costs start-up time (the "
        "imported module is loaded, and its code run, when this one is first imported), can "
        "pull in a dependency for nothing, and sends readers looking for a use that is not "
        "there."
    ),
    # --- modern-syntax ---------------------------------------------------------------------
    "UP001": (
        "`__metaclass__ = type` in a class body only did something in Python 2 (it made the "
        "class new-style); Python 3 ignores the attribute, and every class has `type` as its "
        "metaclass already. The line is dead code."
    ),
    "UP003": (
        '`type("")` (or `type(0)`, ...) makes a value only to ask for its type, which is the '
        "built-in `str` (or `int`, ...); naming the type says the same directly, without "
        "the detour on every call."
    ),
    "UP004": (
        "Naming `object` as a base mattered only in Python 2; in Python 3 every class derives "
        "from `object`, so `class A:` is the very same class as `class A(object):`."
    ),
    "UP005": (
        "`assertEquals`, `assertNotEquals`, `assert_`, `failUnless` and the like are "
        "deprecated aliases of `unittest` methods, removed in Python 3.12, where a test that "
        "calls one fails with `AttributeError`. The current names do exactly the same."
    ),
    "UP008": (
        "`super(A, self)` repeats the class and instance that Python 3 passes to `super()` by "
        "itself; the arguments only go stale when the class is renamed or the method moved. "
        "`super()` finds the same method."
    ),
    "UP009": (
        "A `# -*- coding: utf-8 -*-` comment declares the default: Python 3 reads source "
        "files as UTF-8 unless told otherwise, so the line changes nothing."
    ),
    "UP010": (
        "`from __future__ import print_function` (and `absolute_import`, `division`, "
        "`unicode_literals`, `with_statement`, `generators`, `nested_scopes`) switches on "
        "behaviour every Python 3 has on already: the import does nothing."
    ),
    "UP012": (
        '`"text".encode("utf-8")` encodes an ASCII literal each time the line runs; the bytes '
        'literal `b"text"` is the same value, made once when the module is compiled.'
    ),
    "UP018": (
        '`str("x")` (or `int(1)`, `float(1.0)`, `bool(True)`, ...) converts a literal to the '
        "type it already has: a call for nothing each time the line runs."
    ),
    "UP021": (
        "`universal_newlines=` is the old name of `subprocess`'s `text=` argument (Python "
        "3.7 and later): the two mean the same, and `text=` says what it does."
    ),
    "UP023": (
        "`xml.etree.cElementTree` was removed in Python 3.9, where importing it fails; since "
        "Python 3.3 `xml.etree.ElementTree` uses the same C implementation by itself."
    ),
    "UP024": (
        "`IOError`, `EnvironmentError`, `WindowsError`, `socket.error` and `select.error` are "
        "aliases of `OSError` since Python 3.3: the same class under older names, so "
        "`except OSError` catches exactly what the list of aliases did."
    ),
    "UP025": (
        "The `u` prefix only mattered in Python 2; in Python 3 every string is Unicode and "
        '`u"x"` is the same string as `"x"`.'
    ),
    "UP050": (
        "`metaclass=type` names the metaclass every class has anyway: the keyword does nothing."
    ),
}


def explanation(rule: str) -> str | None:
    """The explanation of a finding's ``rule`` (``ruff:C414``, ``nightcrew:<detector>``), if any.

    A detector's is its module's ``explanation``, else its ``summary``; other rules (an
    agent's, ``agent:<recipe>``) and unknown ones have none.
    """
    kind, _, name = rule.partition(":")
    if kind == "ruff":
        return RUFF.get(name)
    if kind == "nightcrew":
        from bot.find.detectors import REGISTRY  # lazily: detectors pull in their own imports

        detector = REGISTRY.get(name)
        if detector is None:
            return None
        text = getattr(detector, "explanation", None) or detector.summary
        return " ".join(text.split()) or None
    return None
