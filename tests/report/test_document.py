"""bot.report.document: a report written as JSON reads back as the same values, or says why not."""

from __future__ import annotations

import json

import pytest

from bot.errors import UserError
from bot.model import Finding
from bot.report.document import NightReport, parse_json, read_json
from bot.report.results import FixResult, NoteKind, Status


def night() -> NightReport:
    report = NightReport("/w/repo", "0" * 40, "2025-06-01T03:00:00+00:00", shard=(1, 2))
    finding = Finding("unnecessary-copies", "ruff:C414", "pkg/a.py", 3, 1, 3, 20, "copy")
    report.findings.append(finding)
    report.fixes.append(FixResult(finding, Status.REJECTED, "1 test failed"))
    report.recipes_skipped.append(("modern-syntax", "not due today"))
    report.note(NoteKind.SHARD, "shard 1 of 2")
    return report


def test_a_written_report_reads_back_whole(tmp_path):
    data = night().to_json()
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    assert read_json(path) == data
    assert read_json(path)["summary"]["rejected"] == 1


def test_a_report_without_agents_or_shard_reads_back():
    data = NightReport("r", "b", "now").to_json()
    assert data["agents"] is None and data["shard"] is None
    assert parse_json(json.dumps(data), "stdout") == data


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the report: No such file or directory"),
        (b"\xff", "not a JSON report: 'utf-8' codec can't decode"),
        (b"", "not a JSON report: Expecting value"),
        (b'"fixes"', "not a Nightcrew report (a JSON str, not an object)"),
        (b'{"fixes": [], "recipes_skipped": ["modern-syntax"]}', "`recipes_skipped` is not a list"),
        (b'{"fixes": [], "summary": {"found": true}}', "`summary` is not an object of numbers"),
        (b'{"fixes": [], "summary": [1]}', "`summary` is not an object of numbers"),
        (b'{"fixes": [], "findings": 9}', "`findings` is not a list"),
    ],
    ids=[
        "missing",
        "not-utf-8",
        "empty",
        "a-string",
        "skipped-recipes-of-strings",
        "summary-of-flags",
        "summary-a-list",
        "findings-a-number",
    ],
)
def test_a_bad_file_is_bad_input_naming_it(tmp_path, content, message):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError) as info:
        read_json(path)
    assert info.value.file == str(path)
    assert message in info.value.message
    assert str(info.value).startswith(f"{path}: ")


def test_parse_names_its_source():
    with pytest.raises(UserError, match=r"^nightcrew run --json: not a JSON report"):
        parse_json("Report: out/report.md", "nightcrew run --json")
