"""Recipe schedules: on which nights a recipe runs.

A schedule is ``@daily`` (alias ``@nightly``), ``@weekly`` (Sundays, as in cron),
``@monthly`` (the 1st), or a five-field cron expression ``minute hour day-of-month month
day-of-week`` with ``*``, ``a-b``, lists ``a,b``, steps ``*/n`` and ``a-b/n``, and names
(``jan``-``dec``, ``sun``-``sat``; day-of-week 0 and 7 are both Sunday).

Only the day fields decide whether a recipe is due. Minute and hour are validated but
ignored: the workflow's own cron trigger picks the time of night, and Nightcrew runs
every recipe that is due on that date. So ``0 3 * * 1`` means "on Mondays".

As in cron, when both day-of-month and day-of-week are restricted (neither is exactly
``*``) a day matches if *either* matches: ``0 0 1 * mon`` is the 1st and every Monday.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import UserError

if TYPE_CHECKING:
    from bot.config import RepoConfig
    from bot.recipes.model import Recipe

ALIASES = {
    "@daily": "0 0 * * *",
    "@nightly": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
}

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day-of-month", 1, 31, {}),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 0, 7, _WEEKDAYS),
)


class ScheduleError(ValueError):
    """A schedule that cannot be parsed; the message says what to write instead."""


@dataclass(frozen=True)
class Schedule:
    """The day fields of a parsed schedule."""

    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 0 = Sunday
    dom_restricted: bool
    dow_restricted: bool


def parse_schedule(text: str) -> Schedule:
    """Parse ``text``; raise ScheduleError with a precise message if it is not valid."""
    expr = text.strip()
    if expr.startswith("@"):
        if expr not in ALIASES:
            raise ScheduleError(
                f"unknown schedule {text!r}: use one of {', '.join(ALIASES)} "
                "or a five-field cron expression such as '0 3 * * 1'"
            )
        expr = ALIASES[expr]
    parts = expr.split()
    if len(parts) != len(_FIELDS):
        raise ScheduleError(
            f"schedule {text!r} has {len(parts)} field(s), cron needs 5: "
            "minute hour day-of-month month day-of-week, e.g. '0 3 * * 1'"
        )
    values = [_parse_field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    _, _, doms, months, dows = values
    dom_restricted, dow_restricted = parts[2] != "*", parts[4] != "*"
    dows = frozenset(d % 7 for d in dows)
    if not dow_restricted and not any(
        day <= _longest_month(month) for month in months for day in doms
    ):
        raise ScheduleError(
            f"schedule {text!r} never runs: no month it names has a day {min(doms)}"
        )
    return Schedule(doms, months, dows, dom_restricted, dow_restricted)


def is_due(schedule: str, when: datetime) -> bool:
    """Whether a recipe with ``schedule`` runs on the date of ``when`` (time of day ignored)."""
    return _on(parse_schedule(schedule), when.date())


def next_due(schedule: str, when: datetime) -> date:
    """The first date on or after ``when``'s on which ``schedule`` is due."""
    parsed, day = parse_schedule(schedule), when.date()
    # Every valid schedule is due within 8 years (29 February; 2100 is no leap year).
    for _ in range(8 * 366 + 1):
        if _on(parsed, day):
            return day
        day += timedelta(days=1)
    raise ScheduleError(f"schedule {schedule!r} is not due in the next 8 years")


def _on(parsed: Schedule, day: date) -> bool:
    if day.month not in parsed.months:
        return False
    dom_ok = day.day in parsed.days_of_month
    dow_ok = (day.weekday() + 1) % 7 in parsed.days_of_week
    if parsed.dom_restricted and parsed.dow_restricted:
        return dom_ok or dow_ok
    return dom_ok and dow_ok


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _longest_month(month: int) -> int:
    return 29 if month == 2 else calendar.monthrange(2001, month)[1]


def _parse_field(text: str, spec: _Field) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(item, spec, text))
    return frozenset(values)


def _parse_item(item: str, spec: _Field, whole: str) -> range:
    where = f"{spec.name} field" + (f" {whole!r}" if item != whole else "")
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not _is_number(step_text) or int(step_text) == 0:
            raise ScheduleError(f"{where}: step {step_text!r} must be a whole number >= 1")
        step = int(step_text)
    if base == "*":
        low, high = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        low, high = _value(first, spec, where), _value(last, spec, where)
        if low > high:
            raise ScheduleError(f"{where}: range {base!r} runs backwards; write {last}-{first}")
    else:
        low = high = _value(base, spec, where)
        if slash:
            high = spec.high  # cron reads "5/15" as "5-max/15"
    return range(low, high + 1, step)


def _value(text: str, spec: _Field, where: str) -> int:
    if text.lower() in spec.names:
        return spec.names[text.lower()]
    if not _is_number(text):
        hint = f" or a name ({', '.join(spec.names)})" if spec.names else ""
        raise ScheduleError(
            f"{where}: {text!r} is not a number between {spec.low} and {spec.high}{hint}"
        )
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise ScheduleError(f"{where}: {value} is out of range {spec.low}-{spec.high}")
    return value


def select_recipes(
    recipes: Sequence[Recipe],
    config: RepoConfig,
    ids: Sequence[str],
    now: datetime,
    *,
    every: bool = False,
) -> tuple[list[Recipe], list[tuple[str, str]]]:
    """Recipes to run tonight, and the ones left out with why.

    ``ids`` (``--recipe``) picks recipes by id whatever the config and schedules say.
    Otherwise the enabled recipes (the config's ``recipes:``, default every recipe) run
    when their schedule is due, or all of them with ``every`` (``--all``).
    """
    by_id = {r.id: r for r in recipes}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise UserError(
                f"unknown recipe {', '.join(repr(i) for i in unknown)}; "
                f"known: {', '.join(sorted(by_id))} (see `nightcrew recipes list`)",
                field="--recipe",
            )
        return [by_id[i] for i in dict.fromkeys(ids)], []
    chosen, skipped = [], []
    for recipe in enabled(recipes, config):
        if every or is_due(recipe.schedule, now):
            chosen.append(recipe)
        else:
            skipped.append((recipe.id, f"not due today (schedule {recipe.schedule!r})"))
    return chosen, skipped


def enabled(recipes: Sequence[Recipe], config: RepoConfig) -> list[Recipe]:
    """The recipes the config enables (its ``recipes:``, in that order), default all of them."""
    if config.recipes is None:
        return list(recipes)
    by_id = {r.id: r for r in recipes}
    return [by_id[i] for i in config.recipes if i in by_id]
