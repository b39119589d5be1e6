"""Judging test runs (pure): a fix's run on its own, against the base commit's run of the tests
that failed, or against a full baseline; timeouts from a run's duration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.verify.junit import JUnitResult
from bot.verify.runs import MIN_TIMEOUT, TestRun
from bot.verify.suite import CONFIG_HINT, PYTEST_BROKEN


def derive_timeout(baseline_duration: float, ceiling: float) -> float:
    """``min(ceiling, max(60, 3 * baseline + 30))`` seconds.

    Three times the baseline absorbs a busy runner and parallel worktrees; 30 s covers
    start-up; 60 s is the floor so a fast suite is not killed by a hiccup; the ceiling is
    the configured limit.
    """
    return min(ceiling, max(MIN_TIMEOUT, 3 * baseline_duration + 30))


@dataclass(frozen=True)
class Comparison:
    ok: bool
    reason: str
    new_failures: tuple[str, ...] = ()


def _listed(ids: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _not_found(run: TestRun) -> str:
    return (
        f"the test command `{run.command}` was not found; {CONFIG_HINT} "
        "to the command that runs your tests"
    )


def baseline_problem(run: TestRun) -> str | None:
    """Why this baseline run cannot verify anything, or None if it can.

    A night stops on such a baseline (bot.verify.baseline); a fix compared with one is
    rejected saying why.
    """
    if run.not_found:
        return _not_found(run)
    if run.timed_out:
        return (
            f"the baseline run timed out after {run.timeout:.0f}s, so nothing could be "
            f"verified; raise the timeout or {CONFIG_HINT} to a faster command"
        )
    broken = broken_baseline(run)
    if broken is None:
        return None
    hint = f"; {CONFIG_HINT}" if run.junit is not None and run.junit.tests == 0 else ""
    return f"{broken}, so it cannot verify any fix{hint}"


def broken_baseline(run: TestRun) -> str | None:
    """What is wrong with a baseline that ran to its end but passed no test, or None.

    pytest (with its report): it was interrupted, failed inside or was called wrongly
    (exit 2, 3, 4), collected no test, or no test passed. pytest without a report: it
    failed before it could write one (``No module named pytest``). Any other command: it
    failed.
    """
    if run.junit is not None:
        if run.returncode in PYTEST_BROKEN:
            return (
                f"on the base commit pytest {PYTEST_BROKEN[run.returncode]} (exit {run.returncode})"
            )
        if run.junit.tests == 0:
            return f"on the base commit `{run.command}` ran no tests"
        if not run.junit.passed:
            return (
                f"on the base commit no test of `{run.command}` passes ({len(run.junit.failed)} "
                f"failing, {run.junit.skipped} skipped)"
            )
        return None
    if run.pytest and run.returncode != 0:
        what = (
            f"pytest {PYTEST_BROKEN[run.returncode]}"
            if run.returncode in PYTEST_BROKEN
            else f"`{run.command}` did not run its tests"
        )
        why = run.junit_problem or "pytest wrote no JUnit report"
        return f"on the base commit {what} (exit {run.returncode}; {why})"
    if run.returncode != 0:
        return f"`{run.command}` already fails on the base commit (exit {run.returncode})"
    return None


def _compare_junit(base: TestRun, base_junit: JUnitResult, run: TestRun) -> Comparison:
    junit = run.junit
    if junit is None:
        detail = f": {run.junit_problem}" if run.junit_problem else ""
        return Comparison(
            False, f"pytest exited {run.returncode} without a readable report{detail}"
        )
    new = tuple(sorted(junit.failed - base_junit.failed))
    if run.returncode in PYTEST_BROKEN:
        extra = f"; new failures: {_listed(new)}" if new else ""
        return Comparison(
            False, f"pytest {PYTEST_BROKEN[run.returncode]} (exit {run.returncode}){extra}", new
        )
    if junit.tests == 0:
        return Comparison(False, f"no tests ran (the baseline ran {base_junit.tests})")
    if new:
        return Comparison(False, f"{len(new)} new failing test(s): {_listed(new)}", new)
    vanished = sorted(base_junit.ids - junit.ids)
    if vanished:
        return Comparison(
            False, f"{len(vanished)} test(s) from the baseline did not run: {_listed(vanished)}"
        )
    newly_skipped = sorted((junit.skipped_ids - base_junit.skipped_ids) - base_junit.failed)
    if newly_skipped:
        return Comparison(
            False, f"{len(newly_skipped)} test(s) now skipped: {_listed(newly_skipped)}"
        )
    if run.returncode != 0 and base.returncode == 0:
        return Comparison(
            False,
            f"pytest exited {run.returncode} though no test failed "
            "(a coverage threshold or a session-level error?)",
        )
    already = len(base_junit.failed)
    note = f"; {already} already failing on the base commit" if already else ""
    return Comparison(
        True, f"no new failures: {junit.tests} tests ran in {run.duration:.0f}s{note}"
    )


def compare(baseline: TestRun, run: TestRun) -> Comparison:
    """Accept a fix's test run only if it fails nothing the baseline did not.

    With pytest reports on both sides that means: not timed out, pytest really ran (exit
    not 2/3/4, some tests), no failing test that passed in the baseline, and no baseline
    test that vanished or became skipped. Other commands are judged by exit status.
    """
    if run.not_found:
        return Comparison(False, _not_found(run))
    problem = baseline_problem(baseline)
    if problem:
        return Comparison(False, problem)
    if run.timed_out:
        return Comparison(
            False,
            f"tests timed out after {run.timeout:.0f}s (baseline took {baseline.duration:.0f}s)",
        )
    if baseline.junit is not None:
        return _compare_junit(baseline, baseline.junit, run)
    if run.returncode != 0:
        return Comparison(False, f"`{run.command}` failed (exit {run.returncode})")
    return Comparison(True, f"`{run.command}` passed in {run.duration:.0f}s")


# --------------------------------------------------------------------------- fixes first


def passed_outright(run: TestRun) -> Comparison | None:
    """A run with fixes that needs no baseline to be judged, or None when it does.

    pytest with its report: it exited 0, tests ran, some passed, none failed. Any other
    command: it exited 0. Everything else (a failure, a timeout, pytest broken or without a
    report) is judged against the base commit.
    """
    if run.not_found or run.timed_out:
        return None
    junit = run.junit
    if junit is not None:
        if run.returncode == 0 and junit.passed and not junit.failed:
            return Comparison(
                True,
                f"all {junit.tests} tests passed in {run.duration:.0f}s "
                "(nothing failed, so no baseline was needed)",
            )
        return None
    if run.pytest or run.returncode != 0:
        return None
    return Comparison(True, f"`{run.command}` passed in {run.duration:.0f}s")


def ordinary_failures(run: TestRun) -> bool:
    """pytest ran to its end and some tests failed (exit 1): which of them are new is for
    the base commit's run of just those tests to say (``against_failing``)."""
    junit = run.junit
    return (
        junit is not None
        and not run.timed_out
        and run.returncode == 1
        and bool(junit.failed)
        and bool(junit.ids - junit.failed - junit.skipped_ids)
    )


