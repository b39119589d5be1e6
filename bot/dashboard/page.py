"""The dashboard issue's body: render it, and read the ignore rules back from it. Pure.

One issue per repository, recognised by ``MARKER``. People read the sections (open PRs,
what is ignored and how to undo it, what waits for a free slot, last night's summary);
Nightcrew reads the machine-readable block between ``RULES_START`` and ``RULES_END``, a
fenced JSON object::

    {"version": 1,
     "findings": [{"fingerprint": "0123abcd...", "recipe": "...", "pr": 12, "by": "octocat"}],
     "recipes": [{"recipe": "unused-imports"}],
     "paths": [{"glob": "tests/**"}],
     "night": {...}}

``night`` is the last night's summary. A sharded night (one workflow run, a matrix of jobs
each running one shard) records one summary for the run: each shard's job adds its numbers
to it (``add_night``); ``run_id``/``run_attempt``/``shards`` say which run and shards it
covers. A summary without them (written before they existed) is an unknown, unsharded run.

People may edit the block by hand. ``parse`` is lenient: entries may be bare strings
(``"findings": ["0123abcd"]``), top-level keys may sit under ``"ignore"``, trailing commas
and ``//`` comments are forgiven, unknown fields are kept. A block that is still not JSON
is salvaged (every fingerprint, recipe id and glob that can be recognised) and flagged
``broken``, so the bot refuses to rewrite it and no rule is ever lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.dashboard import markers
from bot.dashboard.rules import IgnoreRules, Rule
from bot.publish import pr_text

TITLE = "Nightcrew dashboard"
LABEL = "nightcrew"
MARKER = markers.encode({"dashboard": 1})
RULES_START = "<!-- nightcrew:rules -->"
RULES_END = "<!-- /nightcrew:rules -->"
VERSION = 1
BODY_LIMIT = pr_text.BODY_LIMIT
MAX_ROWS = 50  # per list; the JSON block always holds every rule

_BLOCK = re.compile(r"<!--\s*nightcrew:rules\s*-->(.*?)(?:<!--\s*/nightcrew:rules\s*-->|\Z)", re.S)
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)^ {0,3}\1[`~]*[ \t]*$", re.S | re.M)
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_LINE_COMMENT = re.compile(r'^((?:[^"\n]|"(?:\\.|[^"\\\n])*")*?)\s*//[^\n]*$', re.M)
_SECTIONS = ("findings", "recipes", "paths")
_VALUE_KEYS = {"findings": ("fingerprint",), "recipes": ("recipe", "id"), "paths": ("glob", "path")}
_KIND = {"findings": "finding", "recipes": "recipe", "paths": "path"}
_KNOWN = frozenset({"recipe", "path", "pr", "by", "reason", "at"})
_WAITING_WORDS = re.compile(r"limit|free slot|publishing stopped", re.I)
_SHARD_TEXT = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class OpenPull:
    """An open Nightcrew PR, as the dashboard lists it."""

    number: int
    url: str
    recipe: str
    fingerprint: str
    title: str = ""


@dataclass(frozen=True)
class Waiting:
    """A finding the last night left for a later one (limits, rate limits)."""

    recipe: str
    path: str
    line: int
    reason: str


@dataclass(frozen=True)
class NightSummary:
    """The last night, in a few numbers; for a sharded night, the shards reported so far."""

    started_at: str
    base: str
    counts: Mapping[str, int] = field(default_factory=dict, hash=False)
    prs: tuple[str, ...] = ()
    recipes: tuple[str, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    run_id: str = ""  # GITHUB_RUN_ID of the workflow run; "" when unknown
    run_attempt: int = 0  # GITHUB_RUN_ATTEMPT; 0 when unknown
    shards: tuple[str, ...] = ()  # "I/N" of each shard counted in; () for an unsharded night

    def same_run(self, other: NightSummary) -> bool:
        """Both from one known workflow run (and attempt): shards of it add up."""
        return bool(self.run_id) and (self.run_id, self.run_attempt) == (
            other.run_id,
            other.run_attempt,
        )

    def covers(self, other: NightSummary) -> bool:
        """``other`` is a sharded summary whose shards are all counted in this one."""
        return bool(other.shards) and self.same_run(other) and set(other.shards) <= set(self.shards)


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard holds: the rules, the last night; ``problems`` found reading it."""

    rules: IgnoreRules = field(default_factory=IgnoreRules)
    night: NightSummary | None = None
    problems: tuple[str, ...] = ()
    broken: bool = False  # the rules block is not JSON: rules were salvaged; do not rewrite


