"""The night's report for people: the job summary, annotations, counts, PR addresses. Pure.

Everything here reads the JSON report (``NightReport.to_json()``, or shards' reports merged),
so a merged report and a single night's look the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.actions.workflow import warning
from bot.report.document import lowered_quotas
from bot.report.results import UNTESTED_TEXT, NoteKind, Reason, note_kind, note_text

# GitHub shows at most 10 warning annotations per step; the rest are in the job summary.
MAX_ANNOTATIONS = 10
# Rows per table in the job summary (a step's summary may be at most 1 MiB).
MAX_SUMMARY_ROWS = 50
REJECTED_EARLIER = Reason.REJECTED_EARLIER.value


def pr_urls(report: Mapping[str, Any]) -> list[str]:
    """The PR addresses of the night's published fixes, in the order they were made."""
    return [url for fix in report.get("fixes", ()) if (url := _url(fix))]


def counts(report: Mapping[str, Any]) -> dict[str, int]:
    """found, verified, rejected, published, skipped, errored, and any other count reported."""
    summary = dict(report.get("summary") or {})
    fixes = report.get("fixes", ())
    published = sum(1 for fix in fixes if _is_published(fix))
    ordered = {
        "found": int(summary.pop("found", len(report.get("findings", ())))),
        "verified": int(summary.pop("verified", 0)),
        "rejected": int(summary.pop("rejected", 0)),
        "published": int(summary.pop("published", published)),
        "skipped": int(summary.pop("skipped", 0)),
        "errored": int(summary.pop("errored", 0)),
    }
    return ordered | {k: int(v) for k, v in summary.items() if isinstance(v, int)}


def cost(report: Mapping[str, Any]) -> float | None:
    """Dollars spent on agents, when the report records any: the night's total, else per fix."""
    for total in (report.get("agents"), report.get("costs")):
        if isinstance(total, Mapping) and _is_number(total.get("dollars")):
            return float(total["dollars"])
    per_fix = [
        float(costs["dollars"])
        for fix in report.get("fixes", ())
        if isinstance(costs := fix.get("costs"), Mapping) and _is_number(costs.get("dollars"))
    ]
    return sum(per_fix) if per_fix else None


def stopped_notes(report: Mapping[str, Any]) -> list[str]:
    """Why publishing stopped early (a secondary rate limit, say), when it did."""
    stops = {NoteKind.PUBLISHING_STOPPED.value, NoteKind.PERMISSION_DENIED.value}
    return [note_text(n) for n in report.get("notes", ()) if note_kind(n) in stops]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _url(fix: Mapping[str, Any]) -> str | None:
    url = fix.get("url")
    return url if isinstance(url, str) and url else None


def _is_published(fix: Mapping[str, Any]) -> bool:
    return fix.get("status") == "published" or _url(fix) is not None


def _untested(fix: Mapping[str, Any]) -> bool:
    """Not published: no test executes its changed lines."""
    return fix.get("reason_kind") == Reason.UNTESTED.value and not _is_published(fix)


def _untested_draft(fix: Mapping[str, Any]) -> bool:
    """Published, though no test executes its changed lines (``require_coverage: false``)."""
    covered = fix.get("covered_by")
    return isinstance(covered, Mapping) and covered.get("count") == 0 and _is_published(fix)


