"""bot.report.summary: the job summary, annotations, counts and PR addresses from a report."""

from __future__ import annotations

import pytest

from bot.publish.quota import Quota
from bot.report import summary


def fix(status: str, **extra: object) -> dict:
    return {
        "fingerprint": "f" * 40,
        "recipe": "unnecessary-copies",
        "rule": "ruff:C414",
        "path": "inventory/stock.py",
        "line": 7,
        "message": "Unnecessary `list()` call within `sorted()`",
        "status": status,
        "reason": "",
        "branch": None,
        "url": None,
    } | extra


REPORT = {
    "summary": {"found": 5, "verified": 2, "rejected": 1, "skipped": 2, "errored": 0},
    "findings": [{}] * 5,
    "fixes": [
        fix("verified", url="https://github.com/o/r/pull/12", branch="nightcrew/a"),
        fix(
            "verified",
            reason="evidence; not published: secondary rate limit (retry after 60s)",
            line=9,
        ),
        fix("rejected", reason="1 new failure: tests/test_a.py::test_x | y", line=3),
        fix("skipped", reason="no automatic fix is available for this finding", line=4),
        fix(
            "skipped",
            reason="already proposed: https://github.com/o/r/pull/3",
            line=5,
            branch="nightcrew/b",
        ),
    ],
    "recipes_skipped": [{"id": "modern-syntax", "reason": "not due today"}],
    "notes": [
        {"kind": "shard", "text": "shard 1 of 2"},
        {"kind": "publishing-stopped", "text": "publishing stopped: rate limit (wait 60s)"},
    ],
}


def test_counts_add_published():
    assert summary.counts(REPORT) == {
        "found": 5, "verified": 2, "rejected": 1, "published": 1, "skipped": 2, "errored": 0,
    }  # fmt: skip


def test_pr_urls():
    assert summary.pr_urls(REPORT) == ["https://github.com/o/r/pull/12"]


def test_stopped_notes():
    assert summary.stopped_notes(REPORT) == ["publishing stopped: rate limit (wait 60s)"]
    denied = {"kind": "permission-denied", "text": "publishing stopped: GitHub refused a write"}
    assert summary.stopped_notes({"notes": [denied]}) == [denied["text"]]
    # The kind decides, not the words; old reports' plain-string notes are never stops.
    assert summary.stopped_notes({"notes": ["publishing stopped: old words"]}) == []
    assert summary.stopped_notes({"notes": [{"kind": "info", "text": "publishing stopped"}]}) == []


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ({"fixes": []}, None),
        ({"fixes": [], "agents": {"dollars": 0.25, "tokens": 10}}, 0.25),
        ({"fixes": [{"costs": {"dollars": 0.5}}, {"costs": {"dollars": 0.25}}, {}]}, 0.75),
        ({"fixes": [], "agents": None}, None),
    ],
    ids=["none", "night-total", "per-fix", "agents-null"],
)
def test_cost(report, expected):
    assert summary.cost(report) == expected


def test_job_summary():
    text = summary.job_summary(REPORT)
    assert "| found | verified | rejected | published | skipped | errored |" in text
    assert "| 5 | 2 | 1 | 1 | 2 | 0 |" in text
    assert "cost" not in text  # no agents ran
    assert "[#12](https://github.com/o/r/pull/12)" in text
    assert "### Verified, not published" in text
    assert "| `inventory/stock.py:9` | ruff:C414 | secondary rate limit (retry after 60s) |" in text
    assert "### Rejected, and why" in text
    assert "tests/test_a.py::test_x \\| y" in text  # a `|` in a reason does not break the table
    assert "no automatic fix is available" in text
    assert "already proposed: https://github.com/o/r/pull/3" in text
    assert "- `modern-syntax`: not due today" in text
    assert "dry run" not in text


def test_job_summary_dry_run_and_cost():
    report = {
        "summary": {"found": 1, "verified": 1},
        "fixes": [fix("verified", branch="nightcrew/unnecessary-copies/x")],
        "agents": {"dollars": 1.5},
    }
    text = summary.job_summary(report, dry_run=True)
    assert "dry run: branches and patches only, no pushes, no PRs" in text
    assert "| found | verified | rejected | published | skipped | errored | cost |" in text
    assert "| 1 | 1 | 0 | 0 | 0 | 0 | $1.50 |" in text
    assert "`nightcrew/unnecessary-copies/x`" in text


def test_job_summary_caps_long_tables():
    report = {"fixes": [fix("rejected", reason="r", line=i) for i in range(80)]}
    text = summary.job_summary(report)
    assert text.count("| ruff:C414 | r |") == summary.MAX_SUMMARY_ROWS
    assert "… and 30 more (see report.json)" in text


def test_annotations_for_unfixed_findings_only():
    lines = summary.annotations(REPORT)
    assert lines == [
        "::warning file=inventory/stock.py,line=3,title=Nightcrew unnecessary-copies ruff%3AC414::"
        "Unnecessary `list()` call within `sorted()`: rejected: "
        "1 new failure: tests/test_a.py::test_x | y",
        "::warning file=inventory/stock.py,line=4,title=Nightcrew unnecessary-copies ruff%3AC414::"
        "Unnecessary `list()` call within `sorted()`: skipped: "
        "no automatic fix is available for this finding",
    ]  # the finding with an open PR (a branch) is not annotated


def test_annotations_are_capped_rejected_first():
    report = {
        "fixes": [fix("skipped", reason="s", line=i) for i in range(20)]
        + [fix("rejected", reason="r", line=100)]
    }
    lines = summary.annotations(report)
    assert len(lines) == summary.MAX_ANNOTATIONS
    assert "line=100," in lines[0]


def test_fixes_rejected_earlier_have_their_own_table_and_no_annotation():
    earlier = fix(
        "skipped",
        reason="rejected earlier, on 2026-01-02 (base bbbbbbbbbb): 1 new failing test(s)",
        reason_kind="rejected-earlier",
        line=11,
    )
    report = {"fixes": [earlier, fix("skipped", reason="no automatic fix", line=4)]}
    text = summary.job_summary(report)
    heading = "### Rejected earlier (not tried until the code or the tests change)"
    assert heading in text
    table, _, rest = text.partition(heading)[2].partition("### Skipped, and why")
    assert "| `inventory/stock.py:11` | ruff:C414 | rejected earlier, on 2026-01-02" in table
    assert "no automatic fix" in rest and "rejected earlier" not in rest
    assert [line for line in summary.annotations(report) if "line=11" in line] == []


def test_the_job_summary_names_the_recipes_with_fewer_prs_tonight():
    lowered = Quota("unused-imports", 5, merged=1, closed=3).to_json()
    full = Quota("tidy-names", 5, merged=2).to_json()
    report = REPORT | {"quotas": [lowered, full, lowered, "odd", {"recipe": "x", "limit": "2"}]}
    text = summary.job_summary(report)
    assert (
        "### Fewer PRs tonight\n\n"
        "- `unused-imports`: 2 of 5: 3 of its last 4 PRs closed unmerged, 1 merged\n\n"
    ) in text  # once, though merged shards' reports repeat it; full quotas are not listed
    assert "tidy-names" not in text
    assert "Fewer PRs" not in summary.job_summary(REPORT | {"quotas": [full]})
    assert "Fewer PRs" not in summary.job_summary(REPORT)  # reports from before quotas
