"""Verify many fixes at the cost of about one test run (grouped), or one run each.

Fixes run first; the base commit is asked only about what fails (``bot.verify.baseline``).
A group of fixes with disjoint footprints is applied to one worktree and tested once. If
every test passes, every fix in it is verified "in a group of K" and no baseline runs. If
some fail, the base commit runs just those tests, to tell old failures from new ones. New
failures are attributed by coverage: a fix whose changed lines no failing test executed is
verified by the run that already passed every test that executed it, and each fix whose
lines a failing test executed is tried alone on just the failing tests that executed it.
Without coverage (not pytest, or coverage saw nothing), the failures' tracebacks (then
the failing tests' imports) name suspects; the rest is re-run without them, and each
suspect alone; when that says nothing, the group is split in halves (bisection). Once a
group's run has failed, every later run for it runs only its new failures (when there is
one pytest command and the failures are tests it can select): the full run has already
passed every other test with all the group's fixes. A fix is only ever rejected after
failing alone twice, so a flaky test costs one rerun, never a silently rejected good fix.
docs/verification.md says why this is sound, and where it is not.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import git

from bot import pysource
from bot.report.progress import (
    Phase,
    Progress,
    RunKind,
    RunsPlanned,
    silent,
    tell,
)
from bot.report.results import CoveredBy, Step
from bot.sandbox.bwrap import NONE as NO_SANDBOX
from bot.sandbox.bwrap import Sandbox
from bot.verify.baseline import Baselines
from bot.verify.footprint import function_at, names_used, plan_groups, suspects
from bot.verify.impact import ImportGraph
from bot.verify.runs import parallel_map
from bot.verify.suite import is_pytest, parse_test_command
from bot.verify.trial import Candidate, RunRecorder, SetRun, Trials, Why

__all__ = ["Candidate", "Outcome", "Verifier"]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    how: str  # "alone", "in a group of 7 that passed together", ...
    reason: str
    steps: tuple[Step, ...] = ()
    flaky: tuple[str, ...] = ()
    covered: CoveredBy | None = None  # the tests that executed its changed lines, in the run


class Verifier:
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
        fail_fast: bool = False,
        record: RunRecorder | None = None,
        progress: Progress | None = None,
        sandbox: Sandbox = NO_SANDBOX,
        python: str = sys.executable,
    ) -> None:
        self.graph, self.fail_fast = graph, fail_fast
        self.progress: Progress = progress or silent
        self.jobs = max(1, jobs)
        self.trials = Trials(
            repo, base_sha, baselines, env, timeout, log_dir, jobs=self.jobs, graph=graph,
            record=record, progress=self.progress, sandbox=sandbox, python=python,
        )  # fmt: skip
        self._by_key: dict[int, Candidate] = {}
        self._covered = self.trials.covered  # per fix: the first full run that measured it

    @property
    def suite_runs(self) -> int:
        """Full runs of the test command with fixes."""
        return self.trials.suite_runs

    @property
    def partial_runs(self) -> int:
        """Runs of only some tests (the failing ones) with fixes."""
        return self.trials.partial_runs

    # ------------------------------------------------------------------ entry point

    def verify(self, candidates: Sequence[Candidate]) -> dict[int, Outcome]:
        """An outcome for every candidate; runs independent work in parallel."""
        self._by_key.update({c.key: c for c in candidates})
        tasks: list[Callable[[], dict[int, Outcome]]] = []
        runs = 0
        buckets: dict[tuple[str, ...], list[Candidate]] = {}
        for c in candidates:
            if c.grouped:
                buckets.setdefault(c.commands, []).append(c)
            else:
                tasks.append(lambda c=c: {c.key: self._alone(c)})
                runs += len(c.commands)
        for commands, members in buckets.items():
            for group in plan_groups([c.footprint for c in members]):
                keys = tuple(members[i].key for i in group)
                tasks.append(lambda keys=keys: self._settle(keys))
                runs += len(commands)
        if candidates:
            tell(self.progress, Phase.FIX, RunsPlanned(len(candidates), runs, self.jobs))
        return self._parallel(tasks)

    def _parallel(self, tasks: Sequence[Callable[[], dict[int, Outcome]]]) -> dict[int, Outcome]:
        if len(tasks) == 1:
            return tasks[0]()
        out: dict[int, Outcome] = {}
        for result in parallel_map(lambda task: task(), tasks, min(32, len(tasks))):
            out.update(result)
        return out

    # ------------------------------------------------------------------ strategies

    def _settle(
        self,
        keys: tuple[int, ...],
        known: SetRun | None = None,
        why: Why | None = None,
        focus: frozenset[str] | None = None,
    ) -> dict[int, Outcome]:
        """Verify a group; when it fails, find the culprits and verify the rest."""
        run = known or (self._run(keys, why=why, focus=focus) if len(keys) > 1 else None)
        out = self._split(keys, run, why, focus)
        if run is not None and not run.ok and all(o.ok for o in out.values()):
            # Nobody is to blame: the group's failures did not come back in smaller runs.
            flaky = tuple(sorted(run.failures)) or ("the test command",)
            out = {k: replace(o, flaky=o.flaky or flaky) for k, o in out.items()}
        return out

    def _split(
        self,
        keys: tuple[int, ...],
        run: SetRun | None,
        why: Why | None = None,
        focus: frozenset[str] | None = None,
    ) -> dict[int, Outcome]:
        if len(keys) == 1:
            return {keys[0]: self._alone(self._by_key[keys[0]], run, why=why, focus=focus)}
        assert run is not None
        if run.ok:
            how = f"in a group of {len(keys)} that passed together"
            return {k: self._passed(k, how, run) for k in keys}
        focus = run.refocus()
        executed = self._executed_by_failures(run) if focus is not None else None
        if executed is not None:
            return self._by_coverage(keys, run, executed, focus)
        blamed = self._suspects(run) if run.attributable else set()
        if blamed and len(blamed) < len(keys):
            rest = tuple(k for k in keys if k not in blamed)
            self.progress(
                Phase.FIX,
                f"group of {len(keys)} failed; suspecting {len(blamed)}, re-running the rest",
            )
            without: Why = (RunKind.REGROUP, f"a failing group of {len(keys)} without its suspects")
            suspect: Why = (RunKind.ALONE, f"a suspect of a failing group of {len(keys)}")
            return self._parallel(
                [
                    lambda: self._settle(rest, why=without, focus=focus),
                    *(
                        lambda k=k: {
                            k: self._alone(self._by_key[k], strikes=1, why=suspect, focus=focus)
                        }
                        for k in sorted(blamed)
                    ),
                ]
            )
        return self._bisect(keys, focus)

    def _passed(self, key: int, how: str, run: SetRun) -> Outcome:
        covered = run.covered.get(key) or self._covered.get(key)
        return Outcome(True, how, f"{how}: {run.reason}", tuple(run.steps), (), covered)

    def _executed_by_failures(self, run: SetRun) -> dict[int, frozenset[str]] | None:
        """Per fix of a failed run, the new failures that executed its changed lines; None
        when coverage cannot say, or some failure executed no fix (a test that reads a
        changed file, say): then coverage explains nothing and older means must."""
        executed: dict[int, frozenset[str]] = {}
        for key in run.members:
            covered = run.covered.get(key)
            if covered is None or covered.tests is None:
                return None
            executed[key] = frozenset(covered.tests) & frozenset(run.failures)
        explained = frozenset().union(*executed.values())
        return executed if explained == frozenset(run.failures) else None

    def _by_coverage(
        self,
        keys: tuple[int, ...],
        run: SetRun,
        executed: Mapping[int, frozenset[str]],
        focus: frozenset[str],
    ) -> dict[int, Outcome]:
        """A failed group, by what its new failures executed: fixes no failing test ran are
        verified by this run; each one a failing test ran is tried alone on those tests."""
        blamed = sorted(k for k in keys if executed[k])
        self.progress(
            Phase.FIX,
            f"group of {len(keys)} failed; the {len(focus)} new failure(s) executed "
            f"{len(blamed)} of its fixes: trying each alone on the tests that failed",
        )
        how = f"in a group of {len(keys)}: every test that executed it passed"
        ran = run.runs[-1]
        listed = ", ".join(sorted(focus)[:3]) + (
            f" and {len(focus) - 3} more" if len(focus) > 3 else ""
        )
        reason = (
            f"{how}: `{ran.command}`: {ran.tests} tests ran in {ran.duration:.0f}s; the "
            f"{len(focus)} new failure(s) ({listed}) did not execute it"
        )
        out = {
            k: replace(self._passed(k, how, run), reason=reason) for k in keys if not executed[k]
        }
        suspect: Why = (RunKind.ALONE, f"a fix that a failing test of a group of {len(keys)} ran")
        return out | self._parallel(
            [
                lambda k=k: {
                    k: self._alone(
                        self._by_key[k],
                        strikes=1,
                        why=suspect,
                        focus=executed[k],
                        covered=run.covered.get(k),
                    )
                }
                for k in blamed
            ]
        )

    def _bisect(self, keys: tuple[int, ...], focus: frozenset[str] | None) -> dict[int, Outcome]:
        """Split a failing group. If the first half passes, the second half must hold the
        culprit, so it is split again without a run of its own (and a lone fix found that
        way comes with one strike)."""
        self.progress(Phase.FIX, f"group of {len(keys)} failed; nothing to attribute, splitting it")
        half = len(keys) // 2
        first, second = keys[:half], keys[half:]
        out = self._settle(
            first,
            why=(RunKind.BISECT, f"first half of a failing group of {len(keys)}"),
            focus=focus,
        )
        if not all(out[k].ok for k in first):
            why: Why = (RunKind.BISECT, f"second half of a failing group of {len(keys)}")
            return out | self._settle(second, why=why, focus=focus)
        if len(second) == 1:
            return out | {second[0]: self._alone(self._by_key[second[0]], strikes=1, focus=focus)}
        return out | self._bisect(second, focus)

    def _suspects(self, run: SetRun) -> set[int]:
        fixes = {k: self._by_key[k].footprint for k in run.members}
        trees: dict[str, ast.Module | None] = {}

        def unit_at(path: str, line: int) -> tuple[str, str] | None:
            match = next((p for p in run.texts if path == p or path.endswith(f"/{p}")), None)
            if match is None:
                return None
            if match not in trees:
                try:
                    trees[match] = pysource.parse(run.texts[match])
                except (SyntaxError, ValueError):
                    trees[match] = None
            tree = trees[match]
            return (match, function_at(tree, line)) if tree is not None else None

        def test_file(test_id: str) -> str | None:
            if self.graph is None:
                return None
            module = test_id.split("::", 1)[0]
            return self.graph.path_of.get(module) or module.replace(".", "/") + ".py"

        def reach_of_test(test_id: str) -> frozenset[str]:
            path = test_file(test_id)
            return self.graph.reach(path) if self.graph is not None and path else frozenset()

        def names_of_test(test_id: str) -> frozenset[str]:
            path = test_file(test_id)
            source = self.graph.sources.get(path, "") if self.graph is not None and path else ""
            return names_used(source, test_id.split("::", 1)[-1]) if source else frozenset()

        return suspects(run.failures, fixes, unit_at, reach_of_test, names_of_test)

    def _alone(
        self,
        c: Candidate,
        known: SetRun | None = None,
        strikes: int = 0,
        why: Why | None = None,
        focus: frozenset[str] | None = None,
        covered: CoveredBy | None = None,
    ) -> Outcome:
        """One fix by itself; rejected only after two failures with it.

        ``strikes`` counts failures already seen: a suspect whose group failed, and whose
        group passed without it, comes with one, so failing alone settles it. ``focus``:
        only these tests need to run (the rest passed with the fix already); ``covered``:
        who executed the fix in the run that measured it.
        """
        steps: list[Step] = []
        if self.fail_fast and known is None and focus is None:
            related = self._related(c)
            if related:
                first = self._run((c.key,), extra=related, label="related")
                steps += first.steps
                if not first.ok:
                    again = self._run((c.key,), extra=related, label="related-rerun")
                    steps += again.steps
                    if not again.ok:
                        return Outcome(
                            False,
                            "alone",
                            f"the tests related to the change failed twice: {again.reason} "
                            f"(ran first: {', '.join(related)}; the full suite was not needed)",
                            tuple(steps),
                        )
        run = known or self._run((c.key,), why=why, focus=focus)
        steps += run.steps

        def seen(last: SetRun) -> CoveredBy | None:
            return (
                last.covered.get(c.key)
                or covered
                or run.covered.get(c.key)
                or (self._covered.get(c.key))
            )

        if run.ok:
            how = "alone" if not strikes else "alone (its group failed without it passing)"
            if strikes and focus is not None:
                how = "alone (the tests that failed in its group pass with it alone)"
            return Outcome(True, how, f"alone: {run.reason}", tuple(steps), (), seen(run))
        if strikes:
            return Outcome(
                False,
                "alone",
                f"{run.reason} (alone, and in a group whose other fixes passed without it)",
                tuple(steps),
            )
        again = self._run((c.key,), label="rerun", focus=run.refocus())
        steps += again.steps
        if again.ok:
            flaky = tuple(sorted(run.failures))
            names = ", ".join(flaky) or "the test command"
            return Outcome(
                True,
                "alone, after a rerun",
                f"alone: {again.reason}; {names} failed once and passed on a rerun (flaky?)",
                tuple(steps),
                flaky,
                seen(again),
            )
        return Outcome(False, "alone", f"{again.reason} (failed twice)", tuple(steps))

    def _related(self, c: Candidate) -> list[str]:
        if self.graph is None or not all(is_pytest(parse_test_command(cmd))
                                         for cmd in c.commands):  # fmt: skip
            return []
        tests = [p for p in self.graph.sources if p.rsplit("/", 1)[-1].startswith("test_")]
        return self.graph.related_tests(c.changes, tests)

    # ------------------------------------------------------------------ one run

    # ------------------------------------------------------------------ one run

    def _run(
        self,
        keys: tuple[int, ...],
        *,
        extra: Sequence[str] = (),
        label: str = "",
        why: Why | None = None,
        focus: frozenset[str] | None = None,
    ) -> SetRun:
        members = [self._by_key[k] for k in keys]
        return self.trials.run(members, extra=extra, label=label, why=why, focus=focus)
