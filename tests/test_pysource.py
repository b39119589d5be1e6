"""bot.pysource: the serialised ast.parse behaves as ast.parse.

The race it prevents (python/cpython#106905) is rare and was not reproducible here on
demand, so no test claims to show it; one was seen once in this suite's e2e tests.
"""

from __future__ import annotations

import ast

import pytest

from bot import pysource

# Deeply nested code makes the AST conversion recurse, where threads race on its depth.
NESTED = "x = " + "[" * 60 + "1" + "]" * 60 + "\n"
SOURCE = "".join(f"def f{i}(a):\n    return {NESTED[4:].strip()}\n" for i in range(200))


def test_parse_is_ast_parse():
    assert ast.dump(pysource.parse(SOURCE)) == ast.dump(ast.parse(SOURCE))
    with pytest.raises(SyntaxError):
        pysource.parse("def (:\n")
