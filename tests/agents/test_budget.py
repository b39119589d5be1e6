"""Prices, usage sums and the meters that stop agents (fail closed)."""

from __future__ import annotations

import pytest

from bot.agents.budget import (
    PRICES,
    UNKNOWN_PRICE,
    Meter,
    Stopwatch,
    Usage,
    first_exhausted,
    price_of,
    remaining_seconds,
    turn_usage,
)
from bot.recipes.model import Limits


@pytest.mark.parametrize(
    ("model", "price", "known"),
    [
        ("claude-sonnet-5-5", PRICES["claude-sonnet-5-5"], True),
        ("claude-sonnet-5", PRICES["claude-sonnet-5"], True),
        ("claude-sonnet-4-5", PRICES["claude-sonnet-4"], True),
        ("claude-sonnet-4-5-20250929", PRICES["claude-sonnet-4"], True),
        ("claude-opus-4-5", PRICES["claude-opus-4-5"], True),
        ("claude-opus-4-8", PRICES["claude-opus-4"], True),
        ("claude-opus-4-1-20250805", PRICES["claude-opus-4"], True),
        ("claude-haiku-4-5", PRICES["claude-haiku-4-5"], True),
        ("claude-someday-9", UNKNOWN_PRICE, False),
        ("claude-sonnet-45", UNKNOWN_PRICE, False),  # not a prefix at a dash
    ],
)
def test_price_of(model: str, price: object, known: bool) -> None:
    assert price_of(model) == (price, known)


def test_unknown_models_cost_the_most() -> None:
    assert all(UNKNOWN_PRICE.output >= p.output for p in PRICES.values())


def test_turn_usage_prices_cache_reads_and_writes() -> None:
    usage = turn_usage(
        "claude-sonnet-4-5",  # $3 / $15
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_read=1_000_000,
        cache_write=1_000_000,
    )
    # 3 (input) + 15 (output) + 0.3 (read) + 3.75 (write)
    assert usage.dollars == pytest.approx(22.05)
    assert usage.tokens == 4_000_000
    assert (usage.turns, usage.requests) == (1, 1)


def test_usage_adds_up_and_reports_costs() -> None:
    total = Usage()
    total.add(turn_usage("claude-haiku-4-5", 100, 10, 50, 20, requests=2))
    total.add(turn_usage("claude-haiku-4-5", 10, 5))
    assert total.costs() == {
        "input_tokens": 110,
        "cache_read_input_tokens": 50,
        "cache_creation_input_tokens": 20,
        "output_tokens": 15,
        "dollars": round((110 * 1 + 50 * 0.1 + 20 * 1.25 + 15 * 5) / 1e6, 4),
        "turns": 2,
        "requests": 3,
    }


@pytest.mark.parametrize(
    ("limits", "used", "ahead", "reason"),
    [
        pytest.param(Limits(), Usage(turns=99, dollars=99), None, None, id="no-limits"),
        pytest.param(Limits(turns=3), Usage(turns=2), None, None, id="turns-left"),
        pytest.param(Limits(turns=3), Usage(turns=3), None, "turn limit", id="turns-spent"),
        pytest.param(Limits(tokens=100), Usage(input_tokens=100), None, "token", id="tokens-at"),
        pytest.param(
            Limits(tokens=100),
            Usage(input_tokens=60),
            Usage(input_tokens=50),
            "token budget",
            id="next-turn-would-pass-tokens",
        ),
        pytest.param(
            Limits(dollars=1.0),
            Usage(dollars=0.7),
            Usage(dollars=0.2),
            None,
            id="next-turn-fits-dollars",
        ),
        pytest.param(
            Limits(dollars=1.0),
            Usage(dollars=0.7),
            Usage(dollars=0.4),
            "dollar budget",
            id="next-turn-would-pass-dollars",
        ),
        pytest.param(Limits(seconds=10), Usage(seconds=10.5), None, "time", id="time-spent"),
    ],
)
def test_meter_exhausted(
    limits: Limits, used: Usage, ahead: Usage | None, reason: str | None
) -> None:
    meter = Meter("agent", limits)
    meter.used = used
    got = meter.exhausted(ahead)
    if reason is None:
        assert got is None
    else:
        assert got is not None and reason in got and got.startswith("agent ")


def test_first_exhausted_and_remaining_seconds() -> None:
    agent, night = Meter("agent", Limits(seconds=100)), Meter("night", Limits(tokens=5))
    night.used.output_tokens = 5
    assert first_exhausted([agent, night]) == "night token budget reached (5 of 5 tokens)"
    agent.used.seconds = 70
    assert remaining_seconds([agent, night], 300) == 30
    assert remaining_seconds([night], 300) == 300


def test_stopwatch_charges_every_meter() -> None:
    times = iter([10.0, 12.5, 13.0])
    a, b = Meter("a", Limits()), Meter("b", Limits())
    watch = Stopwatch([a, b], lambda: next(times))
    watch.tick()
    watch.tick()
    assert a.used.seconds == b.used.seconds == 3.0
