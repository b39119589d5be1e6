"""One trial of some fixes: their patches applied to a fresh worktree, their test commands
run once, each run judged (``bot.verify.grouped`` decides which trials to make).

A run with fixes is judged by itself when every test passed; else against the base commit's
run of just the tests that failed; else against the full baseline (``bot.verify.baseline``).
A full run is measured with coverage (which tests executed each fix); a run of only the
failing tests (``focus``) is not, and says nothing of who executed a fix.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import git

from bot import gitops
from bot.model import Finding
from bot.recipes.model import Recipe
from bot.report.progress import Phase, Progress, RunFinished, RunKind, RunStarted, silent, tell
from bot.report.results import CoveredBy, Step
from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import Sandbox
from bot.verify import evidence, selection
from bot.verify.baseline import Baselines
from bot.verify.compare import (
    Comparison,
    against_failing,
    compare,
    focused,
    ordinary_failures,
    passed_outright,
)
from bot.verify.footprint import Footprint
from bot.verify.impact import ImportGraph
from bot.verify.runs import TestRun, run_tests


@dataclass
class Candidate:
    """A fix that passed the static checks and waits for its tests."""

    key: int
    recipe: Recipe
    finding: Finding
    branch: str
    patch: str
    changes: dict[str, tuple[str, str]]  # path -> (old text, new text)
    footprint: Footprint
    commands: tuple[str, ...]
    diff_lines: int = 0  # lines added and removed, as the guard counted them
    steps: list[Step] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)
    summary: str = ""

    @property
    def grouped(self) -> bool:
        return self.recipe.verify_mode != "each"


@dataclass
class SetRun:
    """One application of some fixes and one pass over the test commands."""

    members: tuple[int, ...]
    ok: bool
    reason: str
    failures: dict[str, str] = field(default_factory=dict)  # new failing test -> its text
    steps: list[Step] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # the tree's changed files
    attributable: bool = True  # False: the failure says nothing about which fix (timeout...)
    covered: dict[int, CoveredBy] = field(default_factory=dict)  # per fix: who executed it
    runs: list[TestRun] = field(default_factory=list)  # one per command, with what coverage saw
    focus: frozenset[str] | None = None  # only these tests ran (the new failures of a bigger run)
    single: bool = False  # the fixes have one test command

    def refocus(self) -> frozenset[str] | None:
        """The tests later runs of these fixes need to run: its new failures, when they are
        tests the one pytest command can select; None: later runs run everything."""
        if self.focus is not None:
            return self.focus
        if not self.failures or not self.attributable or not self.single:
            return None
        run = self.runs[0]
        if not run.pytest or run.junit is None:
            return None
        if not all(selection.selectable(t) for t in self.failures):
            return None
        return frozenset(self.failures)


RunRecorder = Callable[[str, TestRun], None]
Why = tuple[RunKind, str]  # what a run is for, as the progress says it: (kind, "first half of ...")


class Trials:
    """Where and how trials run: the repository, the base commit's results, the limits;
    and what they have shown so far (runs made, who executed each fix)."""

    def __init__(
        self,
        repo: git.Repo,
        base_sha: str,
        baselines: Baselines,
        env: Mapping[str, str],
        timeout: Callable[[Candidate, str], float],
        log_dir: Path,
        *,
        jobs: int = 1,
        graph: ImportGraph | None = None,
        record: RunRecorder | None = None,
        progress: Progress | None = None,
        sandbox: Sandbox = NO_SANDBOX,
        python: str = sys.executable,
    ) -> None:
        self.repo, self.base_sha, self.baselines = repo, base_sha, baselines
        self.sandbox, self.python = sandbox, python  # the tests' interpreter
        self.env, self.timeout, self.log_dir, self.graph = env, timeout, log_dir, graph
        self.record = record or (lambda purpose, run: None)
        self.progress: Progress = progress or silent
        self._slots = threading.BoundedSemaphore(max(1, jobs))
        self.covered: dict[int, CoveredBy] = {}  # per fix: the first full run that measured it
        self.suite_runs = 0  # full runs of the test command with fixes
        self.partial_runs = 0  # runs of only some tests with fixes

    def run(
        self,
        members: Sequence[Candidate],
        *,
        extra: Sequence[str] = (),
        label: str = "",
        why: Why | None = None,
        focus: frozenset[str] | None = None,
    ) -> SetRun:
        """Apply ``members``' patches to a fresh worktree and run their test commands."""
        keys = tuple(c.key for c in members)
        purpose = (
            members[0].finding.short_fingerprint
            if len(members) == 1
            else f"group of {len(members)}"
        ) + (f" ({label})" if label else "")
        with self._slots:
            tree = gitops.add_worktree(self.repo, self.base_sha, "verify")
            try:
                what = _what(members, extra, label, why, focus)
                return self._run_in(tree, keys, members, purpose, extra, what, focus)
            finally:
                gitops.remove_worktree(self.repo, tree)

    def _run_in(
        self,
        tree: Path,
        keys: tuple[int, ...],
        members: Sequence[Candidate],
        purpose: str,
        extra: Sequence[str],
        what: Why,
        focus: frozenset[str] | None = None,
    ) -> SetRun:
        for c in members:
            problem = gitops.apply_patch(tree, c.patch)
            if problem:
                return SetRun(keys, False, f"fixes did not apply together: {problem}",
                              attributable=False)  # fmt: skip
        texts = {
            p: (tree / p).read_text(encoding="utf-8", errors="replace")
            for c in members
            for p in c.changes
            if (tree / p).is_file()
        }
        commands = members[0].commands
        result = SetRun(keys, True, "", texts=texts, focus=focus, single=len(commands) == 1)
        env = dict(self.env)
        full = focus is None and not extra
        measure = sorted(p for p in texts if p.endswith(".py")) if full else None
        for command in commands:
            tell(self.progress, Phase.FIX, RunStarted(*what, command))
            run = run_tests(
                command,
                tree,
                env,
                self.timeout(members[0], command),
                self.log_dir,
                purpose,
                python=self.python,
                extra_args=extra,
                sandbox=self.sandbox,
                measure=measure,
                select=sorted(focus) if focus is not None else None,
            )
            tell(self.progress, Phase.FIX, RunFinished(what[0], run.duration))
            if full:
                self.suite_runs += 1
                self.baselines.saw(command, run)
            else:
                self.partial_runs += 1
            self.record(purpose, run)
            result.runs.append(run)
            comparison = self._judge(command, run, extra, focus)
            scope = "alone" if len(keys) == 1 else f"group of {len(keys)}"
            kind = "tests" if full else ("failing-tests" if focus is not None else "related-tests")
            shown = command + (" " + " ".join(extra) if extra else "")
            if focus is not None:
                shown += f" (only the {len(focus)} test(s) that failed)"
            result.steps.append(
                Step(kind, comparison.ok, f"{scope}: {comparison.reason}", shown, run.duration)
            )
            if not comparison.ok:
                prefix = f"{tree}/"
                details = run.junit.details if run.junit is not None else {}
                result.ok = False
                result.reason = f"`{command}`: {comparison.reason}"
                result.failures = {
                    t: details.get(t, "").replace(prefix, "") for t in comparison.new_failures
                }
                result.attributable = bool(comparison.new_failures) and not run.timed_out
                break
            result.reason = f"`{command}`: {comparison.reason}"
        seen = [r.coverage for r in result.runs if r.coverage is not None]
        result.covered = evidence.each_fix(
            {c.key: c.changes for c in members}, texts, seen, self.graph
        )
        if full:
            for key, covered in result.covered.items():
                self.covered.setdefault(key, covered)
        else:
            result.covered = {}  # an unmeasured run says nothing of who executed a fix
        return result

    def _judge(
        self, command: str, run: TestRun, extra: Sequence[str], focus: frozenset[str] | None
    ) -> Comparison:
        """A run with fixes, judged: by itself when every test passed; else against the
        base commit's run of the tests that failed; else against the full baseline."""
        if focus is not None:
            return focused(run, focus)
        outright = passed_outright(run)
        if outright is not None:
            return outright
        if ordinary_failures(run):
            assert run.failed is not None
            return against_failing(run, self.baselines.failing(command, run.failed))
        baseline = self.baselines.full(command)
        return _compare_subset(baseline, run) if extra else compare(baseline, run)


