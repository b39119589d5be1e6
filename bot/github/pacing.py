"""How often and how fast Nightcrew asks GitHub: rate-limit waits, the write pacer, retries (pure).

Retries: ``retrying`` (tenacity) is the one retry layer for the GitHub API (``client``) and
for git pushes (``push``); PyGithub's own retry is off. A failure worth another try (a 5xx,
no answer, a rate limit, a push the remote asks to try again) waits for GitHub's
``retry-after`` or ``x-ratelimit-reset`` when it gives one, else an exponential backoff,
and every wait is drawn from the night's ``WaitBudget``. A wait the budget cannot cover is
not started: the error is raised at once, marked with what the budget had left
(``budget_left``), so the publisher can stop and say why. Content-creating requests go one
at a time through a ``Pacer`` (GitHub asks for at least a second between them). The clocks
and ``sleep`` are injectable; nothing here makes a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from bot.github.api import ApiError

log = logging.getLogger(__name__)
T = TypeVar("T")

# About ten minutes a night of waiting on GitHub (config ``github.wait_budget``).
DEFAULT_WAIT_BUDGET = 600.0
_RATE_LIMIT_WORDS = ("rate limit", "abuse detection", "please wait a few minutes")


def rate_limit_wait(
    status: int | None,
    headers: Mapping[str, Any],
    message: str,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds GitHub asks us to wait when ``status`` is a rate limit, else None.

    Secondary limits send ``retry-after``; an exhausted primary limit sends
    ``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset`` (epoch seconds); without either
    GitHub's advice is to wait at least a minute.
    """
    if status not in (403, 429):
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after" in lower:
        return _retry_after_seconds(lower["retry-after"], now)
    if lower.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(lower.get("x-ratelimit-reset", "")) - now())
        except ValueError:
            return 60.0
    if status == 429 or any(w in message.lower() for w in _RATE_LIMIT_WORDS):
        return 60.0
    return None


def _retry_after_seconds(value: str, now: Callable[[], float]) -> float:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return 60.0


class Pacer:
    """Content-creating requests one at a time, at least ``interval`` seconds apart."""

    def __init__(
        self,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - self.clock()
                if wait > 0:
                    self.sleep(wait)
            try:
                yield
            finally:
                self._last = self.clock()


class WaitBudget:
    """The seconds one night may spend waiting out GitHub's faults, shared by every retry.

    Only waits before a retry count (backoff, ``retry-after``, a rate limit's reset), not
    the pacer's spacing of writes nor the requests themselves. Spending is thread-safe;
    two threads checking at once may overspend by one wait.
    """

    def __init__(
        self, seconds: float = DEFAULT_WAIT_BUDGET, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.seconds = float(seconds)
        self.spent = 0.0
        self._sleep = sleep
        self._lock = threading.Lock()

    @property
    def left(self) -> float:
        return max(0.0, self.seconds - self.spent)

    def covers(self, wait: float) -> bool:
        return wait <= self.left

    def wait(self, seconds: float) -> None:
        with self._lock:
            self.spent += seconds
        if seconds > 0:
            self._sleep(seconds)


class _Backoff:
    """GitHub's own wait when the error carries one (``retry_after``), else exponential."""

    def __init__(self, backoff: float, longest: float) -> None:
        self.backoff, self.longest = backoff, longest

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None)
        if isinstance(asked, int | float):
            return float(asked)
        return min(self.longest, self.backoff * 2 ** (state.attempt_number - 1))


def retrying(
    budget: WaitBudget,
    worth_retrying: Callable[[BaseException], bool],
    *,
    attempts: int,
    backoff: float,
    longest: float = 60.0,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """The retry layer: up to ``attempts`` tries, each wait drawn from ``budget``.

    When the next wait is more than the budget has left, the last error is raised at once
    with ``budget_left`` set (``ApiError`` and ``PushError`` have the field); after the last
    attempt it is raised as it is.
    """

    def give_up(state: RetryCallState) -> Any:
        error = state.outcome.exception() if state.outcome else None
        assert error is not None  # only failures are retried
        if state.attempt_number < attempts and hasattr(error, "budget_left"):
            error.budget_left = budget.left
        raise error

    def over_budget(state: RetryCallState) -> bool:
        return not budget.covers(state.upcoming_sleep)

    return Retrying(
        retry=retry_if_exception(worth_retrying),
        stop=stop_after_attempt(attempts) | over_budget,
        wait=_Backoff(backoff, longest),
        sleep=budget.wait,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
    )


@dataclass(frozen=True)
class Retries:
    """How API calls are retried: ``attempts`` tries at most, every wait from ``budget``."""

    budget: WaitBudget = field(default_factory=WaitBudget)
    attempts: int = 4
    backoff: float = 1.0  # seconds before the second try; doubled for each one after

    def call(self, fn: Callable[[], T], *, unsure: bool = True) -> T:
        """``fn()``, retried while its ``ApiError`` is worth another try.

        ``unsure=False``: a failure after which GitHub may have done the request anyway
        (a 5xx, no answer) is not retried; only rate limits are (GitHub refused at once).
        """

        def worth(error: BaseException) -> bool:
            if not isinstance(error, ApiError):
                return False
            return error.transient if unsure else error.rate_limited

        retry = retrying(
            self.budget, worth, attempts=self.attempts, backoff=self.backoff, before_sleep=_said
        )
        return retry(fn)


def _said(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "%s; trying again in %.0fs (attempt %d)",
        error,
        state.upcoming_sleep,
        state.attempt_number + 1,
    )
