"""Adapter: the CLI's progress on a terminal, a live display drawn with rich; and which to use.

On a terminal (stderr a TTY, not CI, not ``TERM=dumb``) the night's lines scroll above a
status block that keeps the phase, the fixes verified / rejected / skipped / left, the test
runs and the time (elapsed, and an estimate of what is left) in view. Anywhere else the
lines are plain and timestamped (``bot.report.progress.Lines``); ``--quiet`` says nothing.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta
from types import TracebackType
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from bot.report.progress import (
    Event,
    FixDone,
    Lines,
    Phase,
    Progress,
    RunStarted,
    Tally,
    silent,
)
from bot.report.results import Status

PHASE_STYLES = {
    Phase.SETUP: "blue",
    Phase.FIND: "cyan",
    Phase.FIX: "magenta",
    Phase.PUBLISH: "green",
    Phase.REVIEW: "blue",
}
STATUS_STYLES = {
    Status.VERIFIED: "green",
    Status.REJECTED: "red",
    Status.SKIPPED: "yellow",
    Status.ERRORED: "bold red",
}


def in_ci(env: Mapping[str, str]) -> bool:
    """``CI`` set (to anything but empty, 0 or false), as CI services do."""
    return env.get("CI", "").strip().lower() not in ("", "0", "false")


def on_terminal(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Whether a person watches ``stream`` live: a TTY that can draw, outside CI."""
    isatty = getattr(stream, "isatty", None)
    term = env.get("TERM", "").lower()
    return bool(isatty and isatty()) and not in_ci(env) and term not in ("dumb", "unknown")


@contextlib.contextmanager
def cli_progress(
    quiet: bool, env: Mapping[str, str], stream: TextIO | None = None
) -> Iterator[Progress]:
    """The progress ``nightcrew run`` shows: silent, live on a terminal, else plain lines."""
    out = stream or sys.stderr
    if quiet:
        yield silent
    elif on_terminal(out, env):
        with LiveDisplay(Console(file=out)) as display:
            yield display
    else:
        yield Lines(out)


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


class LiveDisplay:
    """A ``Listener``: lines printed above a status block that rich redraws in place."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.tally = Tally()
        self._lock = threading.Lock()
        self._begun = time.monotonic()
        self._ended: str | None = None  # "done" or "stopped" once the night is over
        self._spinner = Spinner("dots", style="cyan")
        self._live = Live(console=console, get_renderable=self.render, refresh_per_second=4)

    def __enter__(self) -> LiveDisplay:
        self._live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._ended = "done" if kind is None else "stopped"
        self._live.stop()  # draws the block one last time, and leaves it on the screen

    # ------------------------------------------------------------------ progress

    def __call__(self, phase: Phase, message: str, /) -> None:
        with self._lock:
            self.tally.phase = phase
        self._say(message, "")

    def event(self, phase: Phase, event: Event, /) -> None:
        with self._lock:
            self.tally.add(phase, event, time.monotonic())
            runs = self.tally.runs
        if isinstance(event, RunStarted):
            self._say(event.line(runs), "dim cyan")
        elif isinstance(event, FixDone):
            self._say(event.text, STATUS_STYLES[event.status])
        else:
            self._say(event.text, "")

    def _say(self, message: str, style: str) -> None:
        if message:
            line = Text.assemble((time.strftime("%H:%M:%S"), "dim"), " ", (message, style))
            self.console.print(line, soft_wrap=False, overflow="fold")
        self._live.refresh()  # the block under the lines shows what they just said

    # ------------------------------------------------------------------ drawing

    def render(self) -> RenderableType:
        """The status block: phase and fixes done, then the counts and the time."""
        now = time.monotonic()
        with self._lock:
            t = self.tally
            phase, done, left, runs = t.phase, dict(t.done), t.left, t.runs
            running, remaining = len(t.running), t.remaining(now)
            total = t.to_try
        concluded = sum(done.values())
        mark: RenderableType = self._spinner
        if self._ended is not None:
            ok = self._ended == "done"
            mark = Text("✔" if ok else "✘", style="bold green" if ok else "bold red")
        row: list[RenderableType] = [mark, self._phase_text(phase)]
        if total:
            row.append(ProgressBar(total=total, completed=concluded, width=20))
            row.append(Text(f"{concluded}/{total} findings"))
        row.append(Text(f" elapsed {_clock(now - self._begun)}"))
        if remaining is not None and self._ended is None:
            row.append(Text(f" ~{_clock(remaining)} to go", style="dim"))
        head = Table.grid(padding=(0, 1))
        head.add_row(*row)
        counts = Text("  ", no_wrap=True, overflow="ellipsis")
        for status in Status:
            if done.get(status) or status is not Status.ERRORED:
                counts.append(f"{done.get(status, 0)} {status.value}", STATUS_STYLES[status])
                counts.append(" · ", "dim")
        counts.append(f"{left if left is not None else '?'} left", "bold")
        counts.append(" │ ", "dim")
        counts.append(f"{runs} test run{'s' if runs != 1 else ''}")
        counts.append(f", {running} running" if running else "", "dim")
        return Group(head, counts)

    def _phase_text(self, phase: Phase) -> Text:
        if self._ended is not None:
            return Text(f"{self._ended:<8}", style="bold")
        return Text(f"{phase.value:<8}", style=f"bold {PHASE_STYLES[phase]}")
