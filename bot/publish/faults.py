"""Which of GitHub's failures stop tonight's publishing, and what the report says of them (pure).

Transient faults (a 5xx, no answer, a rate limit, a push the remote asks to try again) have
been retried by the time they get here (``github.pacing``). What is left stops publishing
only when it is permanent, or when waiting more is not possible tonight:

- a 401/403 that is not a rate limit: the token may not write (permissions, "Resource not
  accessible by integration", Actions not allowed to open PRs);
- a push refused on purpose: credentials, permissions, a protected branch or a rule;
- a rate limit still there after the retries, or asking for a wait the night's wait budget
  cannot cover;
- any transient fault whose next wait the budget could not cover: the budget is spent.

Anything else fails one fix, and the next night tries it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.github.api import ApiError
from bot.github.push import PushError, PushRefused
from bot.report.results import Reason

PERMISSIONS_HINT = (
    "check the token's permissions (contents: write, pull-requests: write; with the "
    "workflow token, also the repository setting that allows GitHub Actions to create "
    "pull requests)"
)


@dataclass(frozen=True)
class Stop:
    """Why publishing stops: ``summary`` for later fixes, ``detail`` for the one that hit it."""

    summary: str  # "GitHub's rate limit was reached, asked to wait 90s; ..."
    detail: str  # the error itself, with what to do about it
    kind: Reason

    @property
    def waits(self) -> bool:
        """A stop the next night gets past on its own (not a setting to fix)."""
        return self.kind.waits


def stop_for(error: ApiError | PushError, branch: str = "") -> Stop | None:
    """The stop ``error`` calls for, or None when it fails only this fix."""
    if isinstance(error, ApiError):
        return _api_stop(error)
    if isinstance(error, PushRefused):
        return Stop(
            "git push was refused",
            f"{error}; check that the token may push branches (contents: write) and that "
            f"no rule protects {branch or 'these'} branches",
            Reason.PUSH_REFUSED,
        )
    if error.budget_left is not None:
        return Stop(_spent(error.budget_left), str(error), Reason.PUBLISHING_STOPPED)
    return None


def _api_stop(error: ApiError) -> Stop | None:
    if error.rate_limited:
        return Stop(rate_limit_summary(error), str(error), Reason.RATE_LIMITED)
    if error.status in (401, 403):  # every later write would be refused the same way
        return Stop(
            "GitHub refused a write", f"{error}; {PERMISSIONS_HINT}", Reason.PERMISSION_DENIED
        )
    if error.budget_left is not None:
        return Stop(_spent(error.budget_left), str(error), Reason.PUBLISHING_STOPPED)
    return None


def rate_limit_summary(error: ApiError) -> str:
    wait = f", asked to wait {error.retry_after:.0f}s" if error.retry_after else ""
    if error.budget_left is None:
        return f"GitHub's rate limit was reached{wait}"
    return (
        f"GitHub's rate limit was reached{wait}, more than the {_seconds(error.budget_left)} "
        "left of tonight's wait budget"
    )


def _spent(left: float) -> str:
    return (
        f"tonight's wait budget was spent waiting out GitHub's faults ({_seconds(left)} "
        "left, not enough for the next wait)"
    )


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}s"
