"""The night's live progress (pure): each line comes with the phase of the night it is in."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Protocol


class Phase(StrEnum):
    """Where in the night a progress line was said; the Action opens a log group per phase."""

    SETUP = "setup"  # config, sandbox, the checkout itself
    FIND = "find"  # recipes, scope, findings
    BASELINE = "baseline"  # the tests on the base commit
    FIX = "fix"  # fix, guard, checks and verification of each finding
    PUBLISH = "publish"  # branches, patches, pull requests, end-of-night tidying
    REVIEW = "review"  # the bot answering a PR event


class Progress(Protocol):
    def __call__(self, phase: Phase, message: str, /) -> None: ...


def to_stderr(phase: Phase, message: str, /) -> None:
    """The CLI's progress: one line on stderr each."""
    del phase
    print(f"nightcrew: {message}", file=sys.stderr, flush=True)


def silent(phase: Phase, message: str, /) -> None:
    """``--quiet``."""
    del phase, message
