"""The base commit's test results, asked for only when a run with fixes needs them.

Fixes run first (``bot.verify.grouped``). A run in which every test passes needs nothing
from the base commit. A run in which some tests fail asks ``Baselines.failing`` which of
those fail on the base commit too: only they run there, by their JUnit ids
(``bot.verify.selection``), once each a night. Anything else (a timeout, pytest broken or
without a report, a command that is not pytest failing) asks for the full ``Baselines.full``
run, the old baseline, made at most once per command.

A command that does not exist, hangs, or can verify nothing on the base commit (a broken
suite: bot.verify.compare.broken_baseline) is bad input: the full run raises a UserError,
which ends the night before any fix of the batch is published (and before any branch,
patch or PR of it is made). Base runs take turns in the night's base worktree.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bot.errors import UserError
from bot.report.document import NightReport, TestRunRecord
from bot.report.progress import Phase, Progress, RunFinished, RunKind, RunStarted, tell
from bot.report.results import NoteKind
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.environment import redact_env, test_env
from bot.verify import selection
from bot.verify.broken import broken_suite
from bot.verify.compare import broken_baseline, derive_timeout
from bot.verify.interpreter import Interpreter
from bot.verify.runs import TestRun, run_tests
from bot.verify.suite import PYTEST_BROKEN, is_pytest, parse_test_command

LOG_READ_BYTES = 4 * 1024 * 1024  # of a broken baseline's log, searched for its first error


def record(purpose: str, run: TestRun) -> TestRunRecord:
    """A test run, as the report lists it."""
    return TestRunRecord(
        purpose=purpose,
        command=run.command,
        returncode=run.returncode,
        duration=run.duration,
        tests=run.tests,
        failed=tuple(sorted(run.failed or ())),
        timed_out=run.timed_out,
        log=str(run.log_path) if run.log_path else None,
    )


class Baselines:
    """The base commit's runs of each test command: the full run, and runs of some tests."""

    def __init__(
        self,
        tree: Path,
        env: Mapping[str, str],
        *,
        base_sha: str,
        timeout: float,
        log_dir: Path,
        sandbox: Sandbox,
        report: NightReport,
        progress: Progress,
        interpreter: Interpreter,
    ) -> None:
        self.tree, self.env, self.base_sha = tree, env, base_sha
        self.ceiling, self.log_dir = timeout, log_dir
        self.sandbox, self.report, self.progress = sandbox, report, progress
        self.interpreter = interpreter
        self._full: dict[str, TestRun] = {}
        self._broken: dict[str, UserError] = {}
        self._fails: dict[str, dict[str, bool]] = {}  # command -> test id -> fails on base
        self._durations: dict[str, float] = {}  # command -> the fastest full run seen
        self._lock = threading.RLock()
        self.full_runs = 0
        self.partial_runs = 0

    # -------------------------------------------------------------------- asking

    def full(self, command: str) -> TestRun:
        """The command's run of every test on the base commit, made once (or its UserError)."""
        with self._lock:
            if command in self._broken:
                raise self._broken[command]
            if command not in self._full:
                try:
                    self._full[command] = self._run_full(command)
                except UserError as error:
                    self._broken[command] = error
                    raise
            return self._full[command]

    def failing(self, command: str, tests: Iterable[str]) -> frozenset[str]:
        """Which of ``tests`` (JUnit ids) fail on the base commit; runs the unknown ones."""
        wanted = set(tests)
        with self._lock:
            if command in self._full:
                return frozenset(wanted & (self._full[command].failed or frozenset()))
            known = self._fails.setdefault(command, {})
            unknown = sorted(t for t in wanted if t not in known)
            run = None
            if unknown and all(selection.selectable(t) for t in unknown):
                run = self._run_some(command, unknown)
            if unknown and run is None:  # only the full run can say: make it, and read it
                self.full(command)
                return self.failing(command, wanted)
            if run is not None:
                for test in unknown:
                    known[test] = test in (run.failed or frozenset())
            failing = frozenset(t for t in wanted if known.get(t))
            if failing and unknown:
                self.report.note(
                    NoteKind.BASELINE_FAILING,
                    f"`{command}`: {len(failing)} test(s) that fail with the fixes fail on the "
                    "base commit too; fixes are judged on new failures only",
                )
            return failing

    def saw(self, command: str, run: TestRun) -> None:
        """A full run with fixes finished: its duration sets later runs' timeouts."""
        if run.timed_out or run.not_found:
            return
        with self._lock:
            self._durations[command] = min(self._durations.get(command, run.duration), run.duration)

    def timeout(self, command: str) -> float:
        """A run's time limit: derived from the fastest full run seen, else the ceiling."""
        with self._lock:
            seen = self._durations.get(command)
        return self.ceiling if seen is None else derive_timeout(seen, self.ceiling)

    @property
    def ran_full(self) -> bool:
        return bool(self._full or self._broken)

    # -------------------------------------------------------------------- running

    def _environment(self) -> dict[str, str]:
        return test_env(self.env, self.tree, self.interpreter.path)

    def _run_some(self, command: str, tests: Sequence[str]) -> TestRun | None:
        """The base commit's run of just ``tests``; None when it cannot say (not pytest,
        broken, no report): then the full run is needed."""
        if not is_pytest(parse_test_command(command)):
            return None
        shown = ", ".join(tests[:3]) + (f" and {len(tests) - 3} more" if len(tests) > 3 else "")
        started = RunStarted(
            RunKind.BASELINE,
            f"the {len(tests)} failing test(s) on the base commit {self.base_sha[:10]}: {shown}",
            command,
        )
        tell(self.progress, Phase.FIX, started)
        run = run_tests(
            command,
            self.tree,
            self._environment(),
            self.timeout(command),
            self.log_dir,
            "baseline-some",
            python=self.interpreter.path,
            sandbox=self.sandbox,
            select=tests,
        )
        tell(self.progress, Phase.FIX, RunFinished(RunKind.BASELINE, run.duration))
        self.partial_runs += 1
        self.report.test_runs.append(record(f"baseline of {len(tests)} test(s)", run))
        usable = run.junit is not None and not run.timed_out and run.returncode not in PYTEST_BROKEN
        return run if usable else None

    def _run_full(self, command: str) -> TestRun:
        started = RunStarted(RunKind.BASELINE, f"the base commit {self.base_sha[:10]}", command)
        tell(self.progress, Phase.FIX, started)
        python = self.interpreter.path
        run = run_tests(
            command,
            self.tree,
            self._environment(),
            self.ceiling,
            self.log_dir,
            "baseline",
            python=python,
            sandbox=self.sandbox,
        )
        tell(self.progress, Phase.FIX, RunFinished(RunKind.BASELINE, run.duration))
        self.full_runs += 1
        if run.not_found:
            raise UserError(
                f"test command `{command}` was not found: set `test_command` in "
                ".github/nightcrew.yml (or the recipe's verify.commands) to one that runs here",
                field="test_command",
            )
        if run.timed_out:
            raise UserError(
                f"test command `{command}` did not finish within {self.ceiling:.0f}s "
                "on the base commit: fix the hang or raise `limits.test_timeout`",
                field="test_command",
            )
        self.report.test_runs.append(record("baseline", run))
        broken = broken_baseline(run)
        if broken is not None:
            raise broken_suite(
                command,
                broken,
                _log_text(run, self.env),
                str(run.log_path) if run.log_path else None,
                self.interpreter.describe(),
                python,
                no_tests=run.junit is not None and run.junit.tests == 0,
            )
        self.saw(command, run)
        failing = len(run.failed or ())
        self.progress(
            Phase.FIX,
            f"baseline: {run.tests if run.tests is not None else '?'} tests, "
            f"{failing} already failing, {run.duration:.1f}s",
        )
        if failing:
            self.report.note(
                NoteKind.BASELINE_FAILING,
                f"`{command}` already fails {failing} test(s) on the base commit; "
                "fixes are judged on new failures only",
            )
        return run


def _log_text(run: TestRun, env: Mapping[str, str]) -> str:
    """The start of a run's log (where a collection error is), secrets redacted."""
    text = run.output_tail
    if run.log_path is not None:
        try:
            with open(run.log_path, "rb") as log:
                text = log.read(LOG_READ_BYTES).decode("utf-8", errors="replace")
        except OSError:
            pass
    return redact_env(text, env)