def against_failing(run: TestRun, failing_on_base: frozenset[str]) -> Comparison:
    """A run with ordinary failures judged by which of them fail on the base commit too."""
    assert run.junit is not None
    junit = run.junit
    new = tuple(sorted(junit.failed - failing_on_base))
    if new:
        return Comparison(False, f"{len(new)} new failing test(s): {_listed(new)}", new)
    return Comparison(
        True,
        f"no new failures: {junit.tests} tests ran in {run.duration:.0f}s; the "
        f"{len(junit.failed)} failing fail on the base commit too",
    )


def focused(run: TestRun, tests: frozenset[str]) -> Comparison:
    """A run of only ``tests`` (new failures of a bigger run): ok when they all pass now."""
    junit = run.junit
    if run.timed_out:
        return Comparison(False, f"the failing tests timed out after {run.timeout:.0f}s")
    if junit is None:
        detail = f": {run.junit_problem}" if run.junit_problem else ""
        return Comparison(
            False, f"pytest exited {run.returncode} without a readable report{detail}"
        )
    still = tuple(sorted(junit.failed & tests))
    if still:
        return Comparison(False, f"{len(still)} new failing test(s): {_listed(still)}", still)
    if run.returncode in PYTEST_BROKEN:
        return Comparison(False, f"pytest {PYTEST_BROKEN[run.returncode]} (exit {run.returncode})")
    ran = junit.ids & tests
    if not ran:
        return Comparison(False, "none of the tests that failed could be run again")
    return Comparison(True, f"the {len(ran)} test(s) that failed with more fixes pass without them")
