"""What agents spend (tokens, dollars, turns, time) and the limits that stop them. Pure.

Dollars are an *estimate* from the small price table below (US dollars per million
tokens, list prices when this table was written): a cache write costs 1.25 times the
input price, a cache read 0.1 times. A model the table does not know is priced like the
most expensive one, so an unknown model can only make a budget run out sooner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields

from bot.recipes.model import Limits

CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens."""

    input: float
    output: float


PRICES: dict[str, Price] = {
    # Published list prices, checked November 2026. Haiku 5.5 doubles and more above 100k
    # prompt tokens; agents' requests stay far below that.
    "claude-fable-5-1": Price(10.0, 50.0),
    "claude-opus-5-5": Price(4.0, 20.0),
    "claude-opus-5": Price(5.0, 25.0),
    "claude-sonnet-5-5": Price(2.0, 10.0),
    "claude-sonnet-5": Price(2.0, 10.0),
    "claude-haiku-5-5": Price(0.1, 0.5),
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4": Price(15.0, 75.0),  # 4, 4.1; later 4.x too, until the table knows
    "claude-sonnet-4": Price(3.0, 15.0),  # 4, 4.5, 4.6 and their dated ids
    "claude-haiku-4-5": Price(1.0, 5.0),
}
UNKNOWN_PRICE = max(PRICES.values(), key=lambda p: (p.output, p.input))


def price_of(model: str) -> tuple[Price, bool]:
    """The table's price for ``model`` (longest matching id prefix) and whether it knew it."""
    matches = [key for key in PRICES if model == key or model.startswith(key + "-")]
    if not matches:
        return UNKNOWN_PRICE, False
    return PRICES[max(matches, key=len)], True


