"""ApiError says what failed and reads GitHub's "already exists" and rate limits."""

from __future__ import annotations

from bot.github.api import ApiError


def test_api_error_says_what_failed_and_knows_already_exists() -> None:
    exists = ApiError(
        422,
        "Validation Failed",
        "open a PR for nightcrew/x",
        None,
        (
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": "A pull request already exists",
            },
        ),
    )
    assert exists.already_exists and not exists.rate_limited
    assert str(exists) == (
        "could not open a PR for nightcrew/x: GitHub answered 422 "
        "(Validation Failed: A pull request already exists)"
    )
    label = ApiError(422, "Validation Failed", "", None, ({"code": "already_exists"},))
    assert label.already_exists
    assert not ApiError(422, "Validation Failed", "x", None, ({"code": "invalid"},)).already_exists
    limited = ApiError(403, "secondary rate limit", "comment on #1", 60.0)
    assert limited.rate_limited and str(limited).endswith("it asks to wait 60s")
    assert str(ApiError(None, "ReadTimeout", "list PRs")) == (
        "could not list PRs: no answer from GitHub (ReadTimeout)"
    )
