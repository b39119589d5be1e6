"""Read the JUnit XML report pytest writes (``--junitxml``) into a small result value."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import NightcrewError


class JUnitError(NightcrewError, ValueError):
    """The report is not well-formed JUnit XML."""


@dataclass(frozen=True)
class JUnitResult:
    """Test ids (``classname::name``) by outcome; failed includes errored."""

    ids: frozenset[str]
    failed: frozenset[str]
    errors: frozenset[str]  # the subset of ``failed`` that errored (setup, collection)
    skipped_ids: frozenset[str]
    # Failure text (message and traceback) per failed test, for attributing failures.
    details: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tests(self) -> int:
        return len(self.ids)

    @property
    def skipped(self) -> int:
        return len(self.skipped_ids)

    @property
    def passed(self) -> frozenset[str]:
        return self.ids - self.failed - self.skipped_ids


def case_id(testcase: ET.Element) -> str:
    """``classname::name``, else ``file::name``, else ``name``.

    pytest's collection errors have an empty classname and the module as their name.
    """
    name = testcase.get("name", "")
    prefix = testcase.get("classname") or testcase.get("file") or ""
    return f"{prefix}::{name}" if prefix else name


def parse_junit(xml_text: str) -> JUnitResult:
    """Parse a ``<testsuites>`` or single ``<testsuite>`` report; raise JUnitError if bad.

    The files come from pytest runs Nightcrew started itself, so the stdlib parser is fine.
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise JUnitError(f"malformed JUnit XML: {exc}") from exc
    if root.tag not in ("testsuites", "testsuite"):
        raise JUnitError(f"not a JUnit report: root element is <{root.tag}>")
    ids: set[str] = set()
    failed: set[str] = set()
    errors: set[str] = set()
    skipped: set[str] = set()
    details: dict[str, str] = {}
    for testcase in root.iter("testcase"):
        tid = case_id(testcase)
        ids.add(tid)
        problem = testcase.find("error")
        if problem is not None:
            errors.add(tid)
        else:
            problem = testcase.find("failure")
        if problem is not None:
            failed.add(tid)
            text = f"{problem.get('message', '')}\n{problem.text or ''}"
            details[tid] = (details.get(tid, "") + "\n" + text).strip()
        elif testcase.find("skipped") is not None:
            skipped.add(tid)
    return JUnitResult(
        ids=frozenset(ids),
        failed=frozenset(failed),
        errors=frozenset(errors),
        # pytest writes a second <testcase> for a teardown error: failed wins over skipped.
        skipped_ids=frozenset(skipped - failed),
        details=details,
    )