@dataclass
class Usage:
    """Spending so far; ``add`` sums another Usage into this one."""

    input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    output_tokens: int = 0
    dollars: float = 0.0
    turns: int = 0  # model responses
    requests: int = 0  # HTTP requests, the SDK's retries included
    seconds: float = 0.0

    @property
    def tokens(self) -> int:
        """Every token sent or received, cached or not: what token budgets count."""
        return (
            self.input_tokens
            + self.cache_read_input_tokens
            + self.cache_creation_input_tokens
            + self.output_tokens
        )

    def add(self, other: Usage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def costs(self) -> dict[str, float]:
        """For ``FixOutcome.costs`` and reports (dollars rounded to 1/10000)."""
        return {
            "input_tokens": self.input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "output_tokens": self.output_tokens,
            "dollars": round(self.dollars, 4),
            "turns": self.turns,
            "requests": self.requests,
        }


def turn_usage(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read: int = 0,
    cache_write: int = 0,
    requests: int = 1,
) -> Usage:
    """One model response's usage, priced."""
    price, _known = price_of(model)
    dollars = (
        input_tokens * price.input
        + cache_write * price.input * CACHE_WRITE_FACTOR
        + cache_read * price.input * CACHE_READ_FACTOR
        + output_tokens * price.output
    ) / 1_000_000
    return Usage(
        input_tokens=input_tokens,
        cache_read_input_tokens=cache_read,
        cache_creation_input_tokens=cache_write,
        output_tokens=output_tokens,
        dollars=dollars,
        turns=1,
        requests=requests,
    )


# Checking every level and holding room for one turn is one step, across all meters, so
# that parallel agents cannot all pass the check for the last turn the budget has room for.
_RESERVING = threading.Lock()


class Meter:
    """Spending against one level's limits (an agent, a recipe, the night).

    ``exhausted`` fails closed: it also says no when the *next* turn, estimated from the
    last one, would pass a token or dollar limit, counting the turns other agents have
    in flight at this level (held by :func:`reserve`).
    """

    def __init__(self, label: str, limits: Limits) -> None:
        self.label = label
        self.limits = limits
        self.used = Usage()
        self.largest = Usage()  # the largest single turn charged here: the estimate of a turn
        # Turns in flight at this level, as estimated when they started (see reserve).
        self.held_turns, self.held_tokens, self.held_dollars = 0, 0, 0.0
        self._lock = threading.Lock()  # the recipe's and night's meters may be shared

    def charge(self, usage: Usage) -> None:
        with self._lock:
            self.used.add(usage)
            if usage.turns and usage.tokens > self.largest.tokens:
                self.largest = usage

    def hold(self, turn: Usage, sign: int = 1) -> None:
        """Count ``turn`` as in flight (``sign=-1``: no longer)."""
        with self._lock:
            self.held_turns += sign
            self.held_tokens += sign * turn.tokens
            self.held_dollars += sign * turn.dollars

    def exhausted(self, next_turn: Usage | None = None) -> str | None:
        """Why nothing more may start at this level, or None."""
        limits, used = self.limits, self.used
        ahead = next_turn or Usage()
        tokens, dollars = used.tokens + self.held_tokens, used.dollars + self.held_dollars
        if limits.turns is not None and used.turns + self.held_turns >= limits.turns:
            return f"{self.label} turn limit reached ({limits.turns} turns)"
        if limits.tokens is not None and (
            used.tokens >= limits.tokens or tokens + ahead.tokens > limits.tokens
        ):
            return f"{self.label} token budget reached ({used.tokens} of {limits.tokens} tokens)"
        if limits.dollars is not None and (
            used.dollars >= limits.dollars or dollars + ahead.dollars > limits.dollars
        ):
            return (
                f"{self.label} dollar budget reached "
                f"(${used.dollars:.4f} of ${limits.dollars:.2f}, estimated)"
            )
        if limits.seconds is not None and used.seconds >= limits.seconds:
            return f"{self.label} time budget reached ({limits.seconds:.0f}s)"
        return None

    def remaining_seconds(self) -> float | None:
        if self.limits.seconds is None:
            return None
        return max(0.0, self.limits.seconds - self.used.seconds)


def first_exhausted(meters: Iterable[Meter], next_turn: Usage | None = None) -> str | None:
    return next((r for m in meters if (r := m.exhausted(next_turn)) is not None), None)


def estimate_turn(meters: Sequence[Meter], last_turn: Usage | None) -> Usage:
    """What the next turn will cost: the agent's last one, else the largest seen at any level
    (an agent's first turn, once any agent of the night has had one), else nothing."""
    if last_turn is not None:
        return last_turn
    return max((m.largest for m in meters), key=lambda u: u.tokens, default=Usage())


def reserve(meters: Sequence[Meter], turn: Usage) -> str | None:
    """If every level has room for one more ``turn``, hold it there and return None; else
    say why not. :func:`settle` charges what the turn really cost and lets the hold go."""
    with _RESERVING:
        stop = first_exhausted(meters, turn)
        if stop is None:
            for meter in meters:
                meter.hold(turn)
        return stop


def settle(meters: Sequence[Meter], held: Usage, actual: Usage) -> None:
    """Charge ``actual`` and drop the hold on ``held``, as one step: between the two, a
    parallel agent's check would otherwise see the turn counted nowhere."""
    with _RESERVING:
        for meter in meters:
            meter.charge(actual)
            meter.hold(held, sign=-1)


def remaining_seconds(meters: Iterable[Meter], cap: float) -> float:
    """The least time any level has left, at most ``cap``."""
    return min([cap, *(r for m in meters if (r := m.remaining_seconds()) is not None)])


class Stopwatch:
    """Charges elapsed wall time to meters, step by step (only agent time counts)."""

    def __init__(self, meters: Iterable[Meter], clock: Callable[[], float]) -> None:
        self.meters = list(meters)
        self.clock = clock
        self.last = clock()

    def tick(self) -> None:
        now = self.clock()
        for meter in self.meters:
            meter.charge(Usage(seconds=now - self.last))
        self.last = now
