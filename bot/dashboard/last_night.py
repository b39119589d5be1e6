"""The last night on the dashboard: ``NightSummary``, from a report, shards added up. Pure.

A sharded night (one workflow run, a matrix of jobs each running one shard) records one
summary for the run: each shard's job adds its numbers to it (``add_night``);
``run_id``/``run_attempt``/``shards`` say which run and shards it covers. A summary without
them (written before they existed) is an unknown, unsharded run. ``to_json``/``from_json``
are its form in the dashboard's rules block (``from_json`` as lenient as the rest of it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.publish import quota
from bot.publish.quota import Quota
from bot.report.results import Reason

_SHARD_TEXT = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


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
    quotas: tuple[Quota, ...] = ()  # each recipe's new PRs that night, and why

    def same_run(self, other: NightSummary) -> bool:
        """Both from one known workflow run (and attempt): shards of it add up."""
        return bool(self.run_id) and (self.run_id, self.run_attempt) == (
            other.run_id,
            other.run_attempt,
        )

    def shard_totals(self) -> set[int]:
        """How many shards the run has, as each counted shard says (one number, normally)."""
        return {_shard_key(s)[1] for s in self.shards}

    def covers(self, other: NightSummary) -> bool:
        """``other`` is a sharded summary whose shards are all counted in this one."""
        return bool(other.shards) and self.same_run(other) and set(other.shards) <= set(self.shards)


def to_json(night: NightSummary) -> dict[str, Any]:
    """The summary as the rules block holds it (``from_json`` reads it back)."""
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
        "quotas": [q.to_json() for q in night.quotas],
    }


def from_json(data: Any) -> NightSummary | None:
    """A summary from the rules block's ``night``, however it was edited; None if not one."""
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
        quotas=_quotas(data.get("quotas")),
    )


def _quotas(items: Any) -> tuple[Quota, ...]:
    """The quotas that can be read, one per recipe (the first); () for anything else."""
    found = (quota.from_json(q) for q in (items if isinstance(items, list) else ()))
    return _first_per_recipe([q for q in found if q is not None])


def _first_per_recipe(quotas: Sequence[Quota]) -> tuple[Quota, ...]:
    """One quota per recipe, the first seen (the shards of a night read the same record)."""
    first: dict[str, Quota] = {}
    for q in quotas:
        first.setdefault(q.recipe, q)
    return tuple(first.values())


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


def _waits(kind: Any) -> bool:
    """Left for a later night by a limit or a stop (``reason_kind`` of a report's fix)."""
    try:
        return Reason(kind).waits
    except ValueError:  # no kind (a report from before kinds), or an unknown one
        return False


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
        if _waits(fix.get("reason_kind")):
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
        quotas=_quotas(report.get("quotas")),
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
        quotas=_first_per_recipe([*current.quotas, *night.quotas]),
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
