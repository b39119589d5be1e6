"""Parsing Python source into an AST, one thread at a time (pure).

CPython 3.11's AST conversion keeps its recursion depth in state shared by all threads, so
two ``ast.parse`` calls at once can fail with "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905). The night fixes and verifies in parallel threads; every
parse of Nightcrew's goes through here.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``, serialised; raises what it raises (SyntaxError, ValueError, ...)."""
    with _LOCK:
        return ast.parse(source, filename)
