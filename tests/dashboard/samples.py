"""Dashboards, rules and nights that the dashboard tests share."""

from __future__ import annotations

from collections.abc import Sequence

from bot.dashboard import page
from bot.dashboard.last_night import NightSummary, Waiting
from bot.dashboard.rules import IgnoreRules, Rule
from bot.publish.quota import Quota
from bot.publish.rejections import Rejection

FP = "0123456789abcdef" * 4
FP2 = "fedcba9876543210" * 4
FULL = IgnoreRules(
    (
        Rule(
            "finding",
            FP,
            recipe="unused-imports",
            path="pkg/core.py",
            pr=3,
            by="octocat",
            reason="closed without merging",
            at="2026-01-02T03:04:05+00:00",
            extra={"note": "we need this import for plugins"},
        ),
        Rule("recipe", "modern-syntax", pr=4, by="hubot", reason="/nightcrew ignore"),
        Rule("path", "tests/**"),
        Rule("path", "docs/**/*.py", recipe="unused-imports"),
    )
)
NIGHT = NightSummary(
    started_at="2026-01-02T03:00:00+00:00",
    base="a" * 40,
    counts={"found": 9, "verified": 3, "published": 2, "rejected": 1, "skipped": 5},
    prs=("https://github.com/o/r/pull/5", "https://github.com/o/r/pull/6"),
    recipes=("unused-imports", "modern-syntax"),
    waiting=(Waiting("unused-imports", "pkg/x.py", 3, "waiting for a free slot (limit: 5)"),),
    quotas=(Quota("unused-imports", 5, merged=4, closed=2), Quota("modern-syntax", 3)),
)
SHARDED = NightSummary(
    started_at="2026-01-02T03:00:00+00:00",
    base="a" * 40,
    counts={"found": 4, "verified": 1, "published": 1},
    prs=("https://github.com/o/r/pull/7",),
    recipes=("unused-imports",),
    run_id="123456789",
    run_attempt=2,
    shards=("1/4", "3/4"),
)


def block(text: str) -> str:
    """A body with ``text`` as its rules block, as if edited by hand."""
    return f"Edited by hand\n\n{page.RULES_START}\n```json\n{text}\n```\n{page.RULES_END}"


def shard_night(
    shard: str | None,
    run: str = "77",
    *,
    attempt: int = 1,
    found: int = 1,
    prs: Sequence[str] = (),
    recipes: Sequence[str] = ("unused-imports",),
    started_at: str = "2026-01-03T03:00:00+00:00",
    waiting: Sequence[Waiting] = (),
) -> NightSummary:
    return NightSummary(
        started_at=started_at,
        base="c" * 40,
        counts={"found": found, "published": len(prs)},
        prs=tuple(prs),
        recipes=tuple(recipes),
        waiting=tuple(waiting),
        run_id=run,
        run_attempt=attempt if run else 0,
        shards=(shard,) if shard else (),
    )


OLD_NIGHT = {  # a dashboard's night written before runs and shards were recorded
    "started_at": "2026-01-01T03:00:00+00:00",
    "base": "d" * 40,
    "counts": {"found": 50, "verified": 9, "published": 8},
    "prs": ["https://x/pull/40"],
    "recipes": ["unused-imports"],
    "waiting": [],
}


def rejection(fingerprint: str = FP, at: str = "2026-01-02T03:00:00+00:00") -> Rejection:
    """A fix the tests rejected, as the night remembers it."""
    return Rejection(
        fingerprint=fingerprint,
        recipe="unnecessary-copies",
        rule="ruff:C419",
        path="pkg/audit.py",
        line=10,
        reason="`pytest -q`: 1 new failing test(s): tests/test_audit.py::test_audit <@someone>",
        base="b" * 40,
        at=at,
        code="0123456789abcdef",
        tests="fedcba9876543210",
        unit="audit",
    )
