"""Progress events, what they add up to, and the plain printers (issue 13, item 6)."""

from __future__ import annotations

import io
import re

import pytest

from bot.report.progress import (
    FindingsToTry,
    FixDone,
    Lines,
    Phase,
    RunFinished,
    RunKind,
    RunsPlanned,
    RunStarted,
    Tally,
    tell,
)
from bot.report.results import Status

GROUP = RunStarted(RunKind.GROUP, "2 fixes: a.py:1 ruff:C414, b.py:2 ruff:C414", "pytest -q")
BASELINE = RunStarted(RunKind.BASELINE, "the base commit 0123456789", "pytest -q")


def test_a_plain_progress_gets_each_event_as_its_line():
    said: list[tuple[Phase, str]] = []
    for phase, event in [
        (Phase.FIND, FindingsToTry(3)),
        (Phase.FIX, BASELINE),
        (Phase.FIX, RunFinished(RunKind.BASELINE, 1.0)),  # no line of its own
        (Phase.FIX, FixDone(Status.SKIPPED, "")),  # no line of its own
        (Phase.FIX, RunsPlanned(fixes=2, runs=1, jobs=4)),
        (Phase.FIX, GROUP),
        (Phase.FIX, FixDone(Status.VERIFIED, "verified a.py:1 ruff:C414 -> nightcrew/x")),
    ]:
        tell(lambda p, m: said.append((p, m)), phase, event)
    assert said == [
        (Phase.FIND, "3 finding(s) to try"),
        (Phase.FIX, "test run (baseline): `pytest -q` — the base commit 0123456789"),
        (Phase.FIX, "verifying 2 fix(es) in 1 test run(s) (more if one fails)"),
        (Phase.FIX, "test run (group): `pytest -q` — 2 fixes: a.py:1 ruff:C414, b.py:2 ruff:C414"),
        (Phase.FIX, "verified a.py:1 ruff:C414 -> nightcrew/x"),
    ]


def test_lines_are_timestamped_and_number_the_test_runs():
    stream = io.StringIO()
    lines = Lines(stream)
    lines(Phase.SETUP, "hello")
    for event in (BASELINE, RunFinished(RunKind.BASELINE, 1.0), GROUP):
        tell(lines, Phase.FIX, event)
    out = stream.getvalue().splitlines()
    assert len(out) == 3
    assert all(re.match(r"\d\d:\d\d:\d\d nightcrew: ", line) for line in out), out
    assert out[1].endswith(
        "nightcrew: test run 1 (baseline): `pytest -q` — the base commit 0123456789"
    )
    assert "nightcrew: test run 2 (group): `pytest -q` — 2 fixes: a.py:1" in out[2]


def _night_so_far() -> Tally:
    tally = Tally()
    tally.add(Phase.FIND, FindingsToTry(5), now=0.0)
    tally.add(Phase.FIX, BASELINE, now=0.0)
    tally.add(Phase.FIX, RunFinished(RunKind.BASELINE, 10.0), now=10.0)
    return tally


def test_the_tally_counts_fixes_and_runs():
    tally = _night_so_far()
    tally.add(Phase.FIX, FixDone(Status.SKIPPED, "skipped x: no fix"), now=11.0)
    tally.add(Phase.FIX, RunsPlanned(fixes=4, runs=2, jobs=2), now=11.0)
    tally.add(Phase.FIX, GROUP, now=11.0)
    tally.add(Phase.FIX, GROUP, now=11.0)
    tally.add(Phase.FIX, RunFinished(RunKind.GROUP, 9.0), now=20.0)
    for status in (Status.VERIFIED, Status.VERIFIED, Status.REJECTED):
        tally.add(Phase.FIX, FixDone(status, "..."), now=20.0)
    assert tally.phase is Phase.FIX
    assert (tally.to_try, tally.concluded, tally.left) == (5, 4, 1)
    assert tally.done == {Status.VERIFIED: 2, Status.REJECTED: 1, Status.SKIPPED: 1}
    # The time a run takes: the baseline's 10 s and the group's 9 s, on average.
    assert (tally.runs, len(tally.running), tally.baseline) == (3, 1, 9.5)


@pytest.mark.parametrize(
    ("events", "now", "expected"),
    [
        pytest.param([], 10.0, 10.0, id="fixes-being-prepared-one-run-to-come"),
        pytest.param([RunsPlanned(4, 3, jobs=1)], 10.0, 30.0, id="three-runs-one-at-a-time"),
        pytest.param([RunsPlanned(4, 3, jobs=2)], 10.0, 20.0, id="three-runs-two-at-a-time"),
        pytest.param([RunsPlanned(4, 1, jobs=2), GROUP], 14.0, 6.0, id="one-under-way-4s-in"),
        pytest.param(
            [RunsPlanned(4, 3, jobs=2), GROUP], 14.0, 16.0, id="one-under-way-two-to-start"
        ),
        pytest.param([RunsPlanned(4, 1, jobs=1), GROUP], 30.0, 0.0, id="a-run-over-its-time"),
    ],
)
def test_the_estimate_comes_from_the_baseline_and_the_runs_left(events, now, expected):
    tally = _night_so_far()
    for event in events:
        tally.add(Phase.FIX, event, now=10.0)
    assert tally.remaining(now) == pytest.approx(expected)


def test_no_estimate_before_the_baseline_and_none_left_when_all_is_done():
    tally = Tally()
    tally.add(Phase.FIND, FindingsToTry(1), now=0.0)
    assert tally.remaining(1.0) is None
    tally = _night_so_far()
    for _ in range(5):
        tally.add(Phase.FIX, FixDone(Status.VERIFIED, "..."), now=20.0)
    assert tally.remaining(20.0) == 0.0
