"""facts: which built-in type an expression surely has, and which binding reaches a read."""

from __future__ import annotations

import ast
import textwrap

import pytest

from bot.find.detectors import facts, reading, scope


def kind_of_last_return(code: str) -> str | None:
    """The kind of the value of the function's last ``return``."""
    tree = ast.parse(textwrap.dedent(code))
    info = scope.ModuleInfo(tree)
    func = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    returned = [n for n in ast.walk(func) if isinstance(n, ast.Return)][-1]
    assert returned.value is not None
    return facts.kind(returned.value, func, info)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("def f():\n    return 'a'.lower().split()\n", "list", id="str-chain-split"),
        pytest.param("def f(x):\n    return x.split()\n", None, id="split-of-unknown"),
        pytest.param("def f(x):\n    return sorted(x)[1:]\n", "list", id="slice-of-list"),
        pytest.param("def f(x):\n    return x[1:]\n", "sequence", id="slice-of-unknown"),
        pytest.param("def f(x):\n    return frozenset(x).copy()\n", "frozenset", id="frozenset"),
        pytest.param(
            "def f(x):\n    a = set(x)\n    b = frozenset(x)\n    return a | b\n",
            None,
            id="set-or-frozenset-unknown",
        ),
        pytest.param(
            "import re\ndef f(s):\n    s = re.sub('a', 'b', s)\n    return s\n",
            "str",
            id="parameter-rebound-to-re-sub",
        ),
        pytest.param(
            "def f(s):\n    if s:\n        s = 'x'\n    return s\n", None, id="bound-in-a-branch"
        ),
        pytest.param(
            "def f(s, c):\n    s = 'x'\n    if c:\n        return s\n", "str", id="through-if"
        ),
        pytest.param(
            "def f(s, c):\n    s = 'x'\n    for _ in c:\n        return s\n",
            None,
            id="not-through-for",
        ),
        pytest.param(
            "def f(s, c):\n    s = 'x'\n    with c as s:\n        return s\n",
            None,
            id="with-rebinds",
        ),
        pytest.param(
            "def f(c):\n    xs = [1]\n    ys = xs\n    del xs\n    xs = ys\n    return xs\n",
            "list",
            id="through-an-alias",
        ),
        pytest.param("def f(c):\n    xs = c\n    return xs\n", None, id="bound-to-a-parameter"),
        pytest.param("def f(c):\n    xs = [1]\n    xs += c\n    return xs\n", None, id="augmented"),
        pytest.param(
            "def f(c):\n    xs = [1]\n    if c:\n        xs = [2]\n    return xs\n",
            "list",
            id="every-binding-a-list",
        ),
        pytest.param(
            "def f(a, b):\n    return a if b else 'x'\n", None, id="if-expression-half-known"
        ),
        pytest.param("def f(a):\n    return ('x' if a else 'y').upper()\n", "str", id="if-both"),
        pytest.param("def f(a):\n    return [a] + a\n", None, id="list-plus-unknown"),
        pytest.param(
            "def f(n):\n    xs = [1]\n    for i in n:\n        xs = xs + [i]\n    print(xs)\n"
            "    return xs\n",
            None,
            id="self-referential-bindings-stay-unknown",
        ),
        pytest.param(
            "def f(n):\n    xs = []\n    for i in n:\n        xs += range(i)\n    print(xs)\n"
            "    return xs\n",
            "list",
            id="list-extended-by-a-range",
        ),
        pytest.param(
            "def f(n):\n    xs = []\n    for i in n:\n        xs += i\n    print(xs)\n"
            "    return xs\n",
            None,
            id="list-plus-unknown-may-be-rebound-by-radd",
        ),
        pytest.param(
            "def f(n):\n    xs = []\n    for i in n:\n        xs -= {i}\n    print(xs)\n"
            "    return xs\n",
            None,
            id="other-augmented-operator",
        ),
        pytest.param(
            "def f(n):\n    t = ()\n    for i in n:\n        t += (i,)\n    print(t)\n"
            "    return t\n",
            "tuple",
            id="tuple-plus-tuple",
        ),
        pytest.param(
            "def f(n):\n    t = ()\n    for i in n:\n        t += [i]\n    print(t)\n"
            "    return t\n",
            None,
            id="tuple-plus-list",
        ),
        # Parameters: the annotation is the kind when it names a built-in type.
        pytest.param("def f(xs: list[int]):\n    return xs\n", "list", id="annotated-list"),
        pytest.param("def f(xs: list):\n    return xs[1:]\n", "list", id="slice-of-annotated"),
        pytest.param("def f(*, d: dict[str, int]):\n    return d\n", "dict", id="kw-only"),
        pytest.param("def f(s: bytes = b''):\n    return s\n", "str", id="default-of-kind"),
        pytest.param('def f(s: "str"):\n    return s\n', "str", id="string-annotation"),
        pytest.param("def f(xs: list = None):\n    return xs\n", None, id="default-none"),
        pytest.param(
            "def f(xs: list[int]):\n    xs = tuple(xs)\n    print(xs)\n    return xs\n",
            "tuple",
            id="rebound-annotated",
        ),
        pytest.param(
            "def f(xs: list[int], c):\n    if c:\n        xs = ()\n    return xs\n",
            None,
            id="rebound-in-a-branch",
        ),
        pytest.param(
            "from typing import Optional\ndef f(xs: Optional[list]):\n    return xs\n",
            None,
            id="optional",
        ),
        pytest.param(
            "from typing import List\ndef f(xs: List[int]):\n    return xs\n",
            None,
            id="typing-alias",
        ),
        pytest.param("def f(xs: list | None):\n    return xs\n", None, id="union"),
        pytest.param(
            "list = tuple\ndef f(xs: list):\n    return xs\n", None, id="shadowed-builtin"
        ),
        pytest.param(
            "def f(xs: list):\n    def g():\n        nonlocal xs\n        xs = 1\n    g()\n"
            "    return xs\n",
            None,
            id="rebound-by-a-nested-function",
        ),
        pytest.param(
            "def f(xs: list):\n    locals()['xs'] = 1\n    return xs\n", None, id="introspects"
        ),
    ],
)
def test_kind(code, expected):
    assert kind_of_last_return(code) == expected