def _not_fixed(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Findings that were not fixed and say why: untested, rejected, errored, then skipped."""
    order = {"untested": 0, "rejected": 1, "errored": 2, "skipped": 3}
    unfixed = [
        {**fix, "status": "untested"} if _untested(fix) else fix
        for fix in report.get("fixes", ())
        if fix.get("status") in order and fix.get("reason") and not _is_published(fix)
    ]
    return sorted(unfixed, key=lambda fix: order[fix["status"]])


def annotations(report: Mapping[str, Any], limit: int = MAX_ANNOTATIONS) -> list[str]:
    """``::warning file=…,line=…::`` for findings that were not fixed (the first ``limit``).

    A finding skipped because of its branch (an open PR, or one closed to ignore it) is
    someone's decision already, and one the tests rejected on an earlier night was annotated
    then, so neither gets an annotation.
    """
    unfixed = [
        f
        for f in _not_fixed(report)
        if not (f["status"] == "skipped" and f.get("branch")) and _heading(f) != REJECTED_EARLIER
    ]
    return [
        warning(
            f"{fix.get('message', '')}: {fix['status']}: {fix['reason']}",
            file=fix.get("path"),
            line=fix.get("line"),
            title=f"Nightcrew {fix.get('recipe', '')} {fix.get('rule', '')}".strip(),
        )
        for fix in unfixed[:limit]
    ]


def job_summary(
    report: Mapping[str, Any], *, dry_run: bool = False, title: str = "Nightcrew"
) -> str:
    """The job summary: counts, published PRs, what was not fixed and why, lowered quotas, notes."""
    c = counts(report)
    dollars = cost(report)
    heading = f"## {title}"
    if dry_run:
        heading += " (dry run: branches and patches only, no pushes, no PRs)"
    columns = list(c) + (["cost"] if dollars is not None else [])
    values = [str(v) for v in c.values()] + ([f"${dollars:.2f}"] if dollars is not None else [])
    lines = [
        heading,
        "",
        _row(columns),
        _row(["---:"] * len(columns)),
        _row(values),
        "",
    ]
    fixes = report.get("fixes", ())
    published = [fix for fix in fixes if _is_published(fix)]
    if published:
        lines += ["### Published", ""]
        lines += [
            f"- {_link(fix)} `{fix.get('path')}:{fix.get('line')}` "
            f"{_cell(str(fix.get('message', '')))} ({fix.get('rule')})"
            + (f" **untested (draft): {UNTESTED_TEXT}**" if _untested_draft(fix) else "")
            for fix in published[:MAX_SUMMARY_ROWS]
        ]
        lines += [*_more(len(published)), ""]
    unpublished = [f for f in fixes if f.get("status") == "verified" and not _is_published(f)]
    if unpublished:
        why = "dry run: not pushed" if dry_run else "not published"
        lines += [f"### Verified, {why}", "", _row(["where", "rule", "branch or why"])]
        lines += [_row(["---"] * 3)]
        lines += [
            _row(
                [
                    f"`{fix.get('path')}:{fix.get('line')}`",
                    _cell(str(fix.get("rule", ""))),
                    f"`{fix['branch']}`" if fix.get("branch") else _cell(_why_unpublished(fix)),
                ]
            )
            for fix in unpublished[:MAX_SUMMARY_ROWS]
        ]
        lines += [*_more(len(unpublished)), ""]
    for status, heading_text in (
        ("untested", f"Not published: {UNTESTED_TEXT}"),
        ("rejected", "Rejected, and why"),
        ("errored", "Errored (Nightcrew's own failures)"),
        (REJECTED_EARLIER, "Rejected earlier (not tried until the code or the tests change)"),
        ("skipped", "Skipped, and why"),
    ):
        rows = [fix for fix in _not_fixed(report) if _heading(fix) == status]
        if not rows:
            continue
        lines += [f"### {heading_text}", "", _row(["where", "rule", "why"]), _row(["---"] * 3)]
        lines += [
            _row(
                [
                    f"`{fix.get('path')}:{fix.get('line')}`",
                    _cell(str(fix.get("rule", ""))),
                    _cell(str(fix["reason"])),
                ]
            )
            for fix in rows[:MAX_SUMMARY_ROWS]
        ]
        lines += [*_more(len(rows)), ""]
    lowered = lowered_quotas(report.get("quotas"))
    if lowered:
        lines += ["### Fewer PRs tonight", ""] + [f"- {_cell(q)}" for q in lowered] + [""]
    skipped_recipes = report.get("recipes_skipped", ())
    if skipped_recipes:
        lines += ["### Recipes not run", ""]
        lines += [f"- `{r.get('id')}`: {r.get('reason')}" for r in skipped_recipes] + [""]
    notes = report.get("notes", ())
    if notes:
        lines += ["### Notes", ""] + [f"- {_cell(note_text(n))}" for n in notes] + [""]
    return "\n".join(lines)


def _heading(fix: Mapping[str, Any]) -> str:
    """The table a fix that was not fixed is listed in: its status, or "rejected earlier"."""
    return REJECTED_EARLIER if fix.get("reason_kind") == REJECTED_EARLIER else fix["status"]


def _why_unpublished(fix: Mapping[str, Any]) -> str:
    reason = str(fix.get("reason", ""))
    _, sep, why = reason.partition("not published: ")
    return why if sep else reason


def _link(fix: Mapping[str, Any]) -> str:
    url = _url(fix)
    if url is None:
        return f"`{fix.get('branch')}`"
    number = url.rstrip("/").rsplit("/", 1)[-1]
    return f"[#{number}]({url})" if number.isdigit() else f"<{url}>"


def _more(total: int) -> list[str]:
    if total <= MAX_SUMMARY_ROWS:
        return []
    return [f"- … and {total - MAX_SUMMARY_ROWS} more (see report.json)"]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
