"""Rate-limit waits read from GitHub's answers, the write pacer, and the retry layer's budget."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.github.api import ApiError
from bot.github.pacing import Pacer, Retries, WaitBudget, rate_limit_wait


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected"),
    [
        pytest.param(403, {"Retry-After": "60"}, "secondary", 60.0, id="secondary-retry-after"),
        pytest.param(429, {"retry-after": "7"}, "", 7.0, id="429-retry-after"),
        pytest.param(
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1300"},
            "API rate limit exceeded",
            300.0,
            id="primary-until-reset",
        ),
        pytest.param(
            403,
            {},
            "You have triggered an abuse detection mechanism. Please wait a few minutes "
            "before you try again.",
            60.0,
            id="old-abuse-message-without-headers",
        ),
        pytest.param(
            403, {}, "Must have push access to view collaborator permission.", None, id="forbidden"
        ),
        pytest.param(500, {"Retry-After": "5"}, "", None, id="server-error-is-not-a-limit"),
        pytest.param(422, {}, "Validation Failed", None, id="validation"),
    ],
)
def test_rate_limit_wait(
    status: int, headers: dict[str, str], message: str, expected: float | None
) -> None:
    assert rate_limit_wait(status, headers, message, now=lambda: 1000.0) == expected


def test_pacer_spaces_writes_by_the_interval() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    pacer = Pacer(1.0, clock=lambda: now[0], sleep=sleep)
    with pacer.write():
        now[0] += 0.25  # the request itself took a while
    with pacer.write():
        pass
    now[0] += 5.0  # long after: no wait
    with pacer.write():
        pass
    assert sleeps == [1.0]


def failing(*errors: Exception) -> Callable[[], str]:
    """A call that raises ``errors`` in turn, then answers "done"."""
    left = list(errors)

    def call() -> str:
        if left:
            raise left.pop(0)
        return "done"

    return call


def server_error() -> ApiError:
    return ApiError(502, "Server Error", "open a PR")


def limited(wait: float) -> ApiError:
    return ApiError(403, "secondary rate limit", "open a PR", retry_after=wait)


def test_transient_errors_are_retried_with_backoff_from_the_budget() -> None:
    sleeps: list[float] = []
    budget = WaitBudget(600.0, sleep=sleeps.append)
    retries = Retries(budget, attempts=4, backoff=1.0)
    assert retries.call(failing(server_error(), ApiError(None, "Timeout"), limited(7))) == "done"
    assert sleeps == [1.0, 2.0, 7.0]  # exponential, then GitHub's retry-after
    assert budget.spent == 10.0 and budget.left == 590.0


def test_a_wait_beyond_the_budget_is_not_started() -> None:
    sleeps: list[float] = []
    budget = WaitBudget(10.0, sleep=sleeps.append)
    retries = Retries(budget, attempts=4, backoff=1.0)
    with pytest.raises(ApiError) as caught:
        retries.call(failing(limited(4), limited(30)))
    assert sleeps == [4.0]  # 30s did not fit in the 6s left
    assert caught.value.retry_after == 30 and caught.value.budget_left == 6.0
    # The budget is the night's: the next call cannot wait either.
    with pytest.raises(ApiError) as again:
        retries.call(failing(limited(7)))
    assert again.value.budget_left == 6.0 and sleeps == [4.0]


def test_retries_run_out_before_the_budget() -> None:
    sleeps: list[float] = []
    retries = Retries(WaitBudget(600.0, sleep=sleeps.append), attempts=3, backoff=1.0)
    with pytest.raises(ApiError) as caught:
        retries.call(failing(*(server_error() for _ in range(5))))
    assert caught.value.status == 502 and caught.value.budget_left is None
    assert sleeps == [1.0, 2.0]


def test_permanent_errors_and_unsure_writes_are_not_retried() -> None:
    sleeps: list[float] = []
    retries = Retries(WaitBudget(600.0, sleep=sleeps.append), attempts=4, backoff=1.0)
    for error in (ApiError(403, "Resource not accessible by integration"), ApiError(422, "x")):
        with pytest.raises(ApiError):
            retries.call(failing(error))
    with pytest.raises(ApiError):  # GitHub may have done it: not repeated blindly
        retries.call(failing(server_error()), unsure=False)
    assert sleeps == []
    assert retries.call(failing(limited(3)), unsure=False) == "done"  # refused at once
    assert sleeps == [3.0]
