"""slice-to-match on ``re.match(P, text[pos:])``: it becomes ``re.compile(P).match(text, pos)``.

Also the facts it rests on: constant patterns folded from module constants, and offsets that
nested functions change through ``nonlocal``.
"""

from __future__ import annotations

import ast
import re
import textwrap

import pytest

from bot.find.detectors import REGISTRY, offsets, scope
from tests.find.detectors import change, fix_all, noop

detector = REGISTRY["slice-to-match"]

DIRECTIVE = '''
import re

_digits = "[0-9](?:'?[0-9])*"
_char = r"""([^"\\\\\\n]|""" + r"""(\\\\[0-9a-z])""" + ")"
_string = '"' + _char + '*"'


def directive(line):
    pos = 0
    line_len = len(line)
    out = []

    def skip_ws():
        nonlocal pos
        while pos < line_len and line[pos] in " \\t":
            pos += 1

    skip_ws()
    m = re.match(_digits, line[pos:])
    if not m:
        return None
    out.append(m.group(0))
    pos += len(m.group(0))
    skip_ws()
    m = re.match(_string, line[pos:])
    if m:
        out.append(m.group(0))
        pos += len(m.group(0))
    while True:
        skip_ws()
        if pos >= line_len:
            break
        m = re.match(_digits, line[pos:])
        if not m:
            return None
        out.append(m.group(0))
        pos += len(m.group(0))
    return out
'''

SINGLE = """
import re

{module}


def f(text):
    pos = 2
    return bool({call})
"""


NONLOCAL = textwrap.dedent(
    """
    import re


    def f(text):
        pos = 1

        def back():
            @INNER@

        back()
        return bool(re.match("x", text[pos:]))
    """
)


def single(call: str, module: str = "") -> str:
    return textwrap.dedent(SINGLE).format(module=module, call=call)


# --- code the detector must leave alone ----------------------------------------------------

NOOP = [
    *[
        noop(f"module-function-{label}", single(call, module))
        for label, call, module in [
            ("caret-built-by-concatenation", "re.match(B, text[pos:])", 'A = "^"\nB = A + "x"'),
            ("look-behind-in-f-string", 're.match(f"(?<={A})x", text[pos:])', 'A = "a"'),
            ("word-boundary-by-formatting", 're.search("%sx" % A, text[pos:])', 'A = r"\\b"'),
            ("pattern-rebound", "re.match(A, text[pos:])", 'A = "x"\nA = "^x"'),
            (
                "pattern-also-bound-in-a-function",
                "re.match(A, text[pos:])",
                'A = "x"\n\n\ndef g():\n    A = "^"\n    return A',
            ),
            ("pattern-not-constant", "re.match(A, text[pos:])", "A = make()"),
            ("f-string-with-conversion", 're.match(f"{A!r}", text[pos:])', 'A = "x"'),
            ("format-that-fails", 're.match("%d" % A, text[pos:])', 'A = "x"'),
            ("bytes-pattern", 're.match(rb"x", text[pos:])', ""),
            ("unknown-flags", 're.match("x", text[pos:], FLAGS)', "FLAGS = 2"),
            ("keyword-string", 're.match("x", string=text[pos:])', ""),
            ("flags-twice", 're.match("x", text[pos:], re.I, flags=re.I)', ""),
            ("comment-inside", 're.match("x",  # the rest\n text[pos:])', ""),
            ("parenthesised-offset", 're.match("x", text[(pos):])', ""),
            ("trailing-comma", 're.match("x", text[pos:],)', ""),
            ("finditer-yields-positions", 're.finditer("x", text[pos:])', ""),
            ("split-has-no-position", 're.split(",", text[pos:])', ""),
            ("compiled-pattern-argument", "re.match(P, text[pos:])", 'P = re.compile("x")'),
        ]
    ],
    noop(
        "pattern-shadowed-by-a-parameter",
        """
        import re

        A = "x"


        def f(text, A):
            return bool(re.match(A, text[1:]))
        """,
    ),
    noop(
        "re-is-not-the-module",
        """
        import regex as re


        def f(text):
            return bool(re.match("x", text[1:]))
        """,
    ),
    noop(
        "position-read",
        """
        import re


        def f(text):
            m = re.search("x", text[1:])
            return m.start() if m else -1
        """,
    ),
    *[
        pytest.param(NONLOCAL.replace("@INNER@", inner.replace("\n", "\n        ")), id=label)
        for label, inner in [
            ("nonlocal-offset-decremented", "nonlocal pos\npos -= 1"),
            ("nonlocal-offset-set-negative", "nonlocal pos\npos = -1"),
            ("nonlocal-offset-set-from-a-call", "nonlocal pos\npos = int(text)"),
            ("nonlocal-offset-shadowed-local", "pos = -1\nprint(pos)"),
            ("nonlocal-offset-deeper", "def deeper():\n    nonlocal pos\n    pos = -1"),
        ]
    ],
    noop(
        "walrus-in-a-comprehension-binds-the-offset",
        """
        import re


        def f(text):
            pos = 1
            print([pos := -1 for _ in text])
            return bool(re.match("x", text[pos:]))
        """,
    ),
    noop(
        "offset-is-a-parameter",
        """
        import re


        def f(text, pos):
            return bool(re.match("x", text[pos:]))
        """,
    ),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source):
    ast.parse(source)  # a decoy that does not parse would pass for the wrong reason
    assert detector.detect(source, "m.py") == []


