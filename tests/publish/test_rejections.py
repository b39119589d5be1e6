"""bot.publish.rejections: the keys of a rejection, when it still holds, what is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.model import Finding
from bot.publish import rejections
from bot.publish.rejections import Rejection
from bot.report.results import FixResult, Reason, Status, Step

CODE = """\
import os


def audit(items):
    return any([visit(item) for item in items])


class Box:
    def size(self):
        return len([x for x in self.items])
"""
NOW = datetime(2026, 2, 1, 3, 0, tzinfo=UTC)


def record(**changes: object) -> Rejection:
    base = Rejection(
        fingerprint="a" * 64,
        recipe="unnecessary-copies",
        rule="ruff:C419",
        path="pkg/audit.py",
        line=5,
        reason="`pytest`: 1 new failing test(s): tests/test_audit.py::test_audit",
        base="b" * 40,
        at="2026-01-30T03:00:00+00:00",
        code="c" * 16,
        tests="d" * 16,
        unit="audit",
    )
    return Rejection(**(base.to_json() | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "unit"),
    [(5, "audit"), (10, "Box.size"), (9, "Box.size"), (8, "Box"), (1, "<module>")],
    ids=["function", "method", "its-def-line", "class-body", "module-level"],
)
def test_the_unit_is_the_innermost_function_or_class(line, unit):
    assert rejections.touched_code(CODE, line, line)[0] == unit


KEY_CASES = {
    "lines-added-above": ('"""Docs."""\n\n' + CODE, 7, True),
    "whitespace-only": (CODE.replace("return any(", "return  any("), 5, True),
    "another-function-changed": (CODE.replace("len([x", "len([y"), 5, True),
    "its-own-body-changed": (CODE.replace("visit(item)", "check(item)"), 5, False),
    "a-comment-in-it": (
        CODE.replace("def audit(items):\n", "def audit(items):\n    # x\n"),
        6,
        False,
    ),
}


@pytest.mark.parametrize(("text", "line", "same"), KEY_CASES.values(), ids=KEY_CASES.keys())
def test_the_code_key_changes_only_with_the_function(text, line, same):
    before = rejections.touched_code(CODE, 5, 5)
    after = rejections.touched_code(text, line, line)
    assert after[0] == "audit"
    assert (after[1] == before[1]) is same


def test_module_level_code_and_unparsable_files_key_the_whole_file():
    unit, key = rejections.touched_code(CODE, 1, 1)
    assert unit == "<module>"
    assert rejections.touched_code(CODE.replace("len(", "max("), 1, 1)[1] != key
    assert rejections.touched_code("def (:\n", 1, 1)[0] == "<module>"


def test_the_tests_key_is_the_test_files_and_the_command():
    blobs = [("tests/test_a.py", "1" * 40), ("pkg/a.py", "2" * 40), ("conftest.py", "3" * 40)]
    key = rejections.tests_key(blobs)
    assert rejections.tests_key(reversed(blobs)) == key  # order does not count
    assert rejections.tests_key([*blobs[:1], ("pkg/a.py", "9" * 40), blobs[2]]) == key
    assert rejections.tests_key([("tests/test_a.py", "8" * 40), *blobs[1:]]) != key
    assert rejections.tests_key([*blobs, ("pyproject.toml", "4" * 40)]) != key
    assert rejections.tests_key(blobs, "python -m pytest -x") != key


RETRY_CASES = {
    "holds": ({}, None),
    "old-enough": ({"at": (NOW - timedelta(days=30)).isoformat()}, "age"),
    "unreadable-time": ({"at": "yesterday"}, "age"),
    "tests-changed": ({"tests": "e" * 16}, "tests"),
    "code-changed": ({"code": "f" * 16}, "code"),
}


@pytest.mark.parametrize(("changes", "why"), RETRY_CASES.values(), ids=RETRY_CASES.keys())
def test_why_a_rejection_is_tried_again(changes, why):
    assert rejections.why_retry(record(**changes), "c" * 16, "d" * 16, NOW, 30) == why


def test_zero_days_tries_everything_again():
    assert rejections.why_retry(record(at=NOW.isoformat()), "c" * 16, "d" * 16, NOW, 0) == "age"


def result(status: Status, kind: Reason | None, *steps: Step) -> FixResult:
    finding = Finding("r", "ruff:C419", "pkg/audit.py", 5, 12, 5, 50, "m", fingerprint="a" * 64)
    return FixResult(finding, status, "why", kind=kind, steps=list(steps))


FAILED = Step("tests", False, "alone: 1 new failing test(s)", "pytest")
BY_TESTS = {
    "new-failures": (result(Status.REJECTED, Reason.TESTS_FAILED, FAILED), True),
    "related-tests": (
        result(Status.REJECTED, Reason.TESTS_FAILED, Step("related-tests", False, "x")),
        True,
    ),
    "did-not-apply": (result(Status.REJECTED, Reason.TESTS_FAILED), False),
    "lint": (result(Status.REJECTED, Reason.LINT, Step("ruff", False, "new violation")), False),
    "errored": (result(Status.ERRORED, Reason.ERROR, FAILED), False),
    "night-limit": (result(Status.SKIPPED, Reason.NIGHT_LIMIT), False),
}


@pytest.mark.parametrize(("fix", "remembered"), BY_TESTS.values(), ids=BY_TESTS.keys())
def test_only_the_tests_verdicts_are_remembered(fix, remembered):
    assert rejections.rejected_by_tests(fix) is remembered


def test_json_round_trip_and_lenient_reading():
    assert rejections.from_json(record().to_json()) == record()
    assert rejections.from_json({"fingerprint": "a", "code": "c"}) is None  # no tests key
    assert rejections.from_json("a" * 64) is None
    odd = rejections.from_json(record().to_json() | {"line": "5", "unit": None})
    assert odd is not None and (odd.line, odd.unit) == (0, "<module>")
    found, problems = rejections.read_list([record().to_json(), 3])
    assert found == [record()] and problems == ["rejections: cannot read 3"]
    assert rejections.read_list({"no": "list"}) == ([], ["`rejections` is not a list"])


def test_changes_forget_then_remember_newest_first():
    old = record(fingerprint="1" * 64, at="2026-01-01T00:00:00+00:00")
    other = record(fingerprint="2" * 64, at="2026-01-05T00:00:00+00:00")
    renewed = record(fingerprint="1" * 64, at="2026-01-09T00:00:00+00:00")
    kept = rejections.apply_changes([old, other], [renewed], ["1" * 64])
    assert kept == [renewed, other]
    assert rejections.apply_changes([old, other], [], ["2" * 64]) == [old]
    assert rejections.apply_changes([old, other, renewed], [], [], limit=1) == [renewed]


def test_the_skip_reason_says_when_why_and_what_brings_it_back():
    text = rejections.skip_reason(record(), 30)
    assert text == (
        "rejected earlier, on 2026-01-30 (base bbbbbbbbbb): `pytest`: 1 new failing test(s): "
        "tests/test_audit.py::test_audit; tried again once the function it touches or the "
        "tests change, or after 30 days"
    )
    assert "once the file it touches" in rejections.skip_reason(record(unit="<module>"), 7.5)
    assert len(rejections.clip("x" * 1000)) == rejections.REASON_LIMIT