def _what(
    members: Sequence[Candidate],
    extra: Sequence[str],
    label: str,
    why: Why | None,
    focus: frozenset[str] | None = None,
) -> Why:
    """What a run is for, as the progress says it: its kind, and the fixes it covers."""
    shown = ", ".join(
        f"{c.finding.path}:{c.finding.start_line} {c.finding.rule}" for c in members[:3]
    )
    fixes = shown + (f" and {len(members) - 3} more" if len(members) > 3 else "")
    if focus is not None:
        fixes += f" (only the {len(focus)} test(s) that failed)"
    if extra:
        tests = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        again = " again" if label.endswith("rerun") else ""
        return RunKind.RELATED, f"the tests related to {fixes}{again} ({tests})"
    if label == "rerun":
        return RunKind.RERUN, f"one fix that failed once, again: {fixes}"
    if why is not None:
        count = f"{len(members)} fixes" if len(members) > 1 else "1 fix"
        return why[0], f"{why[1]} ({count}): {fixes}"
    if len(members) > 1:
        return RunKind.GROUP, f"{len(members)} fixes: {fixes}"
    return RunKind.ALONE, f"one fix: {fixes}"


def _compare_subset(baseline: TestRun, run: TestRun) -> Comparison:
    """Only new failures count when a subset of the suite ran (the full run is the gate)."""
    if run.timed_out or run.junit is None or baseline.failed is None:
        return compare(baseline, run)
    new = tuple(sorted(run.junit.failed - baseline.failed))
    if new:
        listed = ", ".join(new[:5])
        return Comparison(False, f"{len(new)} new failing test(s): {listed}", new)
    return Comparison(True, f"{run.junit.tests} related tests passed")