# --- code the detector changes -------------------------------------------------------------

BEFORE_AFTER = [
    change(
        "directive-with-a-nonlocal-offset",
        DIRECTIVE,
        DIRECTIVE.replace(
            "re.match(_digits, line[pos:])", "re.compile(_digits).match(line, pos)"
        ).replace("re.match(_string, line[pos:])", "re.compile(_string).match(line, pos)"),
    ),
    *[
        change(f"module-function-{label}", single(call, module), single(fixed, module))
        for label, call, fixed, module in [
            (
                "literal",
                're.match(r"\\d+", text[pos:])',
                're.compile(r"\\d+").match(text, pos)',
                "",
            ),
            (
                "search-with-flags",
                're.search("x", text[pos:], re.I | re.M)',
                're.compile("x", re.I | re.M).search(text, pos)',
                "",
            ),
            (
                "flags-keyword",
                're.fullmatch("x+", text[pos:], flags=re.S)',
                're.compile("x+", re.S).fullmatch(text, pos)',
                "",
            ),
            ("findall", 're.findall("x", text[pos:])', 're.compile("x").findall(text, pos)', ""),
            (
                "f-string-of-constants",
                're.match(f"{A}+", text[pos:])',
                're.compile(f"{A}+").match(text, pos)',
                'A = "[a-z]"',
            ),
            (
                "formatted-constants",
                're.match("%s=%s" % (A, B), text[pos:])',
                're.compile("%s=%s" % (A, B)).match(text, pos)',
                'A = "a"\nB: str = "b"',
            ),
            (
                "pattern-with-dollar",
                "re.search(A, text[pos + 1 :])",
                "re.compile(A).search(text, pos + 1)",
                'A = "x$"',
            ),
        ]
    ],
    change(
        "nonlocal-offset-incremented",
        NONLOCAL.replace("@INNER@", "nonlocal pos\n        pos += 1"),
        NONLOCAL.replace("@INNER@", "nonlocal pos\n        pos += 1").replace(
            're.match("x", text[pos:])', 're.compile("x").match(text, pos)'
        ),
    ),
    change(
        "compiled-from-module-constants",
        """
        import re

        _word = r"[a-z]+"
        WORD = re.compile(_word + "=" + _word)


        def f(text):
            return bool(WORD.match(text[len("set "):]))
        """,
        """
        import re

        _word = r"[a-z]+"
        WORD = re.compile(_word + "=" + _word)


        def f(text):
            return bool(WORD.match(text, len("set ")))
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), BEFORE_AFTER)
def test_fix(before, after):
    assert fix_all(detector, before) == after


def test_the_fixed_directive_parser_gives_the_same_results():
    before = textwrap.dedent(DIRECTIVE)
    after = fix_all(detector, before)
    assert after.count("re.compile(") == 3
    lines = ["", "  12", '1 "a.h" 3 4', '1 "a\\x" 3', "12'3 x", ' 7 "b" 9x', "x", "9 9", "4 ''"]
    results = []
    for source in (before, after):
        namespace: dict[str, object] = {}
        exec(compile(source, "m.py", "exec"), namespace)
        parse = namespace["directive"]
        assert callable(parse)
        results.append([parse(line) for line in lines])
    assert results[0] == results[1]
    assert any(results[0]) and None in results[0]


# --- the facts -----------------------------------------------------------------------------


def _module(source: str) -> tuple[ast.Module, scope.ModuleInfo]:
    tree = ast.parse(textwrap.dedent(source))
    return tree, scope.ModuleInfo(tree)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"a" "b"', "ab"),
        ("A + B", "xy"),
        ('f"{A}-{B}"', "x-y"),
        ('"%s|%s" % (A, B)', "x|y"),
        ('"<%s>" % A', "<x>"),
        ("C", "xyxy"),
        ("D", None),  # bound twice
        ("E", None),  # not a constant
        ('f"{A:>3}"', None),
        ('"%d" % A', None),
        ('b"x"', None),
        ("A * 2", None),
        ("F", None),  # bound to itself: no end
    ],
)
def test_constant_string(expression, expected):
    tree, info = _module(
        f"""
        A = "x"
        B: str = "y"
        C = A + B + A + B
        D = "1"
        D = "2"
        E = str(1)
        F = F + "x"
        VALUE = {expression}
        """
    )
    statement = tree.body[-1]
    assert isinstance(statement, ast.Assign)
    assert offsets.constant_string(statement.value, info) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("pos = 0\ndef g():\n    nonlocal pos\n    pos += 1\ng()", True),
        ("pos = 0\ndef g():\n    print(pos)\ng()", True),
        ("pos = 0\ndef g():\n    nonlocal pos\n    pos -= 1\ng()", False),
        ("pos = 0\ndef g(pos=-1):\n    print(pos)\ng()", False),  # binds its own: not analysed
        ("pos = 0\ng = lambda: pos\ng()", True),
        ("pos = 0\nclass C:\n    pos = -1", False),
        ("pos = 0\ndel pos", False),
        ("global pos\npos = 0", False),
    ],
)
def test_nonnegative_through_nonlocal(body, expected):
    tree, info = _module("def f():\n" + textwrap.indent(body, "    ") + "\n    return pos\n")
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    ret = func.body[-1]
    assert isinstance(ret, ast.Return) and ret.value is not None
    assert offsets.nonnegative(ret.value, func, info) is expected


@pytest.mark.parametrize(
    "pattern", ["[0-9](?:'?[0-9])*", r'"([^"\\\n]|(\\[0-9a-z]))*"', "x$", "[a-z]+=[a-z]+"]
)
def test_compiled_at_a_position_agrees_with_the_module_function_on_a_slice(pattern):
    """The claim behind the rewrite, checked against ``re`` itself."""
    assert offsets.reads_forward_only((pattern, 0))
    for text in ["", "12", "a=b x", '"a\\b" 3', "9'9'9", "x\nx", '""']:
        for pos in range(len(text) + 2):
            for method in ("match", "search", "fullmatch"):
                sliced = getattr(re, method)(pattern, text[pos:])
                offset = getattr(re.compile(pattern), method)(text, pos)
                assert (sliced is None) == (offset is None)
                if sliced is not None and offset is not None:
                    assert sliced.groups() == offset.groups()
                    assert sliced.group() == offset.group()
            assert re.findall(pattern, text[pos:]) == re.compile(pattern).findall(text, pos)
