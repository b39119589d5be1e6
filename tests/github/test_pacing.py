"""Rate-limit waits read from GitHub's answers, the write pacer, and the retry policies."""

from __future__ import annotations

import pytest

from bot.github.pacing import Pacer, rate_limit_wait, retry_policy


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


def test_only_the_comment_policy_refuses_to_repeat_posts() -> None:
    general, once = retry_policy(3, 0.0), retry_policy(3, 0.0, repeat_posts=False)
    assert general.is_retry("POST", 502) and not once.is_retry("POST", 502)
    assert all(p.is_retry("GET", 502) for p in (general, once))
    assert once.other == 0 and general.other is None
