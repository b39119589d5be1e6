"""A rejection is remembered: real nights on a small repository whose tests reject one fix.

``pkg/audit.py`` has two copies ruff's C419 removes. Making ``audit``'s lazy breaks a test
that counts the items it visits; ``tidy``'s is harmless. Night 1 rejects the first fix; the
nights after skip it, without a test run for it, until the code it touches or the tests
change, or the rejection is old enough.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.night import NightOptions, run_night
from bot.publish.memory import REJECTIONS_FILE
from bot.report import progress
from bot.report.document import NightReport
from bot.report.results import Reason, Status
from tests.conftest import git, init_repo

pytestmark = pytest.mark.slow  # every night runs the small repository's tests for real

AUDIT = """\
SEEN = []


def visit(item):
    SEEN.append(item)
    return item > 1


def audit(items):
    return any([visit(item) for item in items])


def tidy(items):
    return any([item < 0 for item in items])
"""
TESTS = """\
from pkg import audit as mod


def test_audit_visits_every_item():
    mod.SEEN.clear()
    assert mod.audit([5, 1, 2])
    assert mod.SEEN == [5, 1, 2]


def test_tidy():
    assert not mod.tidy([1, 2])
"""
FILES = {"pkg/__init__.py": "", "pkg/audit.py": AUDIT, "tests/test_audit.py": TESTS}
# Recent, so a night of the CLI's (today) finds the rejection young enough.
NIGHT_1 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
DAY_1 = NIGHT_1.date().isoformat()


def night(repo: Path, out: Path, when: datetime, **options: object) -> NightReport:
    opts = NightOptions(
        repo,
        recipe_ids=("unnecessary-copies",),
        out=out,
        now=when,
        env=dict(os.environ),
        **options,  # type: ignore[arg-type]
    )
    return run_night(opts, progress.silent)


def function_of(snippet: str) -> str:
    return "audit" if "visit(" in snippet else "tidy"


def by_function(report: NightReport) -> dict[str, tuple[Status, Reason | None, str]]:
    """audit / tidy -> (status, kind, reason) of the C419 finding in it."""
    return {function_of(r.finding.snippet): (r.status, r.kind, r.reason) for r in report.fixes}


def runs_for(report: NightReport, name: str) -> list[str]:
    """Tonight's test runs made to verify the finding in ``name``."""
    fix = next(r for r in report.fixes if function_of(r.finding.snippet) == name)
    short = fix.finding.short_fingerprint
    return [t.purpose for t in report.test_runs if t.purpose.startswith(short)]


def json_fix(data: dict, name: str) -> dict:
    """The report.json fix of the finding in function ``name``."""
    snippets = {f["fingerprint"]: f["snippet"] for f in data["findings"]}
    return next(f for f in data["fixes"] if function_of(snippets[f["fingerprint"]]) == name)


