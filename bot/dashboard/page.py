"""The dashboard issue's body: render it from the rules and the last night. Pure.

One issue per repository, recognised by ``MARKER``. People read the sections (open PRs,
what is ignored and how to undo it, what waits for a free slot, each recipe's quota of new
PRs and why, last night's summary);
Nightcrew reads the machine-readable block between ``RULES_START`` and ``RULES_END``, a
fenced JSON object::

    {"version": 1,
     "findings": [{"fingerprint": "0123abcd...", "recipe": "...", "pr": 12, "by": "octocat"}],
     "recipes": [{"recipe": "unused-imports"}],
     "paths": [{"glob": "tests/**"}],
     "night": {...},
     "rejections": [{"fingerprint": "...", "reason": "...", "base": "...", "at": "..."}]}

``night`` is the last night's summary (``last_night``); ``rejections`` the fixes the tests
rejected, which later nights skip until their code or the tests change
(``bot.publish.rejections``; deleting an entry lets the next night try it again).
``reading.parse`` reads a body back, leniently, however people have edited the block.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.dashboard import last_night, markers
from bot.dashboard.last_night import NightSummary
from bot.dashboard.rules import IgnoreRules, Rule
from bot.publish import pr_text, quota
from bot.publish.rejections import Rejection
from bot.report.results import UNTESTED_TEXT, Reason

TITLE = "Nightcrew dashboard"
LABEL = "nightcrew"
MARKER = markers.encode({"dashboard": 1})
RULES_START = "<!-- nightcrew:rules -->"
RULES_END = "<!-- /nightcrew:rules -->"
VERSION = 1
BODY_LIMIT = pr_text.BODY_LIMIT
MAX_ROWS = 50  # per list; the JSON block always holds every rule
QUOTA_RULE = (
    "Each recipe's new PRs last night: its `pr.max_per_night` times the share of its last "
    f"{quota.WINDOW} merged or closed PRs that were merged, rounded up, at least 1 "
    "(docs/github.md)."
)

SECTIONS = ("findings", "recipes", "paths")  # the rules block's lists, in this order
KINDS = {"findings": "finding", "recipes": "recipe", "paths": "path"}  # section -> Rule.kind


@dataclass(frozen=True)
class OpenPull:
    """An open Nightcrew PR, as the dashboard lists it."""

    number: int
    url: str
    recipe: str
    fingerprint: str
    title: str = ""


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard holds: the rules, the last night; ``problems`` found reading it."""

    rules: IgnoreRules = field(default_factory=IgnoreRules)
    night: NightSummary | None = None
    problems: tuple[str, ...] = ()
    broken: bool = False  # the rules block is not JSON: rules were salvaged; do not rewrite
    rejections: tuple[Rejection, ...] = ()  # fixes the tests rejected, newest first


def is_dashboard(body: str | None) -> bool:
    return any(fields.get("dashboard") for fields in markers.decode_all(body or ""))


# --- render ----------------------------------------------------------------------------------


def render(board: Dashboard, open_pulls: Sequence[OpenPull] = ()) -> str:
    """The issue body; ``reading.parse(render(b))`` gives ``b``'s rules and night back."""
    block = _rules_block(board)
    for rows in (MAX_ROWS, 10, 0):
        body = "\n\n".join([*_human(board, open_pulls, rows), block, MARKER]) + "\n"
        if len(body) <= BODY_LIMIT:
            return body
    return body  # only the rules themselves are over the limit; GitHub will refuse it


def _human(board: Dashboard, open_pulls: Sequence[OpenPull], rows: int) -> list[str]:
    parts = [
        "This issue is Nightcrew's dashboard: what it has proposed, what it was told to "
        "leave alone, and what the last night did. Nightcrew keeps it up to date; the rules "
        "block at the end is what it reads (you may edit it, see docs/bot.md).",
    ]
    pulls = [
        f"- #{p.number} {pr_text.clean(p.title) or p.url} ({pr_text.code(p.recipe)})"
        for p in sorted(open_pulls, key=lambda p: p.number)
    ]
    parts.append(_section("Open pull requests", pulls, rows, "None."))
    parts.append(_section("Ignored", _ignored_lines(board.rules), rows, "Nothing is ignored."))
    night = board.night
    waiting = [
        f"- {pr_text.code(w.path + (f':{w.line}' if w.line else ''))} ({pr_text.code(w.recipe)}): "
        f"{pr_text.clean(w.reason)}"
        for w in (night.waiting if night else ())
    ]
    parts.append(_section("Waiting for a free slot", waiting, rows, "Nothing is waiting."))
    quotas = [
        f"- {pr_text.code(q.recipe)}: {pr_text.clean(q.describe())}"
        for q in (night.quotas if night else ())
    ]
    parts.append(
        _section("New PRs per recipe", quotas, rows, "No night has reported them yet.", QUOTA_RULE)
    )
    parts.append(_rejected(board.rejections, rows))
    parts.append("## Last night\n\n" + _night_text(night))
    if board.problems:
        parts.append(
            "## Problems reading the rules\n\n"
            + "\n".join(f"- {pr_text.clean(p)}" for p in board.problems)
        )
    return parts


def _section(title: str, lines: list[str], rows: int, empty: str, lead: str = "") -> str:
    if not lines:
        return f"## {title}\n\n{empty}"
    shown = lines[:rows]
    if len(lines) > len(shown):
        shown.append(f"- … and {len(lines) - len(shown)} more (all are in the rules block)")
    return f"## {title}\n\n" + (f"{lead}\n\n" if lead else "") + "\n".join(shown)


