"""The night's progress (pure): lines said in a phase of the night, and the events shown as counts.

A progress is any callable ``(phase, message)``: the CLI's printers, the Action's log groups,
a test's list. Some of what the night says is also an *event* (a test run starts, a fix is
concluded, the findings to try are known): ``tell`` hands an event as a value to a progress
that listens for events (a ``Listener``: the live display, the timestamped lines) and as its
line of text to any other. ``Tally`` is what the events add up to: counts and an estimate.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TextIO, runtime_checkable

from bot.report.results import Status


class Phase(StrEnum):
    """Where in the night a progress line was said; the Action opens a log group per phase."""

    SETUP = "setup"  # config, sandbox, the checkout itself
    FIND = "find"  # recipes, scope, findings
    FIX = "fix"  # fix, guard, checks and verification of each finding (fixes run first; the
    # base commit's runs, of only what failed, are part of it)
    PUBLISH = "publish"  # branches, patches, pull requests, end-of-night tidying
    REVIEW = "review"  # the bot answering a PR event


class Progress(Protocol):
    def __call__(self, phase: Phase, message: str, /) -> None: ...


@runtime_checkable
class Listener(Protocol):
    """A progress that also takes events as values (``tell`` gives them to it)."""

    def __call__(self, phase: Phase, message: str, /) -> None: ...

    def event(self, phase: Phase, event: Event, /) -> None: ...


# ---------------------------------------------------------------------------- events


class RunKind(StrEnum):
    """What a test run is for."""

    BASELINE = "baseline"  # a test command on the base commit
    GROUP = "group"  # several fixes applied together
    ALONE = "alone"  # one fix by itself
    REGROUP = "regroup"  # a failing group again, without the fixes its failures point at
    BISECT = "bisect"  # half of a failing group that no failure points into
    RERUN = "rerun"  # a fix that failed once, once more
    RELATED = "related"  # --fail-fast: only the tests that import the changed modules


@dataclass(frozen=True)
class RunStarted:
    kind: RunKind
    what: str  # "group of 3 fixes: pkg/a.py:3 ruff:C414, ..."
    command: str

    def line(self, number: int | None = None) -> str:
        label = f"test run {number}" if number else "test run"
        return f"{label} ({self.kind.value}): `{self.command}` — {self.what}"

    @property
    def text(self) -> str:
        return self.line()


@dataclass(frozen=True)
class RunFinished:
    kind: RunKind
    duration: float
    text: str = ""  # no line of its own: what came of the run is said next


@dataclass(frozen=True)
class FindingsToTry:
    count: int

    @property
    def text(self) -> str:
        return f"{self.count} finding(s) to try"


@dataclass(frozen=True)
class RunsPlanned:
    fixes: int
    runs: int  # the runs planned for them, before any failure asks for more
    jobs: int

    @property
    def text(self) -> str:
        at_once = min(self.jobs, self.runs)
        return (
            f"verifying {self.fixes} fix(es) in {self.runs} test run(s)"
            + (f", {at_once} at a time" if at_once > 1 else "")
            + " (more if one fails)"
        )


@dataclass(frozen=True)
class FixDone:
    status: Status
    text: str  # "" for a finding left for a later night: one line says so for all of them


Event = RunStarted | RunFinished | FindingsToTry | RunsPlanned | FixDone


def tell(progress: Progress, phase: Phase, event: Event) -> None:
    """The event to a ``Listener``; its line (when it has one) to any other progress."""
    if isinstance(progress, Listener):
        progress.event(phase, event)
    elif event.text:
        progress(phase, event.text)


# ---------------------------------------------------------------------------- counting


# Runs that (as a rule) run every test: what the time left is guessed from.
_WHOLE_SUITE = frozenset({RunKind.BASELINE, RunKind.GROUP, RunKind.ALONE})


@dataclass
class Tally:
    """The night so far, from its events: counts, and a guess at the time left."""

    phase: Phase = Phase.SETUP
    to_try: int | None = None
    done: Counter[Status] = field(default_factory=Counter)
    runs: int = 0  # test runs started, the baseline's included
    baselines: list[float] = field(default_factory=list)  # seconds of runs of every test
    planned: int = 0  # verification runs planned (grows when failures ask for more)
    started: int = 0  # verification runs started
    jobs: int = 1
    running: list[float] = field(default_factory=list)  # start times of runs under way

    def add(self, phase: Phase, event: Event, now: float) -> None:
        self.phase = phase
        if isinstance(event, FindingsToTry):
            self.to_try = (self.to_try or 0) + event.count
        elif isinstance(event, FixDone):
            self.done[event.status] += 1
        elif isinstance(event, RunsPlanned):
            self.planned = self.started + event.runs
            self.jobs = max(1, event.jobs)
        elif isinstance(event, RunStarted):
            self.runs += 1
            self.running.append(now)
            if event.kind is not RunKind.BASELINE:
                self.started += 1
                self.planned = max(self.planned, self.started)
        elif isinstance(event, RunFinished):
            if self.running:
                self.running.pop(0)
            if event.kind in _WHOLE_SUITE:
                self.baselines.append(event.duration)

    @property
    def baseline(self) -> float | None:
        """How long one test run takes: the first runs of every test (the fixes' and the
        base commit's), on average."""
        return sum(self.baselines) / len(self.baselines) if self.baselines else None

    @property
    def concluded(self) -> int:
        return sum(self.done.values())

    @property
    def left(self) -> int | None:
        return None if self.to_try is None else max(self.to_try - self.concluded, 0)

    def remaining(self, now: float) -> float | None:
        """Seconds left, guessed from the baseline's duration and the runs still to make."""
        per_run = self.baseline
        if per_run is None or self.left is None:
            return None
        if not self.left:
            return 0.0
        queued = max(self.planned - self.started, 0)
        if not queued and not self.running:
            queued = 1  # fixes are being prepared: at least one run is still to come
        # When each of the ``jobs`` slots is free again; each run still to come takes the first.
        free = [max(per_run - (now - t), 0.0) for t in self.running]
        free += [0.0] * max(self.jobs - len(free), 0)
        heapq.heapify(free)
        for _ in range(queued):
            heapq.heapreplace(free, free[0] + per_run)
        return max(free)


# ---------------------------------------------------------------------------- printers


def _stamped(message: str) -> str:
    return f"{time.strftime('%H:%M:%S')} nightcrew: {message}"


def to_stderr(phase: Phase, message: str, /) -> None:
    """Progress as plain lines on stderr, each with the time."""
    del phase
    print(_stamped(message), file=sys.stderr, flush=True)


class Numbering:
    """Events as lines for a printer of lines: test runs numbered in the order they start."""

    def __init__(self) -> None:
        self._runs = itertools.count(1)  # next() on it is atomic: runs start in many threads

    def line(self, event: Event) -> str:
        return event.line(next(self._runs)) if isinstance(event, RunStarted) else event.text


class Lines:
    """The CLI's progress off a terminal and in CI: timestamped lines, test runs numbered."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream  # None: sys.stderr when a line is printed
        self.numbering = Numbering()

    def __call__(self, phase: Phase, message: str, /) -> None:
        del phase
        print(_stamped(message), file=self.stream or sys.stderr, flush=True)

    def event(self, phase: Phase, event: Event, /) -> None:
        if line := self.numbering.line(event):
            self(phase, line)


def silent(phase: Phase, message: str, /) -> None:
    """``--quiet``."""
    del phase, message
