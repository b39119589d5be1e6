"""bot.report.document: a report written as JSON reads back as the same values, or says why not."""

from __future__ import annotations

import json

import pytest

from bot.errors import UserError
from bot.model import Finding
from bot.report.document import (
    NightReport,
    clear_previous,
    parse_json,
    read_json,
    write_atomic,
    write_report,
)
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


def test_write_report_replaces_the_old_report_whole(tmp_path):
    report = night()
    report.out_dir = str(tmp_path)
    (tmp_path / "report.json").write_text("old", encoding="utf-8")
    data = write_report(report)
    assert read_json(tmp_path / "report.json") == data
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == report.to_markdown()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "new \ud800")  # a lone surrogate: not encodable, fails mid-write
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_clear_previous_removes_only_nightcrews_own_files(tmp_path):
    for name in ["report.json", "report.md", "patches/a__b.patch", "patches/c.patch"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    for name in ["patches/notes.txt", "logs/baseline-1.log", "report.json.bak", "other.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("mine", encoding="utf-8")
    removed = clear_previous(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in removed) == [
        "patches/a__b.patch",
        "patches/c.patch",
        "report.json",
        "report.md",
    ]
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["logs/baseline-1.log", "other.md", "patches/notes.txt", "report.json.bak"]
    assert clear_previous(tmp_path) == []  # nothing left to remove; a fresh folder is fine
    assert clear_previous(tmp_path / "missing") == []