def _rejected(rejections: Sequence[Rejection], rows: int) -> str:
    lines = [
        f"- {pr_text.code(r.path + (f':{r.line}' if r.line else ''))} ({pr_text.code(r.recipe)}"
        f", {pr_text.code(r.rule)}): rejected on {pr_text.clean(r.date)} on "
        f"{pr_text.code(r.base[:10])}: {pr_text.clean(r.reason)}"
        for r in rejections
    ]
    section = _section("Rejected earlier", lines, rows, "No fix is waiting for a change.")
    if not lines:
        return section
    title, _, rest = section.partition("\n\n")
    return (
        f"{title}\n\nThe tests rejected these fixes. Nightcrew tries each again once the "
        "code it touches or the tests change, or after `verify.forget_rejections_after_days` "
        "(30 days unless the config says otherwise); "
        "to try one sooner, delete its entry from `rejections` in the rules block.\n\n" + rest
    )


def _ignored_lines(rules: IgnoreRules) -> list[str]:
    lines = []
    for rule in rules:
        where = f" on #{rule.pr}" if rule.pr is not None else ""
        who = f" by {pr_text.clean(rule.by)}" if rule.by else ""
        why = f", {pr_text.clean(rule.reason)}" if rule.reason else ""
        if rule.kind == "finding":
            what = f"finding {pr_text.code(rule.value[:8])}"
            if rule.recipe or rule.path:
                about = ", ".join(pr_text.code(x) for x in (rule.recipe, rule.path) if x)
                what += f" ({about})"
            undo = (
                f"undo: reopen #{rule.pr} or comment `/nightcrew unignore` on it"
                if rule.pr is not None
                else "undo: remove it from the rules block"
            )
        elif rule.kind == "recipe":
            what = f"recipe {pr_text.code(rule.value)}"
            undo = "undo: `/nightcrew unignore recipe` on one of its PRs, or edit the rules block"
        else:
            scope = f" for {pr_text.code(rule.recipe)}" if rule.recipe else ""
            what = f"path {pr_text.code(rule.value)}{scope}"
            undo = (
                f"undo: {pr_text.code('/nightcrew unignore path ' + rule.value)} on a Nightcrew PR"
            )
        problem = rule.problem()
        note = f" **(not used: {pr_text.clean(problem)})**" if problem else ""
        lines.append(f"- {what}{where}{who}{why}; {undo}{note}")
    return lines


def _night_text(night: NightSummary | None) -> str:
    if night is None:
        return "No night has reported here yet."
    c = night.counts
    untested = c.get(Reason.UNTESTED.value, 0)  # rejected: the tests pass but none runs it
    numbers = ", ".join(
        f"{c.get(k, 0)} {k}"
        + (f" ({untested} untested: {UNTESTED_TEXT})" if k == "rejected" and untested else "")
        for k in ("found", "verified", "published", "rejected", "skipped")
    )
    recipes = ", ".join(pr_text.code(r) for r in night.recipes) or "none"
    text = f"Started {night.started_at} on {pr_text.code(night.base[:10])}; recipes: {recipes}."
    if night.shards:
        text += "\n\n" + _shards_text(night)
    text += f"\n\n{numbers}."
    if night.prs:
        text += "\n\nPRs opened or rebuilt: " + ", ".join(night.prs)
    return text


def _shards_text(night: NightSummary) -> str:
    """``Sharded night (workflow run 123, attempt 1): shards 1/4, 3/4 of 4 reported; ...``."""
    run = ""
    if night.run_id:
        attempt = f", attempt {night.run_attempt}" if night.run_attempt else ""
        run = f" (workflow run {pr_text.clean(night.run_id)}{attempt})"
    totals = night.shard_totals()
    word = "shard" if len(night.shards) == 1 else "shards"
    text = f"Sharded night{run}: {word} {', '.join(night.shards)}"
    if len(totals) == 1:
        (total,) = totals
        text += f" of {total} reported"
        if len(night.shards) < total:
            text += "; the other shards add their numbers when they finish"
    else:
        text += " reported"
    return text + "."


def _rules_block(board: Dashboard) -> str:
    data: dict[str, Any] = {"version": VERSION}
    for section in SECTIONS:
        data[section] = [_entry(r) for r in board.rules.of_kind(KINDS[section])]
    if board.night is not None:
        data["night"] = last_night.to_json(board.night)
    if board.rejections:
        data["rejections"] = [r.to_json() for r in board.rejections]
    text = _dump(data)
    return (
        "<details><summary>Rules block (machine-readable)</summary>\n\n"
        f"{RULES_START}\n{pr_text.fence(text, 'json')}\n{RULES_END}\n\n</details>"
    )


def _dump(data: dict[str, Any]) -> str:
    """JSON with one rule per line (easy to edit by hand); ``<`` escaped, so no marker hides."""
    lines = ["{", f'  "version": {data["version"]},']
    keys = [k for k in data if k != "version"]
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = data[key]
        if isinstance(value, list) and value:
            items = [f"    {json.dumps(v, ensure_ascii=False)}" for v in value]
            lines.append(f'  "{key}": [\n' + ",\n".join(items) + f"\n  ]{comma}")
        else:
            lines.append(f'  "{key}": {json.dumps(value, ensure_ascii=False)}{comma}')
    lines.append("}")
    return "\n".join(lines).replace("<", "\\u003c")


def _entry(rule: Rule) -> dict[str, Any]:
    name = {"finding": "fingerprint", "recipe": "recipe", "path": "glob"}[rule.kind]
    entry: dict[str, Any] = {name: rule.value}
    for key in ("recipe", "path", "pr", "by", "reason", "at"):
        value = getattr(rule, key)
        if key == "recipe" and rule.kind == "recipe":
            continue
        if value not in ("", None):
            entry[key] = value
    entry.update({k: v for k, v in rule.extra.items() if k not in entry})
    return entry