def commit(repo: Path, path: str, text: str) -> None:
    (repo / path).write_text(text, encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", f"change {path}")


@pytest.fixture(scope="module")
def night_one(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, NightReport]:
    root = tmp_path_factory.mktemp("memory")
    repo = init_repo(root / "repo", FILES)
    report = night(repo, root / "out", NIGHT_1)
    return repo, root / "out", report


@pytest.fixture
def first(
    night_one: tuple[Path, Path, NightReport], tmp_path: Path
) -> tuple[Path, Path, NightReport]:
    """Night one's repository and report folder, a copy of their own for each test."""
    repo, out, report = night_one
    copy = shutil.copytree(repo, tmp_path / "repo", symlinks=True)
    return copy, shutil.copytree(out, tmp_path / "out", symlinks=True), report


def test_night_one_rejects_the_fix_and_remembers_it(first):
    _repo, out, report = first
    fixes = by_function(report)
    assert fixes["audit"][:2] == (Status.REJECTED, Reason.TESTS_FAILED)
    assert fixes["tidy"][0] is Status.VERIFIED
    assert runs_for(report, "audit")  # the tests ran for it
    stored = json.loads((out / REJECTIONS_FILE).read_text(encoding="utf-8"))
    (entry,) = stored["rejections"]
    audit = next(r for r in report.fixes if function_of(r.finding.snippet) == "audit")
    assert entry["fingerprint"] == audit.finding.fingerprint
    assert entry["base"] == report.base and entry["at"].startswith(DAY_1)
    assert "test_audit_visits_every_item" in entry["reason"]
    assert entry["unit"] == "audit"
    assert report.rejections_remembered == [entry]
    assert not list(out.glob(".rejections-*"))  # the atomic write left no temporary file


def test_night_two_skips_it_without_running_its_tests(first):
    repo, out, _ = first
    git(repo, "branch", "-D", *git(repo, "branch", "--list", "nightcrew/*").split())
    second = night(repo, out, NIGHT_1 + timedelta(days=1))
    status, kind, reason = by_function(second)["audit"]
    assert (status, kind) == (Status.SKIPPED, Reason.REJECTED_EARLIER)
    assert reason.startswith(f"rejected earlier, on {DAY_1}")
    assert "test_audit_visits_every_item" in reason  # the original reason
    assert runs_for(second, "audit") == []
    assert by_function(second)["tidy"][0] is Status.VERIFIED  # the rest of the night goes on
    assert [r["fingerprint"] for r in second.rejected_earlier] == [
        r.finding.fingerprint for r in second.fixes if r.kind is Reason.REJECTED_EARLIER
    ]
    markdown = second.to_markdown()
    assert "## Rejected earlier" in markdown and f"rejected on {DAY_1}" in markdown


def test_recipe_and_all_do_not_bypass_it_but_retry_rejected_does(first, capsys):
    repo, out, _ = first
    args = ["run", "--repo", str(repo), "--out", str(out), "--json", "--quiet"]
    assert main([*args, "--all"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert json_fix(data, "audit")["reason_kind"] == "rejected-earlier"
    assert main([*args, "--recipe", "unnecessary-copies", "--retry-rejected"]) == 0
    data = json.loads(capsys.readouterr().out)
    audit = json_fix(data, "audit")
    assert (audit["status"], audit["reason_kind"]) == ("rejected", "tests-failed")
    stored = json.loads((out / REJECTIONS_FILE).read_text(encoding="utf-8"))
    assert stored["rejections"][0]["at"] > NIGHT_1.isoformat()  # renewed tonight


def test_a_change_to_the_function_it_touches_brings_it_back(first):
    repo, out, _ = first
    # Lines added above it and a change to another function change nothing.
    commit(repo, "pkg/audit.py", '"""Audits."""\n\n' + AUDIT.replace("item < 0", "item < -1"))
    later = night(repo, out, NIGHT_1 + timedelta(days=1))
    assert by_function(later)["audit"][1] is Reason.REJECTED_EARLIER
    commit(
        repo, "pkg/audit.py", AUDIT.replace("def audit(items):\n", "def audit(items):\n    # x\n")
    )
    again = night(repo, out, NIGHT_1 + timedelta(days=2))
    assert by_function(again)["audit"][:2] == (Status.REJECTED, Reason.TESTS_FAILED)
    assert runs_for(again, "audit")
    assert any("as the code they touch changed" in n.text for n in again.notes)


def test_a_change_to_the_tests_brings_it_back(first):
    repo, out, _ = first
    commit(repo, "tests/test_audit.py", TESTS + "\n\ndef test_more():\n    assert True\n")
    again = night(repo, out, NIGHT_1 + timedelta(days=1))
    assert by_function(again)["audit"][:2] == (Status.REJECTED, Reason.TESTS_FAILED)
    assert any("as the tests changed" in n.text for n in again.notes)


def test_it_is_tried_again_when_the_rejection_is_old_enough(first):
    repo, out, _ = first
    config = "version: 1\nverify:\n  forget_rejections_after_days: 7\n"
    (repo / ".github").mkdir()
    (repo / ".github/nightcrew.yml").write_text(config, encoding="utf-8")
    git(repo, "add", ".github")
    git(repo, "commit", "--quiet", "-m", "config")  # not a test file: the keys stay
    week = night(repo, out, NIGHT_1 + timedelta(days=6))
    assert by_function(week)["audit"][1] is Reason.REJECTED_EARLIER
    assert "after 7 days" in by_function(week)["audit"][2]
    later = night(repo, out, NIGHT_1 + timedelta(days=7))
    assert by_function(later)["audit"][:2] == (Status.REJECTED, Reason.TESTS_FAILED)
    stored = json.loads((out / REJECTIONS_FILE).read_text(encoding="utf-8"))
    assert [r["at"] for r in stored["rejections"]] == [later.started_at]  # the new verdict


def test_a_broken_memory_file_is_said_and_replaced(first):
    repo, out, _ = first
    (out / REJECTIONS_FILE).write_text("{not json", encoding="utf-8")
    again = night(repo, out, NIGHT_1 + timedelta(days=1))
    assert by_function(again)["audit"][0] is Status.REJECTED  # tried again
    assert any("is not JSON" in n.text for n in again.notes)
    stored = json.loads((out / REJECTIONS_FILE).read_text(encoding="utf-8"))
    assert len(stored["rejections"]) == 1
