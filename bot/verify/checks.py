"""A fixed tree's checks short of its tests: compile, line length, ruff, and import origin.

Ruff runs on the base once per file the night's fixes touch, and the import-origin answer
is kept per file: every worktree has the same layout and import path. The line-length
limit is read from the base tree (a fix cannot move it) once per file.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.fix.apply import Fixed
from bot.model import Finding
from bot.recipes.model import Recipe
from bot.report.results import FixResult, Reason, Status, Step
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.environment import test_env
from bot.verify.footprint import footprint
from bot.verify.grouped import Candidate
from bot.verify.lint import RuffReport, compare_ruff, compile_check, ruff_check
from bot.verify.origin import module_origins
from bot.verify.style import Style, describe, long_hunks, read_style


@dataclass
class Checks:
    """What the night's checks share: the environment, the sandbox, and what they learnt."""

    env: Mapping[str, str]
    sandbox: Sandbox
    python: str = sys.executable  # the tests' interpreter (bot.verify.interpreter)
    base_lint: RuffReport = field(default_factory=RuffReport)
    linted: set[str] = field(default_factory=set)
    origins: dict[str, tuple[bool, str]] = field(default_factory=dict)  # path -> inside, where
    styles: dict[str, Style] = field(default_factory=dict)  # path -> the base tree's style
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lint_base(self, base_tree: Path, findings: Sequence[Finding]) -> None:
        """Ruff on the base once for every file these findings may change."""
        paths = sorted({f.path for f in findings} - self.linted)
        if not paths:
            return
        report = ruff_check(base_tree, paths)
        with self._lock:
            old = self.base_lint
            self.base_lint = RuffReport(
                {**old.counts, **report.counts},
                {**old.examples, **report.examples},
                report.error or old.error,
            )
            self.linted |= set(paths)

    def check(
        self,
        key: int,
        recipe: Recipe,
        finding: Finding,
        fixed: Fixed,
        tree: Path,
        base_tree: Path,
        branch: str,
        commands: Sequence[str],
    ) -> Candidate | FixResult:
        """A candidate for the tests, or the first check it failed."""
        steps = list(fixed.steps)

        def rejected(kind: Reason, reason: str) -> FixResult:
            return FixResult(
                finding,
                Status.REJECTED,
                reason,
                kind=kind,
                diff_lines=fixed.diff_lines,
                steps=steps,
                costs=dict(fixed.costs),
            )

        paths = fixed.paths
        compile_error = compile_check(tree, paths)
        steps.append(Step("compile", compile_error is None, compile_error or "compiles"))
        if compile_error:
            return rejected(Reason.COMPILE, f"the fixed code does not compile: {compile_error}")

        long, within = self._line_lengths(base_tree, fixed.texts)
        if long or within:
            steps.append(Step("line-length", not long, "; ".join(long) or within))
        if long:
            tried = [s.detail for s in fixed.steps if s.name == "format" and not s.ok]
            return rejected(Reason.LINE_LENGTH, "; ".join(long + tried))

        base_lint = (
            self.base_lint if self.linted.issuperset(paths) else ruff_check(base_tree, paths)
        )
        fix_lint = ruff_check(tree, paths)
        regressions = compare_ruff(base_lint, fix_lint)
        lint_detail = "no new violations"
        if base_lint.error and fix_lint.error:
            lint_detail = (
                f"not checked: ruff cannot run with this repository's config ({base_lint.error})"
            )
        steps.append(Step("ruff", not regressions, "; ".join(regressions) or lint_detail))
        if regressions:
            return rejected(Reason.LINT, f"new ruff violations: {'; '.join(regressions)}")

        if not commands and not recipe.allow_lint_only:
            return rejected(
                Reason.NO_TESTS,
                "the repository has no tests to verify this fix, and the recipe does not "
                "allow lint-only verification (verify.allow_lint_only)",
            )
        origin_problem = self._origin_problem(tree, paths, steps)
        if origin_problem:
            return rejected(Reason.IMPORT_ORIGIN, origin_problem)

        texts = fixed.texts
        return Candidate(
            key=key,
            recipe=recipe,
            finding=finding,
            branch=branch,
            patch=fixed.patch,
            changes=texts,
            footprint=footprint(texts),
            commands=tuple(commands),
            diff_lines=fixed.diff_lines,
            steps=steps,
            evidence=[
                f"guard: {fixed.diff_lines} changed line(s), in scope",
                "compiles",
                *(s.detail for s in fixed.steps if s.name == "format"),
                *([f"line length: {within}"] if within else []),
                f"ruff: {lint_detail}",
            ],
            costs=dict(fixed.costs),
            summary=fixed.summary,
        )

    def _line_lengths(
        self, base_tree: Path, texts: Mapping[str, tuple[str, str]]
    ) -> tuple[list[str], str]:
        """Each changed line over its file's limit; else what the limits were, or ""."""
        long: list[str] = []
        said: dict[str, None] = {}  # in order, once each
        for path, (old, new) in texts.items():
            if not path.endswith((".py", ".pyi")):
                continue
            if path not in self.styles:
                self.styles[path] = read_style(base_tree, path)
            style = self.styles[path]
            said |= dict.fromkeys(style.problems)
            if style.limit is None:
                continue
            limit = style.limit
            said[f"within the repository's limit of {limit.length} ({limit.source})"] = None
            for hunk in long_hunks(old, new, limit.length):
                long += [describe(path, line, limit) for line in hunk.long]
        return long, "; ".join(said)

    def origins_base(self, tree: Path, paths: Sequence[str]) -> None:
        """Ask once, in the base tree, where the tests import each of ``paths`` from; each
        fix's worktree has the same layout, so the answer holds there (one interpreter run
        for a batch of fixes instead of one per file)."""
        fresh = [p for p in dict.fromkeys(paths) if p not in self.origins]
        self._learn_origins(tree, fresh, keep_unknown=False)

    def _learn_origins(
        self, tree: Path, paths: Sequence[str], *, keep_unknown: bool = True
    ) -> None:
        """``keep_unknown``: remember a file whose origin cannot be told (the base tree may
        lack a file a fix adds: its own worktree is asked then)."""
        paths = [p for p in paths if p.endswith(".py")]
        if not paths:
            return
        env = test_env(self.env, tree, self.python)
        found = module_origins(tree, paths, env, self.python, sandbox=self.sandbox)
        root = tree.resolve()
        for path, origin in found.items():
            if origin is None:
                if keep_unknown:
                    self.origins[path] = (True, "")
            elif Path(origin).resolve().is_relative_to(root):
                self.origins[path] = (True, Path(origin).resolve().relative_to(root).as_posix())
            else:
                self.origins[path] = (False, origin)

    def _origin_problem(self, tree: Path, paths: Sequence[str], steps: list[Step]) -> str | None:
        """Prove the tests will import the worktree's code, not an installed copy."""
        self._learn_origins(tree, [p for p in paths if p not in self.origins])
        for path in paths:
            if not path.endswith(".py"):
                continue
            inside, origin = self.origins[path]
            if not origin:
                continue
            where = f"the worktree's {origin}" if inside else origin
            steps.append(Step("origin", inside, f"{path} imports from {where}"))
            if not inside:
                return (
                    f"tests would import {origin}, not the fixed {path}: install the package "
                    "in editable mode (pip install -e .) or put its source root on the path"
                )
        return None