def is_dashboard(body: str | None) -> bool:
    return any(fields.get("dashboard") for fields in markers.decode_all(body or ""))


# --- render ----------------------------------------------------------------------------------


def render(board: Dashboard, open_pulls: Sequence[OpenPull] = ()) -> str:
    """The issue body; ``parse(render(b))`` gives ``b``'s rules and night back."""
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
    parts.append("## Last night\n\n" + _night_text(night))
    if board.problems:
        parts.append(
            "## Problems reading the rules\n\n"
            + "\n".join(f"- {pr_text.clean(p)}" for p in board.problems)
        )
    return parts


def _section(title: str, lines: list[str], rows: int, empty: str) -> str:
    if not lines:
        return f"## {title}\n\n{empty}"
    shown = lines[:rows]
    if len(lines) > len(shown):
        shown.append(f"- … and {len(lines) - len(shown)} more (all are in the rules block)")
    return f"## {title}\n\n" + "\n".join(shown)


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
    numbers = ", ".join(
        f"{c.get(k, 0)} {k}" for k in ("found", "verified", "published", "rejected", "skipped")
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
    totals = {_shard_key(s)[1] for s in night.shards}
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
    for section in _SECTIONS:
        data[section] = [_entry(r) for r in board.rules.of_kind(_KIND[section])]
    if board.night is not None:
        data["night"] = _night_json(board.night)
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


def _night_json(night: NightSummary) -> dict[str, Any]:
    return {
        "started_at": night.started_at,
        "base": night.base,
        "counts": dict(night.counts),
        "prs": list(night.prs),
        "recipes": list(night.recipes),
        "waiting": [
            {"recipe": w.recipe, "path": w.path, "line": w.line, "reason": w.reason}
            for w in night.waiting
        ],
        "run_id": night.run_id,
        "run_attempt": night.run_attempt,
        "shards": list(night.shards),
    }


# --- parse -----------------------------------------------------------------------------------


def parse(body: str | None) -> Dashboard:
    """The rules (and last night) in a dashboard body, however people have edited it."""
    text = (body or "").replace("\r\n", "\n")  # bodies edited on github.com come back with CRLF
    blocks = [m.group(1) for m in _BLOCK.finditer(text)]
    if not blocks:
        return Dashboard(problems=("the rules block is missing: no rules are set",))
    rules, night, problems, broken = IgnoreRules(), None, [], False
    for raw in blocks:
        fenced = _FENCED.search(raw)
        text = fenced.group(2) if fenced else raw
        data, error = _load(text)
        if error is not None:
            broken = True
            problems.append(f"the rules block is not valid JSON ({error}); rules were salvaged")
            rules = rules.merge(_salvage(text))
            continue
        read, found = _read(data)
        rules = rules.merge(read)
        problems += found
        if night is None and isinstance(data, Mapping):
            night = _read_night(data.get("night"))
    problems += rules.problems()
    return Dashboard(rules, night, tuple(problems), broken)


def _load(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        error = f"line {exc.lineno}: {exc.msg}"
    relaxed = _TRAILING_COMMA.sub(r"\1", _LINE_COMMENT.sub(r"\1", text))
    try:
        return json.loads(relaxed), None
    except json.JSONDecodeError:
        return None, error


def _read(data: Any) -> tuple[list[Rule], list[str]]:
    if not isinstance(data, Mapping):
        return [], ["the rules block is not a JSON object"]
    nested = data.get("ignore")
    sources = [data, nested] if isinstance(nested, Mapping) else [data]
    rules: list[Rule] = []
    problems: list[str] = []
    for source in sources:
        for section in _SECTIONS:
            entries = source.get(section)
            if entries is None:
                continue
            if not isinstance(entries, list):
                entries = [entries]
            for entry in entries:
                rule = _rule(section, entry)
                if rule is None:
                    problems.append(f"{section}: cannot read {json.dumps(entry)[:80]}")
                else:
                    rules.append(rule)
    return rules, problems


def _rule(section: str, entry: Any) -> Rule | None:
    kind = _KIND[section]
    if isinstance(entry, str):
        return Rule(kind, entry.strip()) if entry.strip() else None
    if not isinstance(entry, Mapping):
        return None
    value = next((entry[k] for k in _VALUE_KEYS[section] if isinstance(entry.get(k), str)), None)
    if not value or not value.strip():
        return None
    used = {next(k for k in _VALUE_KEYS[section] if entry.get(k) == value)}
    pr = entry.get("pr")
    fields: dict[str, Any] = {
        key: str(entry[key])
        for key in ("recipe", "path", "by", "reason", "at")
        if key not in used and isinstance(entry.get(key), str | int | float)
    }
    return Rule(
        kind,
        value.strip(),
        pr=pr if isinstance(pr, int) and not isinstance(pr, bool) else None,
        extra={k: v for k, v in entry.items() if k not in used and k not in _KNOWN},
        **fields,
    )


def _read_night(data: Any) -> NightSummary | None:
    if not isinstance(data, Mapping):
        return None
    counts = data.get("counts")
    waiting = []
    for w in data.get("waiting") or ():
        if isinstance(w, Mapping):
            line = w.get("line")
            waiting.append(
                Waiting(
                    str(w.get("recipe", "")),
                    str(w.get("path", "")),
                    line if isinstance(line, int) else 0,
                    str(w.get("reason", "")),
                )
            )
    run_id = data.get("run_id")
    attempt = data.get("run_attempt")
    if isinstance(attempt, str) and attempt.strip().isdigit():
        attempt = int(attempt)
    shards = data.get("shards")
    return NightSummary(
        started_at=str(data.get("started_at", "")),
        base=str(data.get("base", "")),
        counts={
            str(k): v
            for k, v in (counts.items() if isinstance(counts, Mapping) else ())
            if isinstance(v, int)
        },
        prs=tuple(str(p) for p in data.get("prs") or () if isinstance(p, str)),
        recipes=tuple(str(r) for r in data.get("recipes") or () if isinstance(r, str)),
        waiting=tuple(waiting),
        # Missing in dashboards written before sharded nights were merged: an unknown run.
        run_id=str(run_id).strip() if _is(run_id, str | int) else "",
        run_attempt=attempt if _is(attempt, int) and attempt > 0 else 0,
        shards=_shard_list(shards if isinstance(shards, list) else ()),
    )


def _is(value: Any, kind: Any) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _shard_key(text: str) -> tuple[int, int]:
    """``"3/4"`` -> ``(3, 4)``; (0, 0) for anything else."""
    match = _SHARD_TEXT.fullmatch(text)
    if match:
        index, total = int(match[1]), int(match[2])
        if 1 <= index <= total:
            return index, total
    return 0, 0


def _shard_list(items: Any) -> tuple[str, ...]:
    """Valid ``I/N`` strings, normalised, without duplicates, in shard order."""
    keys = {_shard_key(s) for s in items if isinstance(s, str)} - {(0, 0)}
    return tuple(f"{i}/{n}" for i, n in sorted(keys, key=lambda k: (k[1], k[0])))


_KEYED = r'"{key}"\s*:\s*"((?:\\.|[^"\\\n])*)"'
_BARE = re.compile(r'(?<=[\[,])\s*"((?:\\.|[^"\\\n])*)"(?=\s*(?:[,\]]|\Z))')


def _salvage(text: str) -> list[Rule]:
    """Rules recognisable in a block that is not JSON: keyed values and bare strings."""
    positions = sorted(
        (m.start(), section)
        for section in _SECTIONS
        for m in re.finditer(rf'"{section}"\s*:', text)
    )
    rules: list[Rule] = []
    for i, (start, section) in enumerate(positions):
        end = positions[i + 1][0] if i + 1 < len(positions) else len(text)
        chunk = text[start:end]
        chunk = chunk[chunk.index(":") + 1 :]
        values = [
            m.group(1)
            for key in _VALUE_KEYS[section]
            for m in re.finditer(_KEYED.format(key=key), chunk)
        ]
        values += [m.group(1) for m in _BARE.finditer(chunk)]
        rules += [Rule(_KIND[section], v.strip()) for v in values if v.strip()]
    return rules


# --- from a night's report -------------------------------------------------------------------


def night_summary(
    report: Mapping[str, Any], *, run_id: str = "", run_attempt: int = 0
) -> NightSummary:
    """The dashboard's view of a night, from its JSON report (``NightReport.to_json()``).

    ``run_id``/``run_attempt``: the workflow run it belongs to (GITHUB_RUN_ID and
    GITHUB_RUN_ATTEMPT), so the shards of one run can add up (``add_night``).
    """
    counts = dict(report.get("summary") or {})
    prs = tuple(str(u) for u in report.get("prs") or ())
    counts["published"] = len(prs)
    waiting = []
    for fix in report.get("fixes") or ():
        reason = str(fix.get("reason") or "")
        left = fix.get("status") == "skipped" or "not published" in reason
        if left and _WAITING_WORDS.search(reason):
            waiting.append(
                Waiting(
                    str(fix.get("recipe", "")),
                    str(fix.get("path", "")),
                    int(fix.get("line") or 0),
                    reason,
                )
            )
    return NightSummary(
        started_at=str(report.get("started_at", "")),
        base=str(report.get("base", "")),
        counts={k: v for k, v in counts.items() if isinstance(v, int)},
        prs=prs,
        recipes=tuple(str(r) for r in report.get("recipes") or ()),
        waiting=tuple(waiting),
        run_id=run_id.strip(),
        run_attempt=run_attempt if run_id.strip() else 0,
        shards=_report_shard(report.get("shard")),
    )


def _report_shard(shard: Any) -> tuple[str, ...]:
    """The report's ``"shard": [I, N]`` as ``("I/N",)``; () for an unsharded night."""
    if isinstance(shard, list | tuple) and len(shard) == 2 and all(_is(x, int) for x in shard):
        return _shard_list([f"{shard[0]}/{shard[1]}"])
    return ()


def add_night(current: NightSummary | None, night: NightSummary) -> NightSummary:
    """The dashboard's last night once ``night`` has reported.

    Two shards of one workflow run (same run id and attempt, both sharded) add up: counts
    summed; PRs, recipes and waiting findings joined (first seen first, no duplicates); the
    earliest start kept; the shard added. Anything else (a new run, an unsharded night, a
    run that is not known) replaces ``current``. A shard already counted is not counted
    again, so writing the same shard twice changes nothing.
    """
    if current is None or not (night.shards and current.shards and current.same_run(night)):
        return night
    if current.covers(night):
        return current
    counts = dict(current.counts)
    for key, value in night.counts.items():
        counts[key] = counts.get(key, 0) + value
    first = min((current, night), key=lambda n: _start_key(n.started_at))
    return NightSummary(
        started_at=first.started_at,
        base=first.base or current.base or night.base,
        counts=counts,
        prs=_union(current.prs, night.prs),
        recipes=_union(current.recipes, night.recipes),
        waiting=_union(current.waiting, night.waiting),
        run_id=current.run_id,
        run_attempt=current.run_attempt,
        shards=_shard_list([*current.shards, *night.shards]),
    )


def _union(first: Sequence[Any], second: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys([*first, *second]))


def _start_key(started_at: str) -> tuple[int, float, str]:
    """Sort key for ``started_at``: parsed ISO times first (by instant), unknown ones last."""
    try:
        moment = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    except ValueError:
        return (1, 0.0, started_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (0, moment.timestamp(), started_at)
