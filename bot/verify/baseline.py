"""The baseline: each test command once on the base commit, before any fix is tried.

A command that does not exist, hangs, or can verify nothing on the base commit (a broken
suite: bot.verify.compare.broken_baseline) is bad input: the night stops here, before any
fix is tried and before any branch, patch or PR is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.errors import UserError
from bot.report.document import NightReport, TestRunRecord
from bot.report.progress import Phase, Progress, RunFinished, RunKind, RunStarted, tell
from bot.report.results import NoteKind
from bot.sandbox.bwrap import Sandbox
from bot.sandbox.environment import redact_env, test_env
from bot.verify.broken import broken_suite
from bot.verify.compare import broken_baseline
from bot.verify.interpreter import Interpreter
from bot.verify.runs import TestRun, run_tests

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


def run_baselines(
    commands: Sequence[str],
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
) -> dict[str, TestRun]:
    """Each command's run on the base tree, recorded in the report."""
    baselines: dict[str, TestRun] = {}
    if not commands:
        return baselines
    report.test_command = " && ".join(commands)
    python = interpreter.path
    test_environment = test_env(env, tree, python)
    for command in commands:
        started = RunStarted(RunKind.BASELINE, f"the base commit {base_sha[:10]}", command)
        tell(progress, Phase.BASELINE, started)
        run = run_tests(
            command,
            tree,
            test_environment,
            timeout,
            log_dir,
            "baseline",
            python=python,
            sandbox=sandbox,
        )
        tell(progress, Phase.BASELINE, RunFinished(RunKind.BASELINE, run.duration))
        if run.not_found:
            raise UserError(
                f"test command `{command}` was not found: set `test_command` in "
                ".github/nightcrew.yml (or the recipe's verify.commands) to one that runs here",
                field="test_command",
            )
        if run.timed_out:
            raise UserError(
                f"test command `{command}` did not finish within {timeout:.0f}s "
                "on the base commit: fix the hang or raise `limits.test_timeout`",
                field="test_command",
            )
        baselines[command] = run
        report.test_runs.append(record("baseline", run))
        broken = broken_baseline(run)
        if broken is not None:
            raise broken_suite(
                command,
                broken,
                _log_text(run, env),
                str(run.log_path) if run.log_path else None,
                interpreter.describe(),
                python,
                no_tests=run.junit is not None and run.junit.tests == 0,
            )
        failing = len(run.failed or ())
        progress(
            Phase.BASELINE,
            f"baseline: {run.tests if run.tests is not None else '?'} tests, "
            f"{failing} already failing, {run.duration:.1f}s",
        )
        if failing:
            report.note(
                NoteKind.BASELINE_FAILING,
                f"`{command}` already fails {failing} test(s) on the base commit; "
                "fixes are judged on new failures only",
            )
    return baselines


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
