"""Which tests executed a fix's changed lines (pure): diff -> lines -> statements -> tests.

A fix's changed lines are the new side of its diff (a deletion maps to the lines either
side of it; a comment or blank line to the statement after it), widened to the statements
they belong to, since coverage records a statement
by the lines the interpreter reports for it. A test executed the fix when its coverage
context ran one of them. Two kinds of line are run outside any test's context:

- module-level code (imports, assignments, ``def``/``class`` headers and decorators) runs
  when the module is first imported, often while pytest collects, before any test;
- code run during collection or by session fixtures, in the empty context.

Such a line, once executed in the run, counts for every test that imports the module, as
the static import graph (``impact.ImportGraph``) tells; when the graph names no test
(a plugin, a conftest, an import by name), for every test of the run.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot import pysource
from bot.report.results import CoveredBy
from bot.verify.impact import ImportGraph

Lines = frozenset[int]


@dataclass(frozen=True)
class RunCoverage:
    """What coverage saw in one test run, for the files it measured (repo-relative paths).

    ``executed`` maps each test (its JUnit id, ``classname::name``) to the lines it ran per
    file; ``outside`` holds the lines run outside any test (imports during collection,
    session fixtures); ``tests`` is every test coverage saw run. With a ``problem`` coverage
    says nothing (the command is not pytest, the interpreter has no coverage...).
    """

    executed: Mapping[str, Mapping[str, Lines]]
    outside: Mapping[str, Lines]
    tests: frozenset[str]
    problem: str | None = None

    @classmethod
    def unknown(cls, problem: str) -> RunCoverage:
        return cls({}, {}, frozenset(), problem)

    def ran(self, path: str) -> Lines:
        """Every line of ``path`` executed in the run, in a test or outside any."""
        lines = set(self.outside.get(path, ()))
        for files in self.executed.values():
            lines |= files.get(path, frozenset())
        return frozenset(lines)


@dataclass(frozen=True)
class ChangedCode:
    """The lines of one file a fix changed, as coverage would see them executed."""

    path: str
    lines: Lines  # every line of the statements the fix touched
    at_import: Lines  # those that run when the module is imported (not in a function body)


def changed_lines(old: str, new: str) -> Lines:
    """The new side's changed lines (1-based); a deletion gives the lines either side of it."""
    new_lines = new.splitlines()
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new_lines, autojunk=False)
    found: set[int] = set()
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if j2 > j1:
            found.update(range(j1 + 1, j2 + 1))
        else:  # deleted only: the neighbouring lines
            found.update(n for n in (j1, j1 + 1) if 1 <= n <= len(new_lines))
    return frozenset(found)


def carry_lines(lines: Iterable[int], source: str, target: str) -> Lines:
    """``lines`` of ``source`` as numbered in ``target`` (the same file with other fixes in)."""
    if source == target:
        return frozenset(lines)
    matcher = difflib.SequenceMatcher(
        None, source.splitlines(), target.splitlines(), autojunk=False
    )
    moved: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            moved[block.a + k + 1] = block.b + k + 1
    return frozenset(moved[n] for n in lines if n in moved)


@dataclass(frozen=True)
class _Statement:
    lines: range  # its own lines: a compound statement's header, a simple one's whole span
    at_import: bool


_BLOCKS = ("body", "orelse", "handlers", "finalbody", "cases")


def _own_lines(node: ast.AST) -> range:
    """A simple statement's lines; a compound one's header (decorators to the colon)."""
    lineno: int = node.lineno  # type: ignore[attr-defined]
    if not isinstance(getattr(node, "body", None), list):
        return range(lineno, (getattr(node, "end_lineno", None) or lineno) + 1)
    parts = [
        child
        for name, value in ast.iter_fields(node)
        if name not in _BLOCKS
        for child in (value if isinstance(value, list) else [value])
        if isinstance(child, ast.AST) and hasattr(child, "lineno")
    ]
    start = min([lineno, *(p.lineno for p in parts)])  # type: ignore[attr-defined]
    end = max([lineno, *((p.end_lineno or p.lineno) for p in parts)])  # type: ignore[attr-defined]
    return range(start, end + 1)


