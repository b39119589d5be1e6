"""The pytest plugin of Nightcrew's test runs: each test's lines under its JUnit id, and
the runs of only some tests.

``bot.verify.coverage`` copies this file beside the run as ``_nightcrew_contexts.py`` and
loads it with ``-p``, in the project's interpreter: it imports only pytest (and coverage
when it is there), and keeps to syntax every Python 3 that coverage 6 runs on reads.

- Coverage runs: around each test (setup, call and teardown) it switches coverage's dynamic
  context to the id pytest's JUnit report gives the test, so the data says which test ran
  which line; ``_seen`` runs inside each context, so a measured copy of this file names
  every test coverage saw (none: coverage did not see the tests, pytest-xdist's workers, say).
- Runs of some tests (``bot.verify.selection``): when ``NIGHTCREW_SELECT`` names a file of
  JUnit ids, one a line, every collected test whose id is not in it is deselected, so a
  failing test is re-run by the id the report gave it, parametrised or not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

try:
    import coverage
except ImportError:  # a selection-only run in an interpreter without coverage
    coverage = None  # type: ignore[assignment]

SELECT = "NIGHTCREW_SELECT"


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
    measuring = coverage.Coverage.current() if coverage is not None else None
    if measuring is not None:
        measuring.switch_context(_junit_id(item))
        _seen()
    try:
        yield
    finally:
        if measuring is not None:
            measuring.switch_context("")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    del session
    path = os.environ.get(SELECT)
    if not path:
        return
    with open(path, encoding="utf-8") as fh:
        wanted = {line for line in fh.read().splitlines() if line}
    keep = [item for item in items if _junit_id(item) in wanted]
    dropped = [item for item in items if _junit_id(item) not in wanted]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
