"""Which repository modules a file imports, transitively (pure, static, approximate).

Used to suspect the fixes a failing test could have reached, and to pick the tests most
related to a change. Static imports only: a module reached through `importlib` or a plugin
is invisible here, which is why the full test suite stays the gate.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from functools import cached_property

from bot import pysource


def module_name(path: str, roots: Iterable[str]) -> str | None:
    """`src/pkg/a.py` -> `pkg.a`, `pkg/__init__.py` -> `pkg` (first matching root wins)."""
    if not path.endswith(".py"):
        return None
    for root in roots:
        prefix = f"{root.rstrip('/')}/" if root else ""
        if path.startswith(prefix):
            parts = path[len(prefix) : -3].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and all(p.isidentifier() for p in parts):
                return ".".join(parts)
    return None


def _imported(text: str, module: str, is_package: bool) -> set[str]:
    """Absolute names of every module an import statement in ``text`` may load."""
    try:
        tree = pysource.parse(text)
    except (SyntaxError, ValueError):
        return set()
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            if base:
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names)
    # `import a.b.c` loads a, a.b and a.b.c.
    return {".".join(n.split(".")[: i + 1]) for n in names for i in range(n.count(".") + 1)}


class ImportGraph:
    """The static import graph of a repository's Python files."""

    def __init__(self, sources: Mapping[str, str], roots: Iterable[str] = ("src", "")) -> None:
        self.sources = dict(sources)
        self.roots = tuple(roots)
        self.path_of: dict[str, str] = {}
        for path in sorted(self.sources):
            name = module_name(path, self.roots)
            if name is not None:
                self.path_of.setdefault(name, path)

    @cached_property
    def edges(self) -> dict[str, frozenset[str]]:
        edges = {}
        for path, text in self.sources.items():
            name = module_name(path, self.roots) or path.removesuffix(".py").replace("/", ".")
            imported = _imported(text, name, path.endswith("__init__.py"))
            edges[path] = frozenset(self.path_of[n] for n in imported if n in self.path_of)
        return edges

    def reach(self, path: str) -> frozenset[str]:
        """Every repository file ``path`` imports, directly or not (``path`` included)."""
        seen, todo = {path}, [path]
        while todo:
            for nxt in self.edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def related_tests(self, changed: Iterable[str], tests: Iterable[str]) -> list[str]:
        """The test files that import any of ``changed``, directly or not."""
        wanted = set(changed)
        return sorted(t for t in tests if self.reach(t) & wanted)
