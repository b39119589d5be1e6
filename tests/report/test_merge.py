"""bot.report.merge: one report from the shards' reports."""

from __future__ import annotations

from bot.report.merge import merge_reports


def shard_report(n: int, **extra: object) -> dict:
    return {
        "nightcrew": "0.1.0",
        "repo": "/w/repo",
        "base": "abc",
        "started_at": f"2025-06-01T03:0{n}:00+00:00",
        "dirty_worktree": False,
        "recipes": ["unnecessary-copies"],
        "recipes_skipped": [{"id": "modern-syntax", "reason": "not due today"}],
        "summary": {"found": n, "verified": 1, "rejected": n - 1, "skipped": 0, "errored": 0},
        "findings": [{"fingerprint": f"{n}-{i}"} for i in range(n)],
        "fixes": [{"fingerprint": f"{n}-0", "status": "verified", "url": f"https://x/pull/{n}"}],
        "prs": [f"https://x/pull/{n}"],
        "notes": [{"kind": "shard", "text": f"shard {n} of 2"}, {"kind": "info", "text": "same"}],
        "timings": {"total": float(n)},
        "out_dir": f"/tmp/{n}",
    } | extra


def test_merge_sums_counts_and_concatenates():
    merged = merge_reports([shard_report(1), shard_report(2)])
    assert merged["summary"] == {
        "found": 3,
        "verified": 2,
        "rejected": 1,
        "skipped": 0,
        "errored": 0,
    }
    assert [f["fingerprint"] for f in merged["findings"]] == ["1-0", "2-0", "2-1"]
    assert merged["prs"] == ["https://x/pull/1", "https://x/pull/2"]
    assert merged["recipes"] == ["unnecessary-copies"]  # not repeated
    assert merged["recipes_skipped"] == [{"id": "modern-syntax", "reason": "not due today"}]
    assert [n["text"] for n in merged["notes"]] == ["shard 1 of 2", "same", "shard 2 of 2"]
    assert merged["timings"] == {"total": 3.0}
    assert merged["started_at"] == "2025-06-01T03:01:00+00:00"
    assert merged["shards"] == 2 and merged["out_dir"] is None


def test_merge_flags_and_disagreements():
    merged = merge_reports([shard_report(1), shard_report(2, dirty_worktree=True, base="def")])
    assert merged["dirty_worktree"] is True
    assert {"kind": "info", "text": "the reports disagree on base: abc, def"} in merged["notes"]
