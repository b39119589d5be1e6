"""The pytest plugin of Nightcrew's coverage runs: each test's lines under its JUnit id.

``bot.verify.coverage`` copies this file beside the run as ``_nightcrew_contexts.py`` and
loads it with ``-p``, in the project's interpreter: it imports only pytest and coverage, and
keeps to syntax every Python 3 that coverage 6 runs on reads. Around each test (setup, call
and teardown) it switches coverage's dynamic context to the id pytest's JUnit report gives
the test, so the data says which test ran which line; ``_seen`` runs inside each context,
so a measured copy of this file names every test coverage saw (none: coverage did not see
the tests, pytest-xdist's workers, say).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import coverage
import pytest


def _junit_id(item: Any) -> str:
    """``classname::name`` as pytest's JUnit report writes it (``bot.verify.junit.case_id``)."""
    path, bracket, params = str(item.nodeid).partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    prefix = getattr(item.config.option, "junitprefix", None)
    classnames = ([prefix] if prefix else []) + names[:-1]
    return ".".join(classnames) + "::" + names[-1] if classnames else names[-1]


def _seen() -> None:
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Iterator[None]:
    del nextitem
    measuring = coverage.Coverage.current()
    if measuring is not None:
        measuring.switch_context(_junit_id(item))
        _seen()
    try:
        yield
    finally:
        if measuring is not None:
            measuring.switch_context("")
