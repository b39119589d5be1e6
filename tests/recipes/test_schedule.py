"""Schedules: which nights a recipe runs; only the day fields count."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.config import RepoConfig
from bot.recipes.model import Recipe
from bot.recipes.schedule import ScheduleError, is_due, next_due, parse_schedule, select_recipes

# 2025-06-01 is a Sunday, 2025-06-02 a Monday.
SUN_1ST = datetime(2025, 6, 1, 3, 0)
MON_2ND = datetime(2025, 6, 2, 3, 0)
TUE_3RD = datetime(2025, 6, 3, 23, 59)
MON_JAN_6 = datetime(2025, 1, 6, 0, 0)
SAT_FEB_1 = datetime(2025, 2, 1, 12, 0)


@pytest.mark.parametrize(
    ("schedule", "when", "due"),
    [
        ("@daily", TUE_3RD, True),
        ("@nightly", MON_2ND, True),
        ("@weekly", SUN_1ST, True),
        ("@weekly", MON_2ND, False),
        ("@monthly", SUN_1ST, True),
        ("@monthly", MON_2ND, False),
        ("@monthly", SAT_FEB_1, True),
        ("0 3 * * 1", MON_2ND, True),
        ("0 3 * * 1", TUE_3RD, False),
        ("59 23 * * mon", MON_2ND, True),  # minute and hour are ignored
        ("0 0 * * MON-fri", TUE_3RD, True),
        ("0 0 * * mon-fri", SUN_1ST, False),
        ("0 0 * * 7", SUN_1ST, True),  # 7 is Sunday too
        ("0 0 * * 0", SUN_1ST, True),
        ("0 0 * * 1,3,5", TUE_3RD, False),
        ("0 0 */2 * *", SUN_1ST, True),  # days 1, 3, 5, ...
        ("0 0 */2 * *", MON_2ND, False),
        ("0 0 2-10/4 * *", MON_2ND, True),  # days 2, 6, 10
        ("0 0 2-10/4 * *", TUE_3RD, False),
        ("0 0 2/30 * *", MON_2ND, True),  # "2/30" is "2-31/30": days 2 and 32 (none)
        ("0 0 * jan *", MON_JAN_6, True),
        ("0 0 * jan *", MON_2ND, False),
        ("0 0 * 1-3,6 *", MON_2ND, True),
        # Both day fields restricted: either one matching is enough (cron's OR rule).
        ("0 0 1 * mon", SUN_1ST, True),
        ("0 0 1 * mon", MON_2ND, True),
        ("0 0 1 * mon", TUE_3RD, False),
        # Only one restricted: both must match.
        ("0 0 1 * *", MON_2ND, False),
        ("0 0 * 6 mon", MON_JAN_6, False),
    ],
)
def test_is_due(schedule: str, when: datetime, due: bool) -> None:
    assert is_due(schedule, when) is due


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("@hourly", "unknown schedule '@hourly': use one of @daily, @nightly, @weekly, @monthly"),
        ("daily", "schedule 'daily' has 1 field(s), cron needs 5"),
        ("0 3 * *", "schedule '0 3 * *' has 4 field(s), cron needs 5"),
        ("0 3 * * * *", "has 6 field(s)"),
        ("60 3 * * *", "minute field: 60 is out of range 0-59"),
        ("0 24 * * *", "hour field: 24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("0 0 * 13 *", "month field: 13 is out of range 1-12"),
        ("0 0 * * 8", "day-of-week field: 8 is out of range 0-7"),
        (
            "0 0 * * funday",
            "day-of-week field: 'funday' is not a number between 0 and 7 or a name (sun,",
        ),
        ("0 0 * june *", "month field: 'june' is not a number between 1 and 12 or a name (jan,"),
        ("0 0 * * fri-mon", "day-of-week field: range 'fri-mon' runs backwards; write mon-fri"),
        ("0 0 * * 1,,2", "day-of-week field '1,,2': '' is not a number"),
        ("*/0 0 * * *", "minute field: step '0' must be a whole number >= 1"),
        ("0 0 */x * *", "day-of-month field: step 'x' must be a whole number >= 1"),
        ("0 0 -1 * *", "day-of-month field: '' is not a number between 1 and 31"),
        ("0 0 30 2 *", "schedule '0 0 30 2 *' never runs: no month it names has a day 30"),
        ("0 0 ² * *", "'²' is not a number"),
    ],
)
def test_bad_schedules_say_what_is_wrong(schedule: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(schedule)
    assert message in str(caught.value)


def test_february_29th_is_possible() -> None:
    assert parse_schedule("0 0 29 2 *").days_of_month == frozenset({29})
    assert is_due("0 0 29 2 *", datetime(2028, 2, 29))


def test_parse_keeps_day_fields_and_normalises_sunday() -> None:
    parsed = parse_schedule("5 4 1,15 1-3 sun,7")
    assert parsed.days_of_month == {1, 15}
    assert parsed.months == {1, 2, 3}
    assert parsed.days_of_week == {0}
    assert parsed.dom_restricted and parsed.dow_restricted


@pytest.mark.parametrize(
    ("schedule", "when", "expected"),
    [
        ("@daily", TUE_3RD, date(2025, 6, 3)),  # due today: today
        ("@weekly", MON_2ND, date(2025, 6, 8)),  # the next Sunday
        ("@monthly", MON_2ND, date(2025, 7, 1)),
        ("0 3 * * 1", TUE_3RD, date(2025, 6, 9)),
        ("0 0 29 2 *", MON_2ND, date(2028, 2, 29)),  # the next leap day
    ],
)
def test_next_due(schedule: str, when: datetime, expected: date) -> None:
    assert next_due(schedule, when) == expected


def recipe(recipe_id: str, schedule: str) -> Recipe:
    return Recipe(id=recipe_id, title=recipe_id, description="d", schedule=schedule)


RECIPES = [recipe("daily", "@daily"), recipe("weekly", "@weekly"), recipe("mondays", "0 0 * * 1")]


@pytest.mark.parametrize(
    ("config", "every", "chosen", "skipped"),
    [
        pytest.param(RepoConfig(), False, ["daily"], ["weekly", "mondays"], id="schedules"),
        pytest.param(RepoConfig(), True, ["daily", "weekly", "mondays"], [], id="all"),
        # The config's `recipes:` enables; schedules still decide, unless --all.
        pytest.param(RepoConfig(recipes=("weekly",)), False, [], ["weekly"], id="config"),
        pytest.param(RepoConfig(recipes=("mondays", "weekly")), True, ["mondays", "weekly"], [],
                     id="config-all"),
    ],
)  # fmt: skip
def test_select_recipes_on_a_tuesday(config, every, chosen, skipped) -> None:
    got, left = select_recipes(RECIPES, config, (), TUE_3RD, every=every)
    assert [r.id for r in got] == chosen
    assert [i for i, _why in left] == skipped


def test_select_recipes_by_id_ignores_schedules_and_config() -> None:
    got, left = select_recipes(RECIPES, RepoConfig(recipes=("daily",)), ("weekly",), TUE_3RD)
    assert ([r.id for r in got], left) == (["weekly"], [])
