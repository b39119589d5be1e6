from __future__ import annotations

import pytest

from bot.verify.junit import JUnitError, parse_junit

# Shapes pytest really writes (xunit2): a teardown error is a second <testcase>, a
# collection error has an empty classname, an xfail is <skipped>.
PYTEST_REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests">
  <testsuite name="pytest" errors="2" failures="2" skipped="2" tests="8">
    <testcase classname="tests.test_a" name="test_ok" time="0.001" />
    <testcase classname="tests.test_a" name="test_fail"><failure message="assert 0"/></testcase>
    <testcase classname="tests.test_a" name="test_td"><failure message="assert 0"/></testcase>
    <testcase classname="tests.test_a" name="test_td"><error message="teardown"/></testcase>
    <testcase classname="tests.test_a" name="test_skip"><skipped message="skip"/></testcase>
    <testcase classname="tests.test_a" name="test_xf"><skipped type="pytest.xfail"/></testcase>
    <testcase classname="tests.test_a" name="test_p[1]" />
    <testcase classname="tests.test_a.TestC" name="test_m" />
  </testsuite>
</testsuites>
"""

SINGLE_SUITE = """<testsuite name="pytest" tests="2">
  <testcase classname="t" name="a"/>
  <testcase classname="t" name="b"><error message="boom"/></testcase>
</testsuite>"""

COLLECTION_ERROR = """<testsuites><testsuite name="pytest">
  <testcase classname="" name="tests.test_b"><error message="collection failure"/></testcase>
</testsuite></testsuites>"""

FILE_ONLY = """<testsuite><testcase file="tests/test_x.py" name="test_y"/></testsuite>"""

NESTED = """<testsuites><testsuite name="outer"><testsuite name="inner">
  <testcase classname="c" name="n"><failure/></testcase>
</testsuite></testsuite></testsuites>"""

SKIPPED_THEN_TEARDOWN_ERROR = """<testsuite>
  <testcase classname="c" name="s"><skipped/></testcase>
  <testcase classname="c" name="s"><error message="teardown"/></testcase>
</testsuite>"""


@pytest.mark.parametrize(
    ("xml", "tests", "failed", "errors", "skipped"),
    [
        pytest.param(
            PYTEST_REPORT,
            7,
            {"tests.test_a::test_fail", "tests.test_a::test_td"},
            {"tests.test_a::test_td"},
            {"tests.test_a::test_skip", "tests.test_a::test_xf"},
            id="pytest-report",
        ),
        pytest.param(SINGLE_SUITE, 2, {"t::b"}, {"t::b"}, set(), id="single-testsuite"),
        pytest.param(
            COLLECTION_ERROR, 1, {"tests.test_b"}, {"tests.test_b"}, set(), id="collection-error"
        ),
        pytest.param(FILE_ONLY, 1, set(), set(), set(), id="file-when-no-classname"),
        pytest.param(NESTED, 1, {"c::n"}, set(), set(), id="nested-suites"),
        pytest.param("<testsuites/>", 0, set(), set(), set(), id="empty"),
        pytest.param(
            SKIPPED_THEN_TEARDOWN_ERROR, 1, {"c::s"}, {"c::s"}, set(), id="failed-beats-skipped"
        ),
    ],
)
def test_parse_junit(xml, tests, failed, errors, skipped):
    result = parse_junit(xml)
    assert result.tests == tests
    assert result.failed == failed
    assert result.errors == errors
    assert result.skipped_ids == skipped
    assert result.skipped == len(skipped)


def test_ids_are_classname_and_name():
    assert parse_junit(FILE_ONLY).ids == {"tests/test_x.py::test_y"}
    assert "tests.test_a.TestC::test_m" in parse_junit(PYTEST_REPORT).ids


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        pytest.param("<testsuites><testsuite>", "malformed", id="truncated"),
        pytest.param("", "malformed", id="empty-string"),
        pytest.param("not xml at all", "malformed", id="text"),
        pytest.param("<html><body/></html>", "root element is <html>", id="wrong-root"),
    ],
)
def test_bad_reports_raise_junit_error(xml, message):
    with pytest.raises(JUnitError, match=message):
        parse_junit(xml)