def _statements(tree: ast.Module) -> list[_Statement]:
    found: list[_Statement] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt | ast.ExceptHandler):
                found.append(_Statement(_own_lines(child), not in_function))
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, inner or isinstance(child, ast.Lambda))

    visit(tree, False)
    return found


def changed_code(path: str, old: str, fixed: str, tree_text: str | None = None) -> ChangedCode:
    """The statements a fix (``old`` -> ``fixed``) touched, numbered as in ``tree_text``, the
    file as the test run had it (other fixes may share it); ``fixed`` when None."""
    text = fixed if tree_text is None else tree_text
    raw = carry_lines(changed_lines(old, fixed), fixed, text)
    try:
        statements = _statements(pysource.parse(text))
    except (SyntaxError, ValueError):
        return ChangedCode(path, raw, frozenset())
    lines: set[int] = set()
    at_import: set[int] = set()
    for line in raw:
        holding = [s for s in statements if line in s.lines]
        if not holding:  # a comment or a blank line: the statement after it (else before)
            after = [s for s in statements if s.lines.start > line]
            before = [s for s in statements if s.lines.stop <= line]
            if after:
                holding = [min(after, key=lambda s: s.lines.start)]
            elif before:
                holding = [max(before, key=lambda s: s.lines.stop)]
        else:
            holding = [min(holding, key=lambda s: len(s.lines))]
        for statement in holding:
            lines.update(statement.lines)
            if statement.at_import:
                at_import.update(statement.lines)
    return ChangedCode(path, frozenset(lines), frozenset(at_import))


Importers = Callable[[str, frozenset[str]], frozenset[str]]


def covered_by(
    changes: Sequence[ChangedCode], runs: Sequence[RunCoverage], importers: Importers
) -> CoveredBy:
    """The tests that executed any of ``changes`` in any of ``runs`` (one per test command).

    Tests found in one run are enough; none found is "no test" only when every run could
    tell, else unknown.
    """
    if not changes:
        return CoveredBy(None, "the fix changed no Python file coverage can measure")
    found: set[str] = set()
    for run in runs:
        if run.problem is not None:
            continue
        for change in changes:
            found.update(
                test
                for test, files in run.executed.items()
                if files.get(change.path, frozenset()) & change.lines
            )
            outside = run.outside.get(change.path, frozenset()) & change.lines
            if outside or run.ran(change.path) & change.at_import:
                found |= importers(change.path, run.tests)
    if found:
        return CoveredBy(tuple(sorted(found)))
    problems = [run.problem for run in runs if run.problem is not None]
    if problems or not runs:
        return CoveredBy(None, problems[0] if problems else "no test run measured it")
    return CoveredBy(())


def test_path(test_id: str, graph: ImportGraph) -> str | None:
    """The file of a JUnit id (``tests.test_a.TestK::test_x``), when the graph knows it."""
    parts = test_id.split("::", 1)[0].split(".")
    for end in range(len(parts), 0, -1):
        module = ".".join(parts[:end])
        path = graph.path_of.get(module) or f"{module.replace('.', '/')}.py"
        if path in graph.sources:
            return path
    return None


def graph_importers(graph: ImportGraph | None) -> Importers:
    """Who imports a module: the tests whose file reaches it in ``graph``; all when none do."""

    def importers(path: str, tests: frozenset[str]) -> frozenset[str]:
        if graph is None:
            return tests
        found = frozenset(
            t for t in tests if (file := test_path(t, graph)) and path in graph.reach(file)
        )
        return found or tests

    return importers


test_path.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite the name


def each_fix(
    changes: Mapping[int, Mapping[str, tuple[str, str]]],
    texts: Mapping[str, str],
    runs: Sequence[RunCoverage],
    graph: ImportGraph | None,
) -> dict[int, CoveredBy]:
    """For each fix of a run (key -> path -> (old, new)), the tests that executed it there;
    ``texts``: the changed files as the run had them (all its fixes applied)."""
    importers = graph_importers(graph)
    return {
        key: covered_by(
            [
                changed_code(path, old, new, texts[path])
                for path, (old, new) in files.items()
                if path.endswith(".py") and path in texts
            ],
            runs,
            importers,
        )
        for key, files in changes.items()
    }