def test_a_comprehension_variable_is_not_the_local():
    tree = ast.parse("def f(rows):\n    row = [1]\n    return [row for row in rows]\n")
    info = scope.ModuleInfo(tree)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    reads = [n for n in ast.walk(func) if isinstance(n, ast.Name) and n.id == "row"]
    assert all(
        facts.reaching_value(n, func, info) is None for n in reads if isinstance(n.ctx, ast.Load)
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("not x", True, id="not"),
        pytest.param("1 if x else 2", True, id="if-expression-test"),
        pytest.param("a and x", False, id="value-of-and-used"),
        pytest.param("bool(a or x)", True, id="bool-of-or"),
        pytest.param("[y for y in z if x]", True, id="comprehension-filter"),
        pytest.param("f(x)", False, id="argument"),
    ],
)
def test_in_truth_context(code, expected):
    tree = ast.parse(code)
    info = scope.ModuleInfo(tree)
    x = next(n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "x")
    assert facts.in_truth_context(x, info) is expected


def test_segments_match_ast_on_multi_byte_and_multi_line_text():
    text = "def f():\n    return ('é' +\n        'ü')[0]\n"
    tree = ast.parse(text)
    segments = reading.Segments(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            assert segments(node) == ast.get_source_segment(text, node)


def module_kind(code: str, name: str = "x") -> str | None:
    """The kind of the last read of ``name`` in module-level ``code``."""
    tree = ast.parse(textwrap.dedent(code))
    info = scope.ModuleInfo(tree)
    reads = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    last = max((n for n in reads if isinstance(n.ctx, ast.Load)), key=lambda n: n.lineno)
    return facts.kind(last, None, info)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("x = 'a'\ny = x.split()\n", "str", id="just-before"),
        pytest.param("x = 'a'\nx = x.lower()\ny = x\n", "str", id="a-chain"),
        pytest.param("if c:\n    x = 'a'\n    y = x\n", "str", id="in-an-if-block"),
        pytest.param("x = 'a'\nf()\ny = x\n", None, id="a-call-between"),
        pytest.param("x = 'a'\ny = [f(), x]\n", None, id="a-call-before-the-read"),
        pytest.param("x = 'a'\ny = [x, f()]\n", None, id="a-call-after-the-read-too"),
        pytest.param("x = 'a'\ny[f()] = x\n", "str", id="targets-run-after"),
        pytest.param("x = 'a'\nwhile x:\n    pass\n", None, id="a-while-test"),
        pytest.param("x = 'a'\nif c:\n    y = x\n", None, id="not-into-a-block"),
        pytest.param("x = 'a'\ny = [x for _ in c]\n", None, id="inside-a-comprehension"),
        pytest.param("class A:\n    x = 'a'\n    y = x\n", None, id="class-body"),
        pytest.param("x: str = 'a'\ny = x\n", None, id="annotated-binding"),
        pytest.param("x = []\nx += 'ab'\ny = x\n", None, id="augmented-is-not-plain"),
    ],
)
def test_module_level_names(code, expected):
    assert module_kind(code) == expected


def test_the_target_of_an_augmented_assignment_has_the_kind_before_it():
    tree = ast.parse("def f(r):\n    xs = []\n    for i in r:\n        xs += range(i)\n")
    info = scope.ModuleInfo(tree)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    target = next(n for n in ast.walk(func) if isinstance(n, ast.AugAssign)).target
    assert isinstance(target, ast.Name)
    assert facts.name_kind(target, func, info) == "list"
    assert facts.name_kind(target, None, info) is None
