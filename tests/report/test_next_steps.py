"""The end of `nightcrew run`: the night in one line, then what to do next (issue 13, item 6)."""

from __future__ import annotations

from pathlib import Path

from bot.model import Finding
from bot.report import document
from bot.report.document import NightReport
from bot.report.next_steps import next_steps, night_line
from bot.report.results import FixResult, Reason, Status

BASE = "0123456789abcdef" * 2 + "01234567"
BRANCH = "nightcrew/unnecessary-copies/c414-core-0bf0a37f"
PATCH = "/tmp/out dir/patches/nightcrew__unnecessary-copies__c414-core-0bf0a37f.patch"


def finding(line: int) -> Finding:
    return Finding(
        recipe="unnecessary-copies",
        rule="ruff:C414",
        path="pkg/core.py",
        start_line=line,
        start_col=1,
        end_line=line,
        end_col=2,
        message="Unnecessary `list()` call within `sorted()`",
    )


def night(*fixes: FixResult, found: int | None = None) -> NightReport:
    report = NightReport("/work/repo", BASE, "2025-01-01T00:00:00", out_dir="/tmp/out dir")
    report.recipes = ["unnecessary-copies"]
    report.fixes = list(fixes)
    report.findings = [f.finding for f in fixes][:found]
    report.test_runs = [document.TestRunRecord("baseline", "pytest", 0, 1.0, 2, (), False, None)]
    report.timings["total"] = 12.4
    return report


def verified(line: int, branch: str = BRANCH, patch: str | None = PATCH) -> FixResult:
    return FixResult(finding(line), Status.VERIFIED, "ok", branch, patch=patch)


def test_the_night_in_one_line():
    rejected = FixResult(finding(9), Status.REJECTED, "tests failed", kind=Reason.TESTS_FAILED)
    assert night_line(night(verified(4), rejected)) == (
        "Tonight: 1 verified, 1 rejected, 0 skipped, 0 errored of 2 found; 1 test run in 12s."
    )


def test_next_steps_name_the_nights_own_branch_patch_and_report():
    text = next_steps(night(verified(4), verified(9, BRANCH + "x")), Path("/elsewhere"))
    lines = [" ".join(line.split()) for line in text.splitlines()]  # columns aligned or not
    assert lines[0].startswith("Tonight: 2 verified")
    assert lines[2] == "Next steps:"
    assert f"Look at a fix: git -C /work/repo log -p {BASE[:10]}..{BRANCH}" in lines
    assert f"Check it out: git -C /work/repo switch {BRANCH}" in lines
    assert f"Apply its patch: git apply '{PATCH}'" in lines  # quoted: the path has a space
    assert "All 2 branches: git -C /work/repo branch --list 'nightcrew/*'" in lines
    assert any(
        line.startswith("The report:") and "/tmp/out dir/report.md" in line for line in lines
    )
    assert any("docs/github.md" in line for line in lines)


def test_in_the_repository_itself_git_needs_no_dash_c():
    text = next_steps(night(verified(4)), Path("/work/repo"))
    assert f"git log -p {BASE[:10]}..{BRANCH}" in text
    assert "-C" not in text
    assert "All 1" not in text


def test_a_pull_request_needs_no_pointer_to_the_github_docs():
    fix = verified(4)
    fix.url = "https://github.com/o/r/pull/7"
    assert "docs/github.md" not in next_steps(night(fix), Path("/work/repo"))


def test_no_fix_verified_points_to_the_reasons_and_the_logs():
    rejected = FixResult(finding(9), Status.REJECTED, "tests failed", kind=Reason.TESTS_FAILED)
    text = next_steps(night(rejected), Path("/work/repo"))
    assert "No fix was verified" in text and "/tmp/out dir/report.md" in text
    assert "/tmp/out dir/logs" in text
    assert "git apply" not in text


def test_nothing_found_says_how_to_see_and_run_other_recipes():
    text = next_steps(night(found=0), Path("/work/repo"))
    assert "Nothing was found" in text and "unnecessary-copies" in text
    assert "nightcrew recipes list" in text and "--recipe ID" in text
